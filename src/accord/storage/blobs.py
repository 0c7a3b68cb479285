"""The blob store: bytes named by their SHA-256, behind a small ``Protocol`` with two back ends.

``LocalBlobStore`` (the default) keeps ``<data_dir>/blobs/sha256/ab/cd/<digest>``; the S3 store
(``accord.storage.s3``) keeps ``<prefix>sha256/ab/cd/<digest>`` in a bucket. Both write through a
``BlobWriter``: bytes go to a temporary name, are flushed to stable storage, and only
``commit(sha256)`` moves them under their digest (see ``accord.storage.ingest``).
"""

from __future__ import annotations

import errno
import os
import re
import secrets
import threading
import weakref
from collections.abc import Iterator
from dataclasses import dataclass
from io import FileIO
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from accord.errors import InvalidInput, NotFound

if TYPE_CHECKING:
    from accord.config import Settings
    from accord.node import NodeContext

SHA256_HEX = re.compile(r"[0-9a-f]{64}")
DEFAULT_CHUNK = 1 << 20


@dataclass(frozen=True)
class BlobInfo:
    """A stored blob: its digest (lowercase hex) and its size in bytes."""

    sha256: str
    size: int


class BlobWriter(Protocol):
    """A blob being written under a temporary name; exactly one of commit/abort ends it."""

    def write(self, data: bytes) -> None: ...

    def commit(self, sha256: str) -> bool:
        """Make the bytes durable and visible as ``sha256``; False if that blob existed already."""
        ...

    def abort(self) -> None:
        """Forget the bytes written so far; nothing stays behind."""
        ...


class BlobStore(Protocol):
    def exists(self, sha256: str) -> bool: ...

    def stat(self, sha256: str) -> BlobInfo:
        """The blob's size; ``NotFound(code="storage.blob-missing")`` if absent."""
        ...

    def read_range(
        self,
        sha256: str,
        start: int = 0,
        end: int | None = None,
        chunk_size: int = DEFAULT_CHUNK,
    ) -> Iterator[bytes]:
        """Bytes ``start..end`` (inclusive; ``None`` = to the end) in chunks of ``chunk_size``."""
        ...

    def open_writer(self) -> BlobWriter:
        """A writer for a new blob, under a temporary name until committed."""
        ...

    def import_file(self, path: Path, sha256: str) -> bool:
        """Move a fsynced, verified local file in as blob ``sha256``; False if it existed.

        The local store renames ``path`` (same file system) or copies it; S3 uploads it straight
        under its final key (an object appears only once complete). ``path`` is gone afterwards.
        """
        ...

    def iter_blobs(self) -> Iterator[str]:
        """The digest of every committed blob (for backups), in no particular order."""
        ...

    def delete(self, sha256: str) -> bool:
        """Remove the blob; False if it was not stored. Only ``accord.storage.releases`` calls
        this, for a blob nothing references any more."""
        ...

    def check_ready(self) -> None:
        """Raise ``OSError`` (or the back end's error) unless the store can take writes now."""
        ...


def is_sha256(value: str) -> bool:
    return SHA256_HEX.fullmatch(value) is not None


def blob_missing(sha256: str) -> NotFound:
    return NotFound(
        f"no blob with sha256 {sha256[:80]} is stored on this node",
        code="storage.blob-missing",
    )


def blob_key(sha256: str) -> str:
    """The relative name of a blob: ``sha256/ab/cd/<digest>`` (fan-out keeps folders small)."""
    return f"sha256/{sha256[:2]}/{sha256[2:4]}/{sha256}"


def open_blob_store(settings: Settings) -> BlobStore:
    """The store ``settings.storage_url`` names: S3 for ``s3://…``, else ``<data_dir>/blobs``."""
    url = settings.storage_url
    if url is None or url == "":
        return LocalBlobStore(settings.data_dir / "blobs")
    if url.startswith("s3://"):
        from accord.storage.s3 import S3BlobStore

        return S3BlobStore.from_url(url)
    if url.startswith("file://"):
        return LocalBlobStore(Path(url.removeprefix("file://")))
    raise InvalidInput(
        f"the storage URL {url!r} is not supported",
        code="storage.bad-url",
        hint="use s3://bucket[/prefix]?endpoint=… or leave ACCORD_STORAGE_URL unset",
    )


_STORES: weakref.WeakKeyDictionary[NodeContext, BlobStore] = weakref.WeakKeyDictionary()
_STORES_LOCK = threading.Lock()


def blob_store_of(node: NodeContext) -> BlobStore:
    """The node's blob store, opened once per node and reused."""
    with _STORES_LOCK:
        store = _STORES.get(node)
        if store is None:
            store = _STORES[node] = open_blob_store(node.settings)
        return store


class LocalBlobStore:
    """Blobs as read-only files under ``root``; temporary files in ``root/.tmp`` (same disk)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.tmp_dir = root / ".tmp"

    def path_of(self, sha256: str) -> Path:
        if not is_sha256(sha256):
            raise blob_missing(sha256)
        return self.root / blob_key(sha256)

    def exists(self, sha256: str) -> bool:
        return is_sha256(sha256) and self.path_of(sha256).is_file()

    def check_ready(self) -> None:
        self.tmp_dir.mkdir(parents=True, exist_ok=True)
        if not os.access(self.tmp_dir, os.W_OK | os.X_OK):
            raise PermissionError(f"{self.tmp_dir} is not writable")

    def stat(self, sha256: str) -> BlobInfo:
        try:
            return BlobInfo(sha256, self.path_of(sha256).stat().st_size)
        except FileNotFoundError:
            raise blob_missing(sha256) from None

    def read_range(
        self,
        sha256: str,
        start: int = 0,
        end: int | None = None,
        chunk_size: int = DEFAULT_CHUNK,
    ) -> Iterator[bytes]:
        try:
            handle = self.path_of(sha256).open("rb", buffering=0)
        except FileNotFoundError:
            raise blob_missing(sha256) from None
        return _read_file(handle, start, end, chunk_size)

    def iter_blobs(self) -> Iterator[str]:
        for path in (self.root / "sha256").glob("??/??/*"):
            if is_sha256(path.name) and path.is_file():
                yield path.name

    def delete(self, sha256: str) -> bool:
        path = self.path_of(sha256)
        try:
            path.unlink()
        except FileNotFoundError:
            return False
        _fsync_dir(path.parent)
        return True

    def open_writer(self) -> LocalBlobWriter:
        self.tmp_dir.mkdir(parents=True, exist_ok=True)
        return LocalBlobWriter(self, self.tmp_dir / f"{secrets.token_hex(16)}.part")

    def import_file(self, path: Path, sha256: str) -> bool:
        target = self.path_of(sha256)
        if target.is_file():
            path.unlink()
            return False
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.chmod(path, 0o444)
            os.replace(path, target)
        except OSError as error:
            if error.errno != errno.EXDEV:
                raise
            self._copy_in(path, sha256)
            return True
        _fsync_dir(target.parent)
        return True

    def _copy_in(self, path: Path, sha256: str) -> None:
        """Another file system: copy through a writer (temporary name, fsync, rename)."""
        writer = self.open_writer()
        try:
            with path.open("rb") as source:
                while chunk := source.read(DEFAULT_CHUNK):
                    writer.write(chunk)
            writer.commit(sha256)
        except BaseException:
            writer.abort()
            raise
        path.unlink()


def _read_file(handle: FileIO, start: int, end: int | None, chunk_size: int) -> Iterator[bytes]:
    with handle:
        size = os.fstat(handle.fileno()).st_size
        last = size - 1 if end is None else min(end, size - 1)
        handle.seek(start)
        remaining = last - start + 1
        while remaining > 0:
            chunk = handle.read(min(chunk_size, remaining))
            if not chunk:
                return
            remaining -= len(chunk)
            yield chunk


class LocalBlobWriter:
    """Write ``.tmp/<random>.part``; commit = fsync, rename under the digest, fsync the folder."""

    def __init__(self, store: LocalBlobStore, path: Path) -> None:
        self.store = store
        self.path = path
        self._fd: int | None = os.open(
            path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o600
        )

    def write(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            written = os.write(self._require_fd(), view)
            view = view[written:]

    def commit(self, sha256: str) -> bool:
        fd = self._require_fd()
        os.fsync(fd)
        os.fchmod(fd, 0o444)
        self._close()
        target = self.store.path_of(sha256)
        if target.is_file():
            self.path.unlink()
            return False
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(self.path, target)
        _fsync_dir(target.parent)
        return True

    def abort(self) -> None:
        self._close()
        self.path.unlink(missing_ok=True)

    def _require_fd(self) -> int:
        if self._fd is None:
            raise RuntimeError("this blob writer is closed")
        return self._fd

    def _close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
