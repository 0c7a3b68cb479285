"""Inclusion and consistency proofs served from the stored hashes, at trees of 10,000 to
1,000,000 entries, side by side with reading one entry row (goals at 1,000,000: inclusion
p50 < 1 ms, consistency p50 < 2 ms).

Each sample is what a request does in the server: a new read session, then the proof and the
roots it leads to from the stored hashes, in one query. Times are per proof, in milliseconds,
over random entries (and, for consistency, random older sizes).

    .venv/bin/python bench/ledger_proofs.py [--data-dir /var/tmp/accord-bench-log] [--samples 1000]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from accord.ledger import merkle, service
from accord.node import NodeContext
from bench.ledger_fixture import large_log

SIZES = (10_000, 100_000, 1_000_000)


def timed(node: NodeContext, samples: int, work: Callable[..., object]) -> tuple[float, float]:
    times = []
    for _ in range(samples):
        start = time.perf_counter()
        with node.session(readonly=True) as session:
            work(session)
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.95)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, default=Path("/var/tmp/accord-bench-log"))
    parser.add_argument("--samples", type=int, default=1000)
    args = parser.parse_args()
    node = large_log(args.data_dir, max(SIZES))
    rng = random.Random(1)
    rows = []
    for size in SIZES:

        def inclusion(session: object, size: int = size) -> None:
            index = rng.randrange(size)
            proof, _ = service.prove_inclusion(session, index, size)  # type: ignore[arg-type]
            assert len(proof) <= (size - 1).bit_length()

        def consistency(session: object, size: int = size) -> None:
            old = rng.randrange(1, size)
            service.prove_consistency(session, old, size)  # type: ignore[arg-type]

        def entry(session: object, size: int = size) -> None:
            service.get_entry(session, rng.randrange(size))  # type: ignore[arg-type]

        rows.append(
            (
                size,
                timed(node, args.samples, inclusion),
                timed(node, args.samples, consistency),
                timed(node, args.samples, entry),
            )
        )
    _check(node)
    print(f"SQLite, {args.samples} samples each, load average {os.getloadavg()[0]:.1f}")
    heads = ("tree size", "inclusion p50/p95", "consistency p50/p95", "one row p50/p95")
    print(f"{heads[0]:>10} {heads[1]:>20} {heads[2]:>22} {heads[3]:>18}")
    for size, inc, con, one in rows:
        print(
            f"{size:>10,} {inc[0]:>9.3f} /{inc[1]:>7.3f} ms {con[0]:>9.3f} /{con[1]:>7.3f} ms"
            f" {one[0]:>7.3f} /{one[1]:>7.3f} ms"
        )
    print("goals at 1,000,000: inclusion p50 < 1 ms, consistency p50 < 2 ms")


def _check(node: NodeContext) -> None:
    """One proof of each kind, verified, so that the numbers are of correct proofs."""
    with node.session(readonly=True) as s:
        n = service.tree_size(s)
        root = service.root_hash(s, n)
        entry = service.get_entry(s, 123_456)
        proof = service.inclusion_proof(s, 123_456, n)
        merkle.verify_inclusion(123_456, n, entry.leaf_hash, proof, root)
        old = service.root_hash(s, 654_321)
        merkle.verify_consistency(654_321, n, service.consistency_proof(s, 654_321, n), old, root)


if __name__ == "__main__":
    main()
