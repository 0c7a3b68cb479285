"""What the storage benches share: sizes on the command line and the report."""

from __future__ import annotations

import re

MiB = 1024 * 1024
RSS_GOAL = 250 * MiB
_UNITS = {
    "": 1,
    "b": 1,
    "k": 1024,
    "kib": 1024,
    "m": MiB,
    "mib": MiB,
    "g": 1024 * MiB,
    "gib": 1024 * MiB,
}


def parse_size(text: str) -> int:
    """``1GiB``, ``200MiB``, ``64k``, ``4096`` → bytes."""
    match = re.fullmatch(r"(\d+)\s*([a-z]*)", text.strip().lower())
    if match is None or match.group(2) not in _UNITS:
        raise ValueError(f"not a size: {text!r} (try 1GiB or 64MiB)")
    return int(match.group(1)) * _UNITS[match.group(2)]


def report(
    title: str,
    size: int,
    baseline: tuple[str, float],
    ours: tuple[str, float],
    *,
    ratio_goal: float,
    rss_over_baseline: int | None = None,
) -> int:
    """Print both figures and the ratio; 0 if the goals are met, else 1."""
    (base_name, base_s), (our_name, our_s) = baseline, ours
    base_rate, our_rate = size / base_s / MiB, size / our_s / MiB
    ratio = our_rate / base_rate
    print(f"{title}: {size / MiB:.0f} MiB")
    print(f"  {base_name:<44} {base_s:8.2f} s {base_rate:9.1f} MiB/s")
    print(f"  {our_name:<44} {our_s:8.2f} s {our_rate:9.1f} MiB/s")
    ok = ratio >= ratio_goal
    print(f"  ratio {ratio:.2f} (goal ≥ {ratio_goal}) {'ok' if ok else 'MISSED'}")
    if rss_over_baseline is not None:
        rss_ok = rss_over_baseline < RSS_GOAL
        print(
            f"  server peak RSS over baseline {rss_over_baseline / MiB:.1f} MiB "
            f"(goal < {RSS_GOAL // MiB} MiB) {'ok' if rss_ok else 'MISSED'}"
        )
        ok = ok and rss_ok
    return 0 if ok else 1
