"""Decisions/s of the agreements engine beside Cedar (cedarpy) on the same decisions, one run.

Workload: 1,000 generated agreements (``agreements_workload.py``) and a mixed stream of
requests over them. Both engines get their best case: agreements are compiled (our engine) or
parsed into a ``PolicySet`` (Cedar) once before timing, the entity store is parsed once, Cedar
requests are built and serialised before timing and sent in batches per agreement. Every
(outcome, mode) pair is compared; any disagreement fails the run. Prints both rates and their
ratio (goal: engine ≥ 100,000 decisions/s and ≥ 3.0 × Cedar). Rates are this process's CPU
time (``time.process_time``), best of three rounds, so other work on a shared machine skews them
less than wall time would; the ratio is what the run is for.

    .venv/bin/python bench/agreements_engine.py [--agreements 1000] [--requests 100000]
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import cedarpy

from accord.agreements.compiled import CompiledAgreement, compile_agreement
from accord.agreements.context import Context
from accord.agreements.decision import Mode, Outcome
from accord.agreements.engine import evaluate
from accord.agreements.ontology import default_vocabulary
from accord.agreements.validation import parse_agreement
from bench import agreements_cedar as cedar
from bench.agreements_workload import agreements, requests

ROUNDS = 3


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--agreements", type=int, default=1000)
    parser.add_argument("--requests", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=20250601)
    args = parser.parse_args()

    vocab = default_vocabulary()
    written = agreements(args.agreements, args.seed)
    documents = [parse_agreement(data) for data in written]
    compiled = [compile_agreement(document) for document in documents]
    workload = requests(args.requests, written, args.seed + 1)
    pairs = [(compiled[item.agreement], item.context) for item in workload]

    ours, ours_seconds = _time_engine(pairs)

    policy_sets = [cedarpy.PolicySet.from_str(cedar.policies(d, vocab)) for d in documents]
    store = cedarpy.Entities.from_json_str(cedar.entities(vocab))
    batches: dict[int, list[int]] = defaultdict(list)
    for position, item in enumerate(workload):
        batches[item.agreement].append(position)
    cedar_requests = [cedar.request(item) for item in workload]
    theirs, cedar_seconds = _time_cedar(batches, cedar_requests, policy_sets, store)

    mismatches = [i for i in range(len(workload)) if ours[i] != theirs[i]]
    _report(args, ours, ours_seconds, cedar_seconds, mismatches)
    if mismatches:
        first = mismatches[0]
        print(f"first disagreement: request {first}: engine {ours[first]}, cedar {theirs[first]}")
        print(documents[workload[first].agreement].as_data())
        print(workload[first].context)
        raise SystemExit(1)


def _time_engine(
    pairs: list[tuple[CompiledAgreement, Context]],
) -> tuple[list[tuple[Outcome, Mode]], float]:
    best = float("inf")
    for _ in range(ROUNDS):
        start = time.process_time()
        decisions = [evaluate(agreement, context) for agreement, context in pairs]
        best = min(best, time.process_time() - start)
    return [(d.outcome, d.mode) for d in decisions], best


def _time_cedar(
    batches: dict[int, list[int]],
    prepared: list[dict[str, str]],
    policy_sets: list[cedarpy.PolicySet],
    store: cedarpy.Entities,
) -> tuple[list[tuple[Outcome, Mode]], float]:
    grouped = [
        (policy_sets[a], [prepared[i] for i in positions], positions)
        for a, positions in batches.items()
    ]
    best = float("inf")
    answers: list[tuple[Outcome, Mode]] = [(Outcome.DENY, Mode.NONE)] * len(prepared)
    for _ in range(ROUNDS):
        results = []
        start = time.process_time()
        for policy_set, group, positions in grouped:
            results.append((cedarpy.is_authorized_batch(group, policy_set, store), positions))
        best = min(best, time.process_time() - start)
    for batch, positions in results:
        for result, position in zip(batch, positions, strict=True):
            diagnostics = result.diagnostics
            answers[position] = cedar.outcome(
                result.allowed, diagnostics.reasons, diagnostics.id_annotations_by_reason
            )
    return answers, best


def _report(
    args: argparse.Namespace,
    ours: list[tuple[Outcome, Mode]],
    ours_seconds: float,
    cedar_seconds: float,
    mismatches: list[int],
) -> None:
    count = len(ours)
    mix: dict[str, int] = defaultdict(int)
    for outcome, mode in ours:
        mix[f"{outcome.value}/{mode.value}"] += 1
    ours_rate, cedar_rate = count / ours_seconds, count / cedar_seconds
    print(f"workload: {args.agreements} agreements, {count} requests (best of {ROUNDS} rounds)")
    print("outcomes: " + ", ".join(f"{k} {v}" for k, v in sorted(mix.items())))
    print(f"accord engine : {ours_rate:>12,.0f} decisions/s")
    print(f"cedarpy       : {cedar_rate:>12,.0f} decisions/s (policy sets parsed once, batched)")
    print(f"ratio         : {ours_rate / cedar_rate:.2f} (goal >= 3.0); engine goal >= 100,000/s")
    print(f"agreement     : {count - len(mismatches)}/{count} outcomes and modes identical")


if __name__ == "__main__":
    main()
