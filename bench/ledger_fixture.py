"""A large log for the proof and verify benchmarks, built quickly and kept between runs.

Rows are written exactly as ``ledger.append`` writes them (canonical JSON entries, leaf hashes,
the interior hashes each entry completes, records), but in bulk with the driver's executemany
and without the per-call work of ``append``; the log is then checkpointed through the service.
``accord log verify`` checks every one of those rows, so a wrong fixture cannot pass unseen.
"""

from __future__ import annotations

import hashlib
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from accord.config import Settings
from accord.db import make_engine, migrate
from accord.keys import ensure_keys
from accord.ledger import merkle, service
from accord.ledger.service import pseudonym
from accord.node import NodeContext, NodeIdentity, read_identity, write_identity

IDENTITY = NodeIdentity("bench", "Bench node", "CH", "http://127.0.0.1:8000")
CHUNK = 50_000
_dumps = json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode


def large_log(data_dir: Path, size: int) -> NodeContext:
    """The node in ``data_dir`` with a log of ``size`` entries (built on first use)."""
    settings = Settings(data_dir=data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    ensure_keys(settings.keys_dir)
    if read_identity(data_dir) is None:
        write_identity(data_dir, IDENTITY)
    engine = make_engine(settings.resolved_database_url)
    migrate(engine)
    node = NodeContext(settings, IDENTITY, engine=engine)
    with node.session(readonly=True) as s:
        have = service.tree_size(s)
    if have not in (0, size):
        raise SystemExit(f"{data_dir} holds a log of {have} entries, not {size}: remove it")
    if have == 0:
        started = time.perf_counter()
        _fill(node, size)
        print(f"built a log of {size:,} entries in {time.perf_counter() - started:.0f} s")
    return node


def _fill(node: NodeContext, size: int) -> None:
    frontier = merkle.Frontier()
    key = node.pseudonym_key
    stamp = "2026-01-15 12:00:00.000000"
    for start in range(0, size, CHUNK):
        entries, records = [], []
        for seq in range(start, min(size, start + CHUNK)):
            record = {
                "public": {"dataset": f"ds_{seq % 5000:026d}", "version": seq % 9 + 1},
                "record": {"title": f"Survey wave {seq}"},
                "seq": seq,
                "subjects": {"actor": f"usr_{seq % 700:026d}"},
                "type": "catalog.version.published",
            }
            record_json = _dumps(record)
            entry = _dumps(
                {
                    "node": IDENTITY.node_id,
                    "public": record["public"],
                    "record_sha256": hashlib.sha256(record_json.encode()).hexdigest(),
                    "seq": seq,
                    "subjects": {"actor": pseudonym(key, record["subjects"]["actor"])},
                    "time": "2026-01-15T12:00:00Z",
                    "type": "catalog.version.published",
                }
            ).encode()
            leaf = merkle.leaf_hash(entry)
            interior = frontier.append(leaf)
            dataset = record["public"]["dataset"]
            entries.append((seq, record["type"], stamp, entry, leaf, interior or None, dataset))
            records.append((seq, record_json))
        with node.session() as s:
            cursor = s.connection().connection.dbapi_connection.cursor()  # type: ignore[union-attr]
            cursor.executemany(
                "INSERT INTO ledger_entries (seq, event_type, created_at, entry, leaf_hash, "
                "nodes, dataset) VALUES (?, ?, ?, ?, ?, ?, ?)",
                entries,
            )
            cursor.executemany("INSERT INTO ledger_records (seq, record) VALUES (?, ?)", records)
            s.commit()
    with node.session() as s:
        service.checkpoint_if_due(s)
        s.commit()
