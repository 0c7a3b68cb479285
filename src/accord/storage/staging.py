"""Staged bytes of resumable uploads: ``<id>.part`` (the bytes) and ``<id>.offset`` (how many
of them are durable), one pair per upload, appended to by tus PATCHes.

A PATCH holds an exclusive ``flock`` on the ``.part`` file for its whole length (a second writer
gets a clear 409), checks the client's offset against the recorded one under that lock, writes
from there (dropping any tail an interrupted request left), fsyncs, and only then records the
new offset (temporary name, fsync, rename). The recorded offset therefore never claims bytes the
disk may not hold. Progress lives beside the bytes it describes, not in the database: it is
transient, and only an upload's creation and outcome are node events (decision 0202).

The running SHA-256 of each upload is kept in memory between PATCHes; a process that did not
see the earlier bytes re-hashes them from the file.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import threading
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from accord.errors import Conflict, NotFound
from accord.storage.blobs import DEFAULT_CHUNK

if TYPE_CHECKING:
    from hashlib import _Hash

CACHED_DIGESTS = 256
IOV_MAX = 1024
WRITEBACK_BYTES = 8 << 20


class Appender:
    """Bytes appended by one request: written, hashed and counted as they arrive."""

    def __init__(self, fd: int, digest: _Hash, offset: int) -> None:
        self.fd = fd
        self.digest = digest
        self.offset = offset
        self._flushed = offset

    def write(self, chunks: Sequence[bytes]) -> None:
        """Write ``chunks`` in order (one ``writev`` when the disk takes it all) and hash them."""
        for chunk in chunks:
            self.digest.update(chunk)
        pending = [memoryview(c) for c in chunks if c]
        while pending:
            written = os.writev(self.fd, pending[:IOV_MAX])
            self.offset += written
            while pending and written >= len(pending[0]):
                written -= len(pending.pop(0))
            if pending and written:
                pending[0] = pending[0][written:]
        if self.offset - self._flushed >= WRITEBACK_BYTES:
            self._start_writeback()

    def _start_writeback(self) -> None:
        """Ask the kernel to start writing what we wrote so far (``POSIX_FADV_DONTNEED`` starts
        asynchronous writeback on Linux), so that the final fsync has little left to do and the
        page cache does not fill with an upload's bytes."""
        os.posix_fadvise(
            self.fd, self._flushed, self.offset - self._flushed, os.POSIX_FADV_DONTNEED
        )
        self._flushed = self.offset


class UploadStaging:
    """Staged uploads under ``root``."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._digests: OrderedDict[str, tuple[int, _Hash]] = OrderedDict()
        self._lock = threading.Lock()

    def path_of(self, upload_id: str) -> Path:
        return self.root / f"{upload_id}.part"

    def create(self, upload_id: str) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        os.close(os.open(self.path_of(upload_id), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        self._record_offset(upload_id, 0)

    def offset_of(self, upload_id: str) -> int:
        """How many bytes of the upload are durably staged."""
        try:
            return int(self._offset_path(upload_id).read_text())
        except FileNotFoundError:
            raise _staged_missing(upload_id) from None

    @contextmanager
    def appending(self, upload_id: str, offset: int) -> Iterator[Appender]:
        """Hold the upload's lock and append from ``offset`` (which must be the recorded one).

        Bytes written count only once ``commit(appender)`` records them; the lock is held until
        the block ends, so the caller may complete the upload inside it.
        """
        try:
            fd = os.open(self.path_of(upload_id), os.O_RDWR)
        except FileNotFoundError:
            raise _staged_missing(upload_id) from None
        try:
            _lock_or_conflict(fd, upload_id)
            recorded = self.offset_of(upload_id)
            if offset != recorded:
                raise offset_conflict(upload_id, recorded, offset)
            os.ftruncate(fd, offset)
            os.lseek(fd, offset, os.SEEK_SET)
            yield Appender(fd, self._digest_at(upload_id, offset), offset)
        finally:
            os.close(fd)

    def commit(self, upload_id: str, appender: Appender) -> None:
        """fsync the bytes, then record the new offset and keep the running digest."""
        os.fsync(appender.fd)
        self._record_offset(upload_id, appender.offset)
        with self._lock:
            self._digests[upload_id] = (appender.offset, appender.digest.copy())
            self._digests.move_to_end(upload_id)
            while len(self._digests) > CACHED_DIGESTS:
                self._digests.popitem(last=False)

    def discard(self, upload_id: str) -> None:
        """Forget the upload: its bytes (if not moved into the store), offset and digest."""
        with self._lock:
            self._digests.pop(upload_id, None)
        self.path_of(upload_id).unlink(missing_ok=True)
        self._offset_path(upload_id).unlink(missing_ok=True)

    def discard_strays(self, owned: set[str], before: datetime) -> int:
        """Discard staged uploads not in ``owned`` last written before ``before``; how many."""
        if not self.root.is_dir():
            return 0
        strays: set[str] = set()
        for path in self.root.iterdir():
            upload_id = path.name.split(".", 1)[0]
            if upload_id in owned or upload_id in strays:
                continue
            try:
                if path.stat().st_mtime < before.timestamp():
                    strays.add(upload_id)
            except FileNotFoundError:
                continue
        for upload_id in strays:
            self.discard(upload_id)
        return len(strays)

    def _offset_path(self, upload_id: str) -> Path:
        return self.root / f"{upload_id}.offset"

    def _record_offset(self, upload_id: str, offset: int) -> None:
        tmp = self.root / f"{upload_id}.offset.tmp"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.write(fd, str(offset).encode())
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, self._offset_path(upload_id))

    def _digest_at(self, upload_id: str, offset: int) -> _Hash:
        with self._lock:
            cached = self._digests.get(upload_id)
            if cached is not None and cached[0] == offset:
                return cached[1].copy()
        return _hash_prefix(self.path_of(upload_id), offset)


def _hash_prefix(path: Path, length: int) -> _Hash:
    """SHA-256 state after the first ``length`` bytes of ``path`` (a cold resume)."""
    digest = hashlib.sha256()
    with path.open("rb", buffering=0) as handle:
        remaining = length
        while remaining > 0:
            chunk = handle.read(min(DEFAULT_CHUNK, remaining))
            if not chunk:
                raise _staged_missing(path.stem)
            digest.update(chunk)
            remaining -= len(chunk)
    return digest


def offset_conflict(upload_id: str, recorded: int, sent: int) -> Conflict:
    return Conflict(
        f"upload {upload_id} stands at offset {recorded}, not {sent}",
        code="storage.upload-offset",
        hint="ask for the current offset (HEAD) and send the bytes from there",
        extra={"offset": recorded},
    )


def _lock_or_conflict(fd: int, upload_id: str) -> None:
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        raise Conflict(
            f"another request is sending bytes to upload {upload_id}",
            code="storage.upload-busy",
            hint="wait for it to finish, then ask for the offset (HEAD) and resume",
        ) from None


def _staged_missing(upload_id: str) -> NotFound:
    return NotFound(
        f"the staged bytes of upload {upload_id} are gone",
        code="storage.upload-missing",
        hint="start the upload again",
    )
