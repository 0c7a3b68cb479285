"""Log appends per second on SQLite, committed in batches, against inserting the same rows without
the tree, side by side in one run (goals: ≥ 20,000 entries/s; ratio ≥ 0.5).

- ledger: ``ledger.append(session, event)`` for every event (canonical JSON, pseudonyms, record
  digest, leaf and interior hashes, checkpoints every 1,000 entries), one commit per batch.
- baseline: the very rows the ledger wrote (entries and records), read back and inserted into an
  empty database of the same schema in the same batches, by SQLAlchemy Core executemany and by
  the driver's executemany; no hashing, no tree, no lock.

    .venv/bin/python bench/ledger_append.py [--entries 100000] [--batch 1000]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from accord import ledger
from accord.config import Settings
from accord.db import make_engine, migrate
from accord.keys import ensure_keys
from accord.ledger.models import LedgerCheckpoint, LedgerEntry, LedgerRecord
from accord.node import NodeContext, NodeIdentity

IDENTITY = NodeIdentity("bench", "Bench node", "CH", "http://127.0.0.1:8000")


def make_node(root: Path, name: str) -> NodeContext:
    settings = Settings(data_dir=root / name, database_url=f"sqlite:///{root / name}.db")
    settings.data_dir.mkdir(parents=True)
    ensure_keys(settings.keys_dir)
    engine = make_engine(settings.resolved_database_url)
    migrate(engine)
    return NodeContext(settings, IDENTITY, engine=engine)


def events(count: int) -> list[ledger.Event]:
    return [
        ledger.Event(
            "catalog.version.published",
            subjects={"actor": f"usr_01JD{i % 500:022d}"},
            public={
                "dataset": f"ds_01JD{i % 2000:022d}",
                "version": i % 7 + 1,
                "tier": ("open", "registered", "controlled")[i % 3],
            },
            record={"title": f"Survey wave {i}", "note": "free text that stays private"},
        )
        for i in range(count)
    ]


Rates = tuple[float, float]
"""Entries per second of wall time, and per second of this process's CPU time."""


def _clock() -> tuple[float, float]:
    return time.perf_counter(), time.process_time()


def _rates(count: int, started: tuple[float, float]) -> Rates:
    wall, cpu = _clock()
    return count / (wall - started[0]), count / (cpu - started[1])


def run_ledger(node: NodeContext, evs: list[ledger.Event], batch: int) -> Rates:
    start = _clock()
    for at in range(0, len(evs), batch):
        with node.session() as session:
            for event in evs[at : at + batch]:
                ledger.append(session, event)
            session.commit()
    return _rates(len(evs), start)


def written_rows(node: NodeContext) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    with node.session() as s:
        entries = [
            {c.key: getattr(row, c.key) for c in LedgerEntry.__table__.columns}
            for row in s.scalars(select(LedgerEntry).order_by(LedgerEntry.seq))
        ]
        records = [
            {"seq": row.seq, "record": row.record}
            for row in s.scalars(select(LedgerRecord).order_by(LedgerRecord.seq))
        ]
    return entries, records


def run_core(node: NodeContext, entries: list[Any], records: list[Any], batch: int) -> Rates:
    start = _clock()
    for at in range(0, len(entries), batch):
        with node.session() as session:
            session.execute(insert(LedgerEntry.__table__), entries[at : at + batch])
            session.execute(insert(LedgerRecord.__table__), records[at : at + batch])
            session.commit()
    return _rates(len(entries), start)


def run_driver(node: NodeContext, entries: list[Any], records: list[Any], batch: int) -> Rates:
    import json

    cols = [c.key for c in LedgerEntry.__table__.columns]
    entry_sql = (
        f"INSERT INTO ledger_entries ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})"
    )
    time_of = LedgerEntry.__table__.c.created_at.type.dialect_impl(node.engine.dialect)
    bind = time_of.bind_processor(node.engine.dialect) or (lambda v: v)
    entry_rows = [tuple(bind(e[c]) if c == "created_at" else e[c] for c in cols) for e in entries]
    record_rows = [(r["seq"], json.dumps(r["record"])) for r in records]
    start = _clock()
    for at in range(0, len(entries), batch):
        with node.session() as session:
            cursor = session.connection().connection.dbapi_connection.cursor()  # type: ignore[union-attr]
            cursor.executemany(entry_sql, entry_rows[at : at + batch])
            cursor.executemany(
                "INSERT INTO ledger_records (seq, record) VALUES (?, ?)",
                record_rows[at : at + batch],
            )
            session.commit()
    return _rates(len(entries), start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    evs = events(args.entries)
    results: dict[str, list[Rates]] = {"ledger": [], "core": [], "driver": []}
    for n in range(args.rounds):  # interleaved, so that all three see the same machine
        with tempfile.TemporaryDirectory(prefix="accord-bench-") as tmp:
            root = Path(tmp)
            node = make_node(root, f"ledger{n}")
            results["ledger"].append(run_ledger(node, evs, args.batch))
            entries, records = written_rows(node)
            with node.session() as s:
                checkpoints = len(s.scalars(select(LedgerCheckpoint.size)).all())
            core = make_node(root, f"core{n}")
            results["core"].append(run_core(core, entries, records, args.batch))
            driver = make_node(root, f"driver{n}")
            results["driver"].append(run_driver(driver, entries, records, args.batch))
    best = {k: (max(r[0] for r in v), max(r[1] for r in v)) for k, v in results.items()}
    load = os.getloadavg()[0]
    print(
        f"SQLite, {args.entries:,} entries, commits of {args.batch:,}, {checkpoints} checkpoints,"
        f" best of {args.rounds}, load average {load:.1f}"
    )
    print(f"{'':38}{'entries/s':>12}{'ratio':>8}{'per CPU s':>12}{'ratio':>8}")
    lw, lc = best["ledger"]
    print(f"{'ledger.append (tree, hashes, lock)':38}{lw:>12,.0f}{'':>8}{lc:>12,.0f}")
    for key, name in (
        ("core", "same rows, Core executemany"),
        ("driver", "same rows, driver executemany"),
    ):
        w, c = best[key]
        print(f"{name:38}{w:>12,.0f}{lw / w:>8.2f}{c:>12,.0f}{lc / c:>8.2f}")
    print("goals: ledger >= 20,000 entries/s; ratio >= 0.5 (per CPU s: the work alone)")


if __name__ == "__main__":
    main()
