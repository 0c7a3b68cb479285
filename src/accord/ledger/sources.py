"""Where an audit reads a log from: a node's public HTTP API, or its own database.

Both serve the same :class:`~accord.ledger.audit.LogSource`; the database one also shows the
hashes stored beside each entry and checkpoint, so a node's operator can check every row.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
from sqlalchemy.orm import Session

from accord.errors import NodeUnavailable, VerificationFailed
from accord.ledger import service
from accord.ledger.audit import EntryChunk, Packed, StoredCheckpoint
from accord.ledger.tiles import ENTRIES, TILE_WIDTH, Tile, decode_bundle, decode_hashes


class DatabaseLogSource:
    """The log as this node stores it (read in chunks, in one read transaction)."""

    def __init__(self, session: Session, *, chunk: int = 20_000) -> None:
        self.session = session
        self.chunk = chunk

    def checkpoint(self) -> str:
        latest = service.latest_checkpoint(self.session)
        if latest is None:
            raise NodeUnavailable("the log has no checkpoint yet", code="ledger.no-checkpoint")
        return latest.note

    def checkpoints(self, after: int) -> Iterator[StoredCheckpoint]:
        while True:
            rows = service.checkpoints(self.session, after=after, limit=1000)
            for row in rows:
                yield StoredCheckpoint(row.size, row.note, row.root_hash)
            if len(rows) < 1000:
                return
            after = rows[-1].size

    def entries(self, start: int, end: int) -> Iterator[EntryChunk]:
        """Each chunk read in bulk, one row of aggregates from the database (entries joined by
        newlines, which canonical JSON never holds raw; hashes concatenated; rows holding the
        wrong number of hash bytes counted). A chunk that is not exactly whole and regular is
        read again row by row, so that the audit can say which entry is wrong.

        The next chunk is read by a thread of its own while the audit checks this one: the
        database works outside Python's interpreter lock, so reading and hashing overlap."""
        service.write_pending(self.session)
        dbapi = self.session.connection().connection.dbapi_connection
        if dbapi is None:
            raise RuntimeError("no database connection")
        postgresql = self.session.get_bind().dialect.name == "postgresql"
        read = _ChunkReader(dbapi.cursor(), postgresql)
        bounds = [(a, min(end, a + self.chunk)) for a in range(start, end, self.chunk)]
        if not bounds:
            return
        with ThreadPoolExecutor(1, thread_name_prefix="accord-log-read") as reader:
            pending = reader.submit(read, *bounds[0])
            for following in [*bounds[1:], None]:
                chunk = pending.result()
                if following is not None:
                    pending = reader.submit(read, *following)
                if chunk is not None:
                    yield chunk

    def consistency_proof(self, old_size: int, new_size: int) -> list[bytes]:
        return service.consistency_proof(self.session, old_size, new_size)

    def tree_size(self) -> int:
        return service.tree_size(self.session)


_ROWS = (
    "SELECT seq, entry, leaf_hash, COALESCE(nodes, ?) FROM ledger_entries"
    " WHERE seq >= ? AND seq < ? ORDER BY seq"
)
# A row is regular when its leaf hash has 32 bytes and its interior hashes 32 * t bytes, t the
# trailing one bits of its number: 2**t == (seq + 1) & ~seq.
_PACKED_SQLITE = """
SELECT count(*),
  CAST(group_concat(entry, x'0a') AS BLOB),
  CAST(group_concat(leaf_hash, '') AS BLOB),
  CAST(group_concat(nodes, '') AS BLOB),
  sum(length(leaf_hash) != 32 OR length(COALESCE(nodes, x'')) % 32 != 0
      OR (1 << (length(COALESCE(nodes, x'')) / 32)) != ((seq + 1) & ~seq))
FROM (SELECT seq, entry, leaf_hash, nodes FROM ledger_entries
      WHERE seq >= ? AND seq < ? ORDER BY seq)
"""
_PACKED_POSTGRESQL = """
SELECT count(*),
  string_agg(entry, '\\x0a'::bytea ORDER BY seq),
  string_agg(leaf_hash, ''::bytea ORDER BY seq),
  string_agg(nodes, ''::bytea ORDER BY seq),
  sum(CASE WHEN length(leaf_hash) = 32 AND mod(length(COALESCE(nodes, ''::bytea)), 32) = 0
      AND (1::bigint << (length(COALESCE(nodes, ''::bytea)) / 32)) = ((seq + 1) & ~seq)
      THEN 0 ELSE 1 END)
FROM ledger_entries WHERE seq >= %s AND seq < %s
"""


class _ChunkReader:
    """Reads one chunk of entries: in bulk, or row by row when the bulk read is not regular."""

    def __init__(self, cursor: Any, postgresql: bool) -> None:
        self.cursor = cursor
        self.packed_sql = _PACKED_POSTGRESQL if postgresql else _PACKED_SQLITE
        self.rows_sql = _ROWS.replace("?", "%s") if postgresql else _ROWS

    def __call__(self, start: int, stop: int) -> EntryChunk | None:
        self.cursor.execute(self.packed_sql, (start, stop))
        chunk = _packed_chunk(start, stop, self.cursor.fetchone())
        if chunk is not None:
            return chunk
        self.cursor.execute(self.rows_sql, (b"", start, stop))
        rows = self.cursor.fetchall()
        if not rows:
            return None
        seqs, entries, leaves, nodes = zip(*rows, strict=True)
        return EntryChunk(seqs, entries, leaves, nodes)


def _packed_chunk(start: int, stop: int, row: Any) -> EntryChunk | None:
    """The chunk from one row of aggregates, or None unless every entry is there and regular."""
    count, joined, leaves, nodes, irregular = row
    if count != stop - start or irregular or joined is None:
        return None
    entries = bytes(joined).split(b"\n")
    if len(entries) != count:
        return None
    packed = Packed(bytes(leaves), b"" if nodes is None else bytes(nodes))
    return EntryChunk(range(start, stop), entries, packed=packed)


class HttpLogSource:
    """A node's log over its public API: checkpoint, tiles, entry bundles, JSON proofs."""

    def __init__(self, http: httpx.Client) -> None:
        self.http = http

    def checkpoint(self) -> str:
        return self._get("/log/checkpoint").text

    def checkpoints(self, after: int) -> Iterator[StoredCheckpoint]:
        cursor = str(after) if after >= 0 else None
        while True:
            params: dict[str, Any] = {"limit": 1000}
            if cursor is not None:
                params["cursor"] = cursor
            page = self._get("/api/v1/log/checkpoints", params=params).json()
            for item in page["items"]:
                yield StoredCheckpoint(int(item["size"]), str(item["note"]))
            cursor = page.get("next_cursor")
            if cursor is None:
                return

    def entries(self, start: int, end: int) -> Iterator[EntryChunk]:
        """Entry bundles, each with its level-0 tile so the served leaf hashes are checked."""
        for index in range(start // TILE_WIDTH, (end + TILE_WIDTH - 1) // TILE_WIDTH):
            width = min(TILE_WIDTH, end - index * TILE_WIDTH)
            bundle, leaves = Tile(ENTRIES, index, width), Tile(0, index, width)
            entries = decode_bundle(self._get(f"/log/{bundle.path()}").content, bundle)
            hashes = decode_hashes(self._get(f"/log/{leaves.path()}").content, leaves)
            first = index * TILE_WIDTH
            skip = max(0, start - first)
            seqs = range(first + skip, first + width)
            yield EntryChunk(seqs, entries[skip:], hashes[skip:])

    def consistency_proof(self, old_size: int, new_size: int) -> list[bytes]:
        body = self._get(
            "/api/v1/log/proofs/consistency", params={"first": old_size, "second": new_size}
        ).json()
        return [base64.b64decode(h) for h in body["proof"]]

    def tree_size(self) -> int:
        return 0  # only what a checkpoint covers is audited over HTTP

    def descriptor(self) -> dict[str, Any]:
        body: dict[str, Any] = self._get("/.well-known/accord-node").json()
        return body

    def _get(self, path: str, **kwargs: Any) -> httpx.Response:
        try:
            response = self.http.get(path, **kwargs)
        except httpx.TransportError as exc:
            raise NodeUnavailable(
                f"cannot reach {self.http.base_url}: {exc}",
                hint="check --url and that the node is running",
            ) from exc
        if response.status_code == 404:
            raise VerificationFailed(
                f"the log does not serve {path}, which its checkpoint needs",
                code="ledger.verify-failed",
            )
        if response.status_code != 200:
            raise NodeUnavailable(
                f"{self.http.base_url}{path} answered {response.status_code}",
                code="ledger.fetch-failed",
            )
        return response
