"""``accord log verify`` over 1,000,000 entries against hashing the same entries with hashlib
alone, side by side in one run (goal: verify at ≥ 0.5× the hashing rate).

- hashlib alone: the entries, already in memory, each hashed once with ``hashlib.sha256``.
- verify: the audit ``accord log verify`` runs on this node's database (read every row, check
  the checkpoint signature, recompute every leaf and interior hash, compare each with the stored
  one and the root with the signed one); timed in process, and as the whole command (process
  start and imports included).

    .venv/bin/python bench/ledger_verify.py [--data-dir /var/tmp/accord-bench-log]
"""

from __future__ import annotations

import argparse
import hashlib
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from accord.ledger import service
from accord.ledger.audit import audit
from accord.ledger.sources import DatabaseLogSource
from bench.ledger_fixture import large_log

SIZE = 1_000_000


def hashing_rate(entries: list[bytes]) -> tuple[float, float]:
    """Entries per second of wall time and of this process's CPU time."""
    sha256 = hashlib.sha256
    wall, cpu = time.perf_counter(), time.process_time()
    for entry in entries:
        sha256(entry).digest()
    return _rates(len(entries), wall, cpu)


def _rates(count: int, wall: float, cpu: float) -> tuple[float, float]:
    return count / (time.perf_counter() - wall), count / (time.process_time() - cpu)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, default=Path("/var/tmp/accord-bench-log"))
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    node = large_log(args.data_dir, SIZE)
    with node.session(readonly=True) as s:
        entries = [e for chunk in DatabaseLogSource(s).entries(0, SIZE) for e in chunk.entries]
    verifier = service.verifier(node)
    hashing, verifying = [], []
    for _ in range(args.rounds):  # interleaved, so that both see the same machine
        hashing.append(hashing_rate(entries))
        wall, cpu = time.perf_counter(), time.process_time()
        with node.session(readonly=True) as s:
            report = audit(DatabaseLogSource(s), verifier, full=True)
        verifying.append(_rates(SIZE, wall, cpu))
        assert report.ok, report.problems
        assert report.entries_checked == SIZE
    command = _command(args.data_dir)
    hash_wall, hash_cpu = (max(r[i] for r in hashing) for i in (0, 1))
    verify_wall, verify_cpu = (max(r[i] for r in verifying) for i in (0, 1))
    load = os.getloadavg()[0]
    print(f"{SIZE:,} entries (SQLite), best of {args.rounds}, load average {load:.1f}")
    print(f"{'':34}{'entries/s':>12}{'ratio':>8}{'per CPU s':>12}{'ratio':>8}")
    print(f"{'hashlib.sha256 alone':34}{hash_wall:>12,.0f}{'':>8}{hash_cpu:>12,.0f}")
    print(
        f"{'accord log verify (in process)':34}{verify_wall:>12,.0f}"
        f"{verify_wall / hash_wall:>8.2f}{verify_cpu:>12,.0f}{verify_cpu / hash_cpu:>8.2f}"
    )
    name = "accord log verify (whole command)"
    print(f"{name:34}{command:>12,.0f}{command / hash_wall:>8.2f}")
    print("goal: verify >= 0.5x the hashing rate (per CPU s: the work alone, whatever the load)")


def _command(data_dir: Path) -> float:
    with tempfile.TemporaryDirectory() as state:
        start = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "accord", "--data-dir", str(data_dir), "log", "verify"],
            check=True,
            capture_output=True,
            env={**os.environ, "ACCORD_LOG_STATE_DIR": state},
        )
        return SIZE / (time.perf_counter() - start)


if __name__ == "__main__":
    main()
