"""Auditing a log: what ``accord log verify`` does, over HTTP or straight on a node's database.

1. Open the newest checkpoint with the trusted key (the signature must verify).
2. If a checkpoint was verified before, check the new one extends it with a consistency proof;
   a checkpoint that does not is a *fork*, kept as evidence.
3. Recompute the tree from the entries (all, or those after the trusted checkpoint, starting
   from its remembered right edge), checking each entry's number, every stored hash the source
   shows, and the root of every checkpoint the log has signed on the way.
4. Compare the final root with the checkpoint's.

Everything here is pure but for the :class:`LogSource` it reads from; the problems found are
collected (up to a limit) so that the auditor sees exactly what is wrong.
"""

from __future__ import annotations

import base64
import hashlib
from bisect import bisect_right
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple, Protocol

from accord.ledger import merkle
from accord.ledger.checkpoint import Checkpoint, CheckpointError
from accord.ledger.keyring import (
    KeyHistoryError,
    Keyring,
    NodeKey,
    check_rotation_entry,
    open_checkpoint_with,
    transitions,
)
from accord.ledger.note import NoteError, Verifier

MAX_PROBLEMS = 50
_HASH = merkle.HASH_SIZE


class Packed(NamedTuple):
    """Stored hashes of consecutive entries as a database reads them in bulk: every leaf hash,
    then every interior hash, each concatenated in entry order. A source packs only regular
    rows, having checked each as it read it: the leaf hash has 32 bytes and the interior hashes
    ``32 * t``, ``t`` the trailing one bits of the entry's number. Any other chunk comes row by
    row."""

    leaves: bytes
    nodes: bytes


class EntryChunk(NamedTuple):
    """Consecutive entries as a source holds them, column by column, with the hashes stored
    beside them when the source shows them (a database does; over HTTP, tiles show the leaf
    hashes). Columns, not row objects: an audit reads millions of rows."""

    seqs: Sequence[int]
    entries: Sequence[bytes]
    leaf_hashes: Sequence[bytes] | None = None
    nodes: Sequence[bytes] | None = None
    """Interior hashes stored with each entry (``b""`` when it completed none)."""
    packed: Packed | None = None
    """The stored hashes in bulk instead of ``leaf_hashes`` and ``nodes`` (``seqs`` is then
    a ``range``)."""

    def cut(self, start: int, stop: int | None = None) -> EntryChunk:
        """Entries ``start`` to ``stop`` of this chunk (positions, not sequence numbers)."""
        part = slice(start, stop)
        packed = self.packed
        if packed is not None:
            first = self.seqs[0]
            end = first + len(self.seqs) if stop is None else first + stop
            a, b = _interior_count(first, first + start), _interior_count(first, end)
            packed = Packed(
                packed.leaves[start * _HASH : (end - first) * _HASH],
                packed.nodes[a * _HASH : b * _HASH],
            )
        return EntryChunk(
            self.seqs[part],
            self.entries[part],
            None if self.leaf_hashes is None else self.leaf_hashes[part],
            None if self.nodes is None else self.nodes[part],
            packed,
        )

    def unpacked(self) -> EntryChunk:
        """The chunk with its packed hashes split per entry, for a detailed report."""
        if self.packed is None:
            return self
        leaves, nodes = self.packed
        per_entry, at = [], 0
        for seq in self.seqs:
            size = _trailing_ones(seq) * _HASH
            per_entry.append(nodes[at : at + size])
            at += size
        split = [leaves[i : i + _HASH] for i in range(0, len(leaves), _HASH)]
        return EntryChunk(self.seqs, self.entries, split, per_entry)


def _trailing_ones(n: int) -> int:
    """Interior nodes that appending entry ``n`` completes."""
    return ((n ^ (n + 1)) >> 1).bit_length()


def _interior_count(start: int, end: int) -> int:
    """Interior nodes completed by appending entries ``start`` to ``end - 1``."""
    return (end - end.bit_count()) - (start - start.bit_count())


class StoredCheckpoint(NamedTuple):
    size: int
    note: str
    root_hash: bytes | None = None
    """The root the source keeps beside the note (a database row does)."""


class LogSource(Protocol):
    """A log to audit. Entries come in chunks (lists), in order, to keep the audit's loop in C."""

    def checkpoint(self) -> str:
        """The newest signed checkpoint note."""
        ...

    def checkpoints(self, after: int) -> Iterable[StoredCheckpoint]:
        """Every checkpoint larger than ``after``, smallest first."""
        ...

    def entries(self, start: int, end: int) -> Iterable[EntryChunk]:
        """Entries ``start`` to ``end - 1`` in order, in chunks."""
        ...

    def consistency_proof(self, old_size: int, new_size: int) -> list[bytes]: ...

    def tree_size(self) -> int:
        """Entries the source holds, which may be more than the newest checkpoint covers."""
        ...


@dataclass(frozen=True)
class TrustedState:
    """The last checkpoint verified, and the tree's right edge at its size, for next time."""

    origin: str
    verifier_key: str
    size: int
    root_hash: bytes
    frontier: tuple[bytes, ...]
    note: str

    def as_json(self) -> dict[str, Any]:
        return {
            "origin": self.origin,
            "verifier_key": self.verifier_key,
            "size": self.size,
            "root_hash": _b64(self.root_hash),
            "frontier": [_b64(h) for h in self.frontier],
            "checkpoint": self.note,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> TrustedState:
        return cls(
            origin=str(data["origin"]),
            verifier_key=str(data["verifier_key"]),
            size=int(data["size"]),
            root_hash=base64.b64decode(data["root_hash"]),
            frontier=tuple(base64.b64decode(h) for h in data["frontier"]),
            note=str(data["checkpoint"]),
        )


@dataclass(frozen=True)
class Fork:
    """Two checkpoints signed by the same key that no consistency proof can join."""

    trusted: str
    presented: str
    reason: str


@dataclass
class AuditReport:
    origin: str
    checkpoint: Checkpoint | None = None
    started_at: int = 0
    entries_checked: int = 0
    checkpoints_checked: int = 0
    uncovered: int = 0
    """Entries newer than the newest checkpoint (checked against their stored hashes only)."""
    problems: list[str] = field(default_factory=list)
    fork: Fork | None = None
    trusted: TrustedState | None = None
    """The state to remember, when the audit passed."""

    @property
    def ok(self) -> bool:
        return not self.problems and self.fork is None

    def as_json(self) -> dict[str, Any]:
        cp = self.checkpoint
        return {
            "ok": self.ok,
            "origin": self.origin,
            "tree_size": cp.size if cp else None,
            "root_hash": _b64(cp.root_hash) if cp else None,
            "started_at": self.started_at,
            "entries_checked": self.entries_checked,
            "checkpoints_checked": self.checkpoints_checked,
            "uncovered_entries": self.uncovered,
            "problems": self.problems,
            "fork": None
            if self.fork is None
            else {
                "reason": self.fork.reason,
                "trusted_checkpoint": self.fork.trusted,
                "presented_checkpoint": self.fork.presented,
            },
        }


class _TooManyProblems(Exception):
    pass


def audit(
    source: LogSource,
    verifier: Verifier,
    trusted: TrustedState | None = None,
    *,
    full: bool = False,
    progress: Callable[[int], None] | None = None,
    keys: Keyring | None = None,
) -> AuditReport:
    """Check the log ``source`` serves, signed by ``verifier``; see the module docstring.

    With ``trusted`` and not ``full``, only entries after the trusted checkpoint are fetched.
    ``progress`` is called with the number of entries checked so far, now and then. ``keys``
    is the log's key history when its key was rotated: each checkpoint must then be signed by
    the key valid for its size, and each rotation must be the log entry where the history says.
    """
    report = AuditReport(origin=verifier.name)
    ring = keys or Keyring.single(verifier.public_key)
    try:
        _audit(source, _Keys(verifier.name, ring), trusted, full, progress, report)
    except _TooManyProblems:
        report.problems.append(f"stopped after {MAX_PROBLEMS} problems")
    return report


@dataclass(frozen=True)
class _Keys:
    """The log's origin and key history, as the audit checks them."""

    origin: str
    ring: Keyring

    def open(self, note: str) -> Checkpoint:
        return open_checkpoint_with(note, self.ring, self.origin)

    def vkey(self, size: int) -> str:
        return Verifier(self.origin, self.ring.for_size(size).public_key).vkey()

    def rotations(self) -> dict[int, tuple[NodeKey, NodeKey]]:
        return {seq: (old, new) for seq, old, new in transitions(self.ring)}


def _audit(
    source: LogSource,
    keys: _Keys,
    trusted: TrustedState | None,
    full: bool,
    progress: Callable[[int], None] | None,
    report: AuditReport,
) -> None:
    note = source.checkpoint()
    try:
        checkpoint = keys.open(note)
    except (NoteError, CheckpointError) as exc:
        _problem(report, f"the newest checkpoint does not verify with the log's keys: {exc}")
        return
    report.checkpoint = checkpoint
    frontier = merkle.Frontier()
    if trusted is not None:
        _check_against_trusted(source, trusted, checkpoint, note, report)
        if report.fork is not None:
            return
        if not full and trusted.size <= checkpoint.size:
            frontier = merkle.Frontier(trusted.size, trusted.frontier)
    report.started_at = frontier.size
    end = max(checkpoint.size, source.tree_size())
    signed = _signed_checkpoints(source, keys, frontier.size, checkpoint, report)
    edge = _check_entries(
        source, frontier, end, checkpoint, signed, report, progress, keys.rotations()
    )
    report.uncovered = end - checkpoint.size
    if report.ok:
        report.trusted = TrustedState(
            origin=checkpoint.origin,
            verifier_key=keys.vkey(checkpoint.size),
            size=checkpoint.size,
            root_hash=checkpoint.root_hash,
            frontier=tuple(edge),
            note=note,
        )


def _check_against_trusted(
    source: LogSource,
    trusted: TrustedState,
    checkpoint: Checkpoint,
    note: str,
    report: AuditReport,
) -> None:
    old, new = trusted, checkpoint
    if old.size == new.size:
        if old.root_hash != new.root_hash:
            report.fork = Fork(old.note, note, f"two different roots for {old.size} entries")
        return
    small, large = (old.size, new.size) if old.size < new.size else (new.size, old.size)
    small_root, large_root = (
        (old.root_hash, new.root_hash) if old.size < new.size else (new.root_hash, old.root_hash)
    )
    try:
        proof = source.consistency_proof(small, large)
        merkle.verify_consistency(small, large, proof, small_root, large_root)
    except (merkle.ProofError, LookupError, ValueError) as exc:
        report.fork = Fork(
            old.note,
            note,
            f"the checkpoint of {new.size} entries is not consistent with the trusted one of "
            f"{old.size}: {exc}",
        )
        return
    if new.size < old.size:
        _problem(
            report,
            f"the log presents a checkpoint of {new.size} entries, older than the one of "
            f"{old.size} verified before",
        )


def _signed_checkpoints(
    source: LogSource,
    keys: _Keys,
    start: int,
    newest: Checkpoint,
    report: AuditReport,
) -> dict[int, bytes]:
    """Every checkpoint from ``start`` up to the newest, opened: size → signed root."""
    signed: dict[int, bytes] = {}
    for stored in source.checkpoints(after=start - 1):
        if stored.size > newest.size:
            break
        try:
            cp = keys.open(stored.note)
        except (NoteError, CheckpointError, KeyHistoryError) as exc:
            _problem(report, f"checkpoint of {stored.size} entries: signature fails: {exc}")
            continue
        if cp.size != stored.size:
            _problem(report, f"checkpoint listed as {stored.size} entries says {cp.size}")
            continue
        if stored.root_hash is not None and stored.root_hash != cp.root_hash:
            _problem(report, f"checkpoint of {cp.size} entries: stored root differs from its note")
        signed[cp.size] = cp.root_hash
        report.checkpoints_checked += 1
    if signed.get(newest.size, newest.root_hash) != newest.root_hash:
        _problem(report, f"two signed roots for {newest.size} entries")
    signed[newest.size] = newest.root_hash
    return signed


def _check_entries(
    source: LogSource,
    frontier: merkle.Frontier,
    end: int,
    newest: Checkpoint,
    signed: dict[int, bytes],
    report: AuditReport,
    progress: Callable[[int], None] | None,
    rotations: dict[int, tuple[NodeKey, NodeKey]],
) -> list[bytes]:
    """Recompute the tree, a chunk of entries at a time; compare stored hashes and signed roots
    on the way. Returns the tree's right edge at the newest checkpoint's size."""
    _check_root(frontier, signed, report)
    edge = list(frontier.hashes)
    stops = sorted(size for size in signed if size > frontier.size)
    for chunk in source.entries(frontier.size, end):
        for part in _split(chunk, stops):
            if not _check_part(part, frontier, report):
                return edge
            _check_rotations(part, rotations, report)
            if frontier.size in signed:
                _check_root(frontier, signed, report)
                if frontier.size == newest.size:
                    edge = list(frontier.hashes)
        if progress is not None:
            progress(frontier.size - report.started_at)
    report.entries_checked = frontier.size - report.started_at
    if frontier.size < end:
        _problem(report, f"the log ends at entry {frontier.size}, not {end}")
    return edge


def _split(chunk: EntryChunk, stops: list[int]) -> Iterator[EntryChunk]:
    """The chunk cut after each entry whose number + 1 is a checkpoint size."""
    if not chunk.seqs:
        return
    first, at, count = chunk.seqs[0], 0, len(chunk.seqs)
    for stop in stops[bisect_right(stops, first) :]:
        cut = stop - first
        if cut >= count:
            break
        yield chunk.cut(at, cut)
        at = cut
    yield chunk.cut(at)


def _check_part(part: EntryChunk, frontier: merkle.Frontier, report: AuditReport) -> bool:
    """Check consecutive entries starting at the frontier's size; False if one is missing."""
    if part.packed is not None:
        if _check_packed(part, frontier):
            return True
        part = part.unpacked()
    start = frontier.size
    seqs, entries = part.seqs, part.entries
    if list(seqs) != list(range(start, start + len(seqs))):
        missing = next(i for i, seq in enumerate(seqs, start) if seq != i)
        _problem(report, f"entry {missing} is missing")
        return False
    sha256 = hashlib.sha256
    leaves = [sha256(b"\x00" + entry).digest() for entry in entries]
    if part.leaf_hashes is not None and list(part.leaf_hashes) != leaves:
        for seq, stored, leaf in zip(seqs, part.leaf_hashes, leaves, strict=True):
            if stored != leaf:
                _problem(report, f"entry {seq}: stored leaf hash is not the hash of the entry")
    for seq, entry in zip(seqs, entries, strict=True):
        if b'"seq":%d,' % seq not in entry:
            _problem(report, f"entry {seq}: its own sequence number is not {seq}")
    interiors = frontier.extend(leaves)
    if part.nodes is not None and list(part.nodes) != interiors:
        for seq, stored, computed in zip(seqs, part.nodes, interiors, strict=True):
            if stored != computed:
                _problem(report, _interior_problem(seq, stored, computed))
    return True


def _check_packed(part: EntryChunk, frontier: merkle.Frontier) -> bool:
    """The checks of :func:`_check_part` in bulk, all or nothing: True and the frontier
    extended when every one passes; False, the frontier untouched, when any fails (the caller
    then looks entry by entry, to say what is wrong)."""
    packed, entries, start = part.packed, part.entries, frontier.size
    if packed is None or part.seqs != range(start, start + len(entries)):
        return False
    numbers = map(b'"seq":%d,'.__mod__, part.seqs)
    if not all(map(bytes.__contains__, entries, numbers)):
        return False
    sha256 = hashlib.sha256
    leaves = [sha256(b"\x00" + entry).digest() for entry in entries]
    if b"".join(leaves) != packed.leaves:
        return False
    extended = frontier.copy()
    if b"".join(extended.extend(leaves)) != packed.nodes:
        return False
    frontier.size, frontier.hashes = extended.size, extended.hashes
    return True


def _check_rotations(
    part: EntryChunk, rotations: dict[int, tuple[NodeKey, NodeKey]], report: AuditReport
) -> None:
    """The entries where the key history says the key was rotated record that rotation."""
    if not rotations or not part.seqs:
        return
    first = part.seqs[0]
    for seq, (old, new) in rotations.items():
        if first <= seq < first + len(part.seqs):
            problem = check_rotation_entry(part.entries[seq - first], seq, old, new)
            if problem:
                _problem(report, problem)


def _check_root(frontier: merkle.Frontier, signed: dict[int, bytes], report: AuditReport) -> None:
    want = signed.get(frontier.size)
    if want is not None and frontier.root() != want:
        _problem(
            report,
            f"the root recomputed from the first {frontier.size} entries is not the signed one",
        )


def _interior_problem(seq: int, stored: bytes, computed: bytes) -> str:
    for level in range(1, max(len(stored), len(computed)) // _HASH + 1):
        part = slice((level - 1) * _HASH, level * _HASH)
        if stored[part] != computed[part]:
            return f"entry {seq}: stored interior hash of level {level} is wrong"
    return f"entry {seq}: stored interior hashes are wrong"


def _problem(report: AuditReport, text: str) -> None:
    report.problems.append(text)
    if len(report.problems) >= MAX_PROBLEMS:
        raise _TooManyProblems


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()
