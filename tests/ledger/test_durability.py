"""Durability and serialisation: writers killed with SIGKILL mid-append leave a log that verifies
and holds exactly the committed changes; several writer processes make one gapless tree."""

from __future__ import annotations

import json
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

from sqlalchemy import select

from accord.identity.models import Organisation
from accord.ledger import service
from accord.ledger.audit import audit
from accord.ledger.models import LedgerEntry, LedgerRecord
from accord.ledger.sources import DatabaseLogSource
from accord.node import NodeContext

ROOT = Path(__file__).parents[2]


def start_writer(
    node: NodeContext, writer: int, batches: int, size: int, marker: Path, mode: str = "orgs"
) -> subprocess.Popen[bytes]:
    args = [str(node.settings.data_dir), node.settings.resolved_database_url]
    args += [str(writer), str(batches), str(size), str(marker), mode]
    return subprocess.Popen(
        [sys.executable, "-m", "tests.ledger.writer", *args], cwd=ROOT, stderr=subprocess.PIPE
    )


def committed_batches(marker: Path) -> list[tuple[int, int]]:
    if not marker.exists():
        return []
    return [
        (int(w), int(b))
        for w, b in (line.split() for line in marker.read_text().split("\n") if line)
    ]


def assert_log_is_sound(node: NodeContext) -> list[dict[str, Any]]:
    """Every change has its entry and every entry its change and record; the audit passes."""
    with node.session() as s:
        service.checkpoint_if_due(s)
        s.commit()
    with node.session(readonly=True) as s:
        entries = [
            json.loads(e) for e in s.scalars(select(LedgerEntry.entry).order_by(LedgerEntry.seq))
        ]
        orgs = set(s.scalars(select(Organisation.id)))
        records = s.scalar(select(LedgerRecord.seq).order_by(LedgerRecord.seq.desc()).limit(1))
        report = audit(DatabaseLogSource(s), service.verifier(node), full=True)
    assert report.ok, report.problems
    assert [e["seq"] for e in entries] == list(range(len(entries)))
    assert records == (len(entries) - 1 if entries else None)
    logged = [
        e["public"]["organisation"] for e in entries if e["type"] == "identity.organisation.created"
    ]
    assert len(logged) == len(set(logged))
    assert set(logged) == orgs
    return entries


def test_sigkill_while_appending_loses_only_uncommitted_work(
    node: NodeContext, tmp_path: Path
) -> None:
    rng = random.Random(7)
    marker = tmp_path / "committed.txt"
    size = 7
    for round_ in range(3):
        writer = start_writer(node, round_, batches=100_000, size=size, marker=marker)
        deadline = time.monotonic() + 60
        while sum(1 for w, _ in committed_batches(marker) if w == round_) < 5:
            assert writer.poll() is None, writer.stderr.read() if writer.stderr else ""
            assert time.monotonic() < deadline, "writer made no progress"
            time.sleep(0.02)
        time.sleep(rng.uniform(0.0, 0.3))
        writer.send_signal(signal.SIGKILL)
        writer.wait()
        assert writer.returncode == -signal.SIGKILL
    entries = assert_log_is_sound(node)
    # Whole batches only: each committed batch is there, and at most one more per kill (its
    # commit had returned in the database but the marker was not yet written).
    names = Counter(e["public"]["organisation"] for e in entries)
    assert len(names) == len(entries)
    noted = Counter(w for w, _ in committed_batches(marker))
    assert len(entries) % size == 0
    assert sum(noted.values()) * size <= len(entries) <= (sum(noted.values()) + 3) * size


def test_four_writer_processes_make_one_gapless_tree(node: NodeContext, tmp_path: Path) -> None:
    # The issue asks 4 x 10,000 on PostgreSQL; SQLite's writers queue on its busy handler, which
    # sleeps, so it gets a quarter of that to keep the suite quick.
    per_writer = 10_000 if node.engine.dialect.name == "postgresql" else 2_500
    size = 100
    marker = tmp_path / "committed.txt"
    writers = [start_writer(node, w, per_writer // size, size, marker, "entries") for w in range(4)]
    for writer in writers:
        _, err = writer.communicate(timeout=900)
        assert writer.returncode == 0, err.decode()
    entries = assert_log_is_sound(node)
    assert len(entries) == 4 * per_writer
    written = Counter(
        (e["public"]["writer"], e["public"]["batch"], e["public"]["i"]) for e in entries
    )
    assert set(written.values()) == {1}
    assert {w for w, _, _ in written} == {0, 1, 2, 3}
    with node.session(readonly=True) as s:
        assert service.tree_size(s) == 4 * per_writer
    assert len(committed_batches(marker)) == 4 * per_writer // size
