"""Where an audit reads a log from: a node's public HTTP API, or its own database.

Both serve the same :class:`~accord.ledger.audit.LogSource`; the database one also shows the
hashes stored beside each entry and checkpoint, so a node's operator can check every row.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any

import httpx
from sqlalchemy.orm import Session

from accord.errors import NodeUnavailable, VerificationFailed
from accord.ledger import service
from accord.ledger.audit import EntryChunk, StoredCheckpoint
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
        """Columns straight from the driver's cursor: this is the audit's hot path."""
        sql = (
            "SELECT seq, entry, leaf_hash, COALESCE(nodes, ?) FROM ledger_entries"
            " WHERE seq >= ? AND seq < ? ORDER BY seq"
        )
        service.write_pending(self.session)
        dbapi = self.session.connection().connection.dbapi_connection
        if dbapi is None:
            raise RuntimeError("no database connection")
        if self.session.get_bind().dialect.paramstyle != "qmark":
            sql = sql.replace("?", "%s")
        cursor = dbapi.cursor()
        while start < end:
            stop = min(end, start + self.chunk)
            cursor.execute(sql, (b"", start, stop))
            rows = cursor.fetchall()
            if rows:
                seqs, entries, leaves, nodes = zip(*rows, strict=True)
                yield EntryChunk(seqs, entries, leaves, nodes)
            start = stop

    def consistency_proof(self, old_size: int, new_size: int) -> list[bytes]:
        return service.consistency_proof(self.session, old_size, new_size)

    def tree_size(self) -> int:
        return service.tree_size(self.session)


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
