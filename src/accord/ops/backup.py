"""Backups: a consistent snapshot of a serving node, checked by a manifest of hashes.

A backup is a folder::

    manifest.json        format, node, time, database dialect, every file's SHA-256 and size,
                         and the node key's Ed25519 signature of all that (RFC 8785 canonical form)
    node.json            the node's identity
    keys.sealed          the node's keys, sealed with a passphrase (``ops.sealing``)
    database.sqlite      SQLite's online backup (or database.pgdump: ``pg_dump --format=custom``)
    blobs/sha256/ab/cd/… every blob of the store, under its digest

The database is copied first, in one read transaction (SQLite's backup API; ``pg_dump`` runs in
a repeatable-read snapshot), then the blobs. Blobs are content-addressed and written before the
rows that name them commit, so every blob the snapshot refers to is in the store when the blobs
are copied; blobs committed later are extra copies a restore ignores harmlessly.

The manifest is signed with the node's current key, whose public half and fingerprint it names:
``verify`` checks the signature, and, given the passphrase, that the key sealed in the backup is
the one that signed; given ``--key`` (a fingerprint the operator got from the node's
descriptor), that the signer is that key (decision 1313).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

import rfc8785
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy.engine import make_url

from accord.clock import rfc3339
from accord.config import Settings
from accord.errors import Conflict, InvalidInput, VerificationFailed
from accord.keys import (
    PSEUDONYM_KEY_FILE,
    RETIRED_DIR,
    SIGNING_KEY_FILE,
    fingerprint,
    load_signing_key,
    public_key_b64,
)
from accord.node import NODE_FILE, read_identity
from accord.ops.sealing import seal, unseal
from accord.storage.blobs import blob_key, is_sha256, open_blob_store

FORMAT = "accord-backup/1"
MANIFEST = "manifest.json"
SEALED_KEYS = "keys.sealed"
KEY_FILES = (SIGNING_KEY_FILE, PSEUDONYM_KEY_FILE)
Dialect = Literal["sqlite", "postgresql"]
DATABASE_FILES: dict[Dialect, str] = {"sqlite": "database.sqlite", "postgresql": "database.pgdump"}
Progress = Callable[[str], None]


@dataclass(frozen=True)
class BackupSummary:
    path: Path
    node_id: str
    created_at: str
    dialect: Dialect
    blobs: int
    bytes: int
    key_fingerprint: str
    """The node key that signed the manifest."""

    def as_json(self) -> dict[str, Any]:
        return {
            "path": str(self.path),
            "node_id": self.node_id,
            "key_fingerprint": self.key_fingerprint,
            "created_at": self.created_at,
            "database": self.dialect,
            "blobs": self.blobs,
            "bytes": self.bytes,
        }


def create_backup(settings: Settings, dest: Path, passphrase: str, now: datetime) -> BackupSummary:
    """Snapshot the node of ``settings`` into the new folder ``dest`` while it keeps serving."""
    identity = read_identity(settings.data_dir)
    if identity is None:
        raise InvalidInput(f"no node in {settings.data_dir}", code="node.missing")
    _require_empty(dest, "backup.dest-not-empty", "pick a new folder for the backup")
    dest.mkdir(parents=True, exist_ok=True)
    keys = _key_files(settings.keys_dir)
    _write(dest / SEALED_KEYS, seal(keys, passphrase))
    shutil.copyfile(settings.data_dir / NODE_FILE, dest / NODE_FILE)
    dialect = dialect_of(settings.resolved_database_url)
    _dump_database(settings.resolved_database_url, dialect, dest / DATABASE_FILES[dialect])
    _copy_blobs(settings, dest)
    files = dict(_hash_tree(dest))
    manifest = {
        "format": FORMAT,
        "node_id": identity.node_id,
        "created_at": rfc3339(now),
        "database": dialect,
        "files": files,
    }
    manifest["signature"] = sign_manifest(load_signing_key(settings.keys_dir), manifest)
    _write(dest / MANIFEST, json.dumps(manifest, indent=2, sort_keys=True).encode() + b"\n")
    return _summary(dest, manifest)


def sign_manifest(key: Ed25519PrivateKey, manifest: dict[str, Any]) -> dict[str, str]:
    """The ``signature`` member: the key and its Ed25519 signature of the RFC 8785 canonical
    form of the manifest without that member."""
    public = key.public_key()
    return {
        "algorithm": "Ed25519",
        "key": public_key_b64(public),
        "fingerprint": fingerprint(public),
        "value": base64.b64encode(key.sign(_signed_bytes(manifest))).decode(),
    }


def verify_manifest_signature(manifest: dict[str, Any]) -> Ed25519PublicKey:
    """Raise ``VerificationFailed`` unless the manifest's signature verifies; return the key."""
    signature = manifest.get("signature")
    try:
        if not isinstance(signature, dict) or signature.get("algorithm") != "Ed25519":
            raise ValueError("no Ed25519 signature")
        key = Ed25519PublicKey.from_public_bytes(base64.b64decode(signature["key"], validate=True))
        if fingerprint(key) != signature.get("fingerprint"):
            raise ValueError("the fingerprint is not the key's")
        key.verify(base64.b64decode(signature["value"], validate=True), _signed_bytes(manifest))
    except (InvalidSignature, KeyError, TypeError, ValueError, binascii.Error) as exc:
        raise VerificationFailed(
            "the backup manifest's signature does not verify" + (f" ({exc})" if str(exc) else ""),
            code="backup.bad-signature",
            hint="the manifest was changed or not written by an Accord node: restore another",
        ) from None
    return key


def _signed_bytes(manifest: dict[str, Any]) -> bytes:
    return rfc8785.dumps({k: v for k, v in manifest.items() if k != "signature"})


def _key_files(keys_dir: Path) -> dict[str, bytes]:
    """The current keys and any retired signing keys, by their path under ``keys/``."""
    files = {name: (keys_dir / name).read_bytes() for name in KEY_FILES}
    for path in sorted((keys_dir / RETIRED_DIR).glob("*.pem")):
        files[f"{RETIRED_DIR}/{path.name}"] = path.read_bytes()
    return files


def verify_backup(
    dest: Path, passphrase: str | None = None, expected_key: str | None = None
) -> BackupSummary:
    """Check the manifest's signature and every file against the manifest (and, with
    ``passphrase``, that the sealed keys open and hold the key that signed; with
    ``expected_key``, that the signer has that fingerprint).

    Raises ``VerificationFailed`` naming the first problems found; returns the summary if none.
    """
    manifest = read_manifest(dest)
    signer = verify_manifest_signature(manifest)
    if expected_key is not None and fingerprint(signer) != expected_key.strip():
        raise VerificationFailed(
            f"the backup is signed by the key {fingerprint(signer)}, not {expected_key}",
            code="backup.wrong-key",
            hint="compare with the fingerprint in the node's descriptor (/.well-known/accord-node)",
        )
    listed: dict[str, dict[str, Any]] = manifest["files"]
    found = dict(_hash_tree(dest))
    problems = [f"{name}: missing" for name in sorted(listed.keys() - found.keys())]
    problems += [f"{name}: not in the manifest" for name in sorted(found.keys() - listed.keys())]
    for name in sorted(listed.keys() & found.keys()):
        if found[name] != listed[name]:
            problems.append(f"{name}: content differs from the manifest")
        elif name.startswith("blobs/") and found[name]["sha256"] != name.rsplit("/", 1)[-1]:
            problems.append(f"{name}: content does not match its digest")
    for required in (NODE_FILE, SEALED_KEYS, DATABASE_FILES[manifest["database"]]):
        if required not in listed:
            problems.append(f"{required}: not in the manifest")
    if problems:
        raise VerificationFailed(
            f"backup {dest} does not verify: " + "; ".join(problems[:5]),
            code="backup.corrupt",
            hint="restore from another backup",
        )
    if passphrase is not None:
        _check_sealed_signer(unseal((dest / SEALED_KEYS).read_bytes(), passphrase), signer)
    return _summary(dest, manifest)


def _check_sealed_signer(keys: dict[str, bytes], signer: Ed25519PublicKey) -> None:
    sealed = serialization.load_pem_private_key(keys[SIGNING_KEY_FILE], None)
    if not isinstance(sealed, Ed25519PrivateKey) or fingerprint(sealed.public_key()) != fingerprint(
        signer
    ):
        raise VerificationFailed(
            "the backup manifest is not signed by the node key sealed in the backup",
            code="backup.bad-signature",
            hint="the manifest was replaced: restore another backup",
        )


def restore_backup(
    settings: Settings, dest: Path, passphrase: str, progress: Progress | None = None
) -> BackupSummary:
    """Restore the verified backup ``dest`` into the empty data dir and database of ``settings``."""
    summary = verify_backup(dest, passphrase)
    _require_empty(settings.data_dir, "backup.data-dir-not-empty", "restore into a new data dir")
    url = settings.resolved_database_url
    if dialect_of(url) != summary.dialect:
        raise InvalidInput(
            f"the backup holds a {summary.dialect} database but the target is {dialect_of(url)}",
            code="backup.dialect-mismatch",
            hint="set ACCORD_DATABASE_URL to a database of the backup's kind",
        )
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    settings.keys_dir.mkdir(mode=0o700)
    for name, data in unseal((dest / SEALED_KEYS).read_bytes(), passphrase).items():
        (settings.keys_dir / name).parent.mkdir(mode=0o700, exist_ok=True)
        _write(settings.keys_dir / name, data, mode=0o600)
    _load_database(url, summary.dialect, dest / DATABASE_FILES[summary.dialect])
    _restore_blobs(settings, dest, progress)
    shutil.copyfile(dest / NODE_FILE, settings.data_dir / NODE_FILE)
    return summary


def read_manifest(dest: Path) -> dict[str, Any]:
    try:
        manifest: dict[str, Any] = json.loads((dest / MANIFEST).read_text())
    except (OSError, ValueError):
        raise VerificationFailed(
            f"{dest} has no readable {MANIFEST}", code="backup.no-manifest"
        ) from None
    if manifest.get("format") != FORMAT or manifest.get("database") not in DATABASE_FILES:
        raise VerificationFailed(
            f"{dest / MANIFEST} is not an {FORMAT} manifest", code="backup.no-manifest"
        )
    return manifest


def dialect_of(url: str) -> Dialect:
    backend = make_url(url).get_backend_name()
    if backend not in DATABASE_FILES:
        raise InvalidInput(f"cannot back up a {backend} database", code="backup.dialect")
    return "sqlite" if backend == "sqlite" else "postgresql"


# --- database ----------------------------------------------------------------------------------


def _dump_database(url: str, dialect: Dialect, target: Path) -> None:
    if dialect == "sqlite":
        source = sqlite3.connect(f"file:{_sqlite_path(url)}?mode=ro", uri=True)
        copy = sqlite3.connect(target)
        try:
            source.backup(copy)
        finally:
            copy.close()
            source.close()
    else:
        _run(["pg_dump", "--format=custom", "--no-owner", f"--file={target}", _libpq(url)])


def _load_database(url: str, dialect: Dialect, source: Path) -> None:
    if dialect == "sqlite":
        target = _sqlite_path(url)
        if target.exists():
            raise Conflict(f"{target} exists already", code="backup.database-not-empty")
        shutil.copyfile(source, target)
        return
    count_tables = "select count(*) from pg_tables where schemaname='public'"
    listing = _run(["psql", "-At", "-c", count_tables, _libpq(url)])
    if listing.strip() != "0":
        raise Conflict(
            "the target PostgreSQL database has tables already",
            code="backup.database-not-empty",
            hint="restore into a new, empty database",
        )
    _run(["pg_restore", "--no-owner", "--exit-on-error", f"--dbname={_libpq(url)}", str(source)])


def _sqlite_path(url: str) -> Path:
    database = make_url(url).database
    if not database:
        raise InvalidInput(
            "an in-memory SQLite database has nothing to back up", code="backup.dialect"
        )
    return Path(database)


def _libpq(url: str) -> str:
    """The SQLAlchemy URL without its driver, as libpq tools take it."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _run(command: list[str]) -> str:
    done = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode != 0:
        raise InvalidInput(
            f"{command[0]} failed: {done.stderr.strip()[:500]}",
            code="backup.database-tool-failed",
            hint=f"check that {command[0]} is installed and can reach the database",
        )
    return done.stdout


# --- blobs -------------------------------------------------------------------------------------


def _copy_blobs(settings: Settings, dest: Path) -> None:
    store = open_blob_store(settings)
    for sha256 in store.iter_blobs():
        target = dest / "blobs" / blob_key(sha256)
        target.parent.mkdir(parents=True, exist_ok=True)
        with target.open("wb") as handle:
            for chunk in store.read_range(sha256):
                handle.write(chunk)


def _restore_blobs(settings: Settings, dest: Path, progress: Progress | None) -> None:
    store = open_blob_store(settings)
    for path in sorted((dest / "blobs").glob("sha256/??/??/*")):
        if not is_sha256(path.name) or store.exists(path.name):
            continue
        writer = store.open_writer()
        try:
            with path.open("rb") as source:
                while chunk := source.read(1 << 20):
                    writer.write(chunk)
            writer.commit(path.name)
        except BaseException:
            writer.abort()
            raise
        if progress is not None:
            progress(path.name)


# --- files -------------------------------------------------------------------------------------


def _hash_tree(root: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        name = path.relative_to(root).as_posix()
        if name == MANIFEST:
            continue
        digest = hashlib.sha256()
        with path.open("rb") as handle:
            while chunk := handle.read(1 << 20):
                digest.update(chunk)
        yield name, {"sha256": digest.hexdigest(), "size": path.stat().st_size}


def _summary(dest: Path, manifest: dict[str, Any]) -> BackupSummary:
    files: dict[str, dict[str, Any]] = manifest["files"]
    return BackupSummary(
        path=dest,
        node_id=str(manifest["node_id"]),
        created_at=str(manifest["created_at"]),
        dialect=manifest["database"],
        blobs=sum(1 for name in files if name.startswith("blobs/")),
        bytes=sum(int(f["size"]) for f in files.values()),
        key_fingerprint=str(manifest["signature"]["fingerprint"]),
    )


def _require_empty(path: Path, code: str, hint: str) -> None:
    if path.exists() and any(path.iterdir()):
        raise Conflict(f"{path} is not empty", code=code, hint=hint)


def _write(path: Path, data: bytes, mode: int = 0o600) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
