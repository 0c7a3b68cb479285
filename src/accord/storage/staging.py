"""Staged bytes of resumable uploads: one local file per upload, appended to by tus PATCHes.

A PATCH holds an exclusive ``flock`` on the file (a second writer gets a clear 409), writes at
the recorded offset (dropping any bytes past it that an interrupted request left), and fsyncs
before the new offset is recorded, so the database never claims bytes the disk may not have.
The running SHA-256 of each upload is kept in memory between PATCHes; a process that did not
see the earlier bytes re-hashes them from the file.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import threading
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from accord.errors import Conflict, NotFound
from accord.storage.blobs import DEFAULT_CHUNK

if TYPE_CHECKING:
    from hashlib import _Hash

CACHED_DIGESTS = 256


class Appender:
    """Bytes appended by one request: written, hashed and counted as they arrive."""

    def __init__(self, fd: int, digest: _Hash, offset: int) -> None:
        self._fd = fd
        self.digest = digest
        self.offset = offset

    def write(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            written = os.write(self._fd, view)
            view = view[written:]
        self.digest.update(data)
        self.offset += len(data)


class UploadStaging:
    """Staged upload files under ``root`` (``<upload_id>.part``)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._digests: OrderedDict[str, tuple[int, _Hash]] = OrderedDict()
        self._lock = threading.Lock()

    def path_of(self, upload_id: str) -> Path:
        return self.root / f"{upload_id}.part"

    def create(self, upload_id: str) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path_of(upload_id), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        os.close(fd)

    @contextmanager
    def appending(self, upload_id: str, offset: int) -> Iterator[Appender]:
        """Append at ``offset``; on leaving, fsync. The caller records the new offset."""
        try:
            fd = os.open(self.path_of(upload_id), os.O_RDWR)
        except FileNotFoundError:
            raise _staged_missing(upload_id) from None
        try:
            _lock_or_conflict(fd, upload_id)
            if os.fstat(fd).st_size < offset:
                raise _staged_missing(upload_id)
            os.ftruncate(fd, offset)
            os.lseek(fd, offset, os.SEEK_SET)
            appender = Appender(fd, self._digest_at(upload_id, offset), offset)
            try:
                yield appender
            finally:
                os.fsync(fd)
        finally:
            os.close(fd)

    def remember(self, upload_id: str, appender: Appender) -> None:
        """Keep the running digest of ``upload_id`` at its newly recorded offset."""
        with self._lock:
            self._digests[upload_id] = (appender.offset, appender.digest.copy())
            self._digests.move_to_end(upload_id)
            while len(self._digests) > CACHED_DIGESTS:
                self._digests.popitem(last=False)

    def discard(self, upload_id: str) -> None:
        with self._lock:
            self._digests.pop(upload_id, None)
        self.path_of(upload_id).unlink(missing_ok=True)

    def forget(self, upload_id: str) -> None:
        with self._lock:
            self._digests.pop(upload_id, None)

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
                break
            digest.update(chunk)
            remaining -= len(chunk)
    return digest


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
