"""The running node: settings, database, identity, keys and clock, built once and passed down.

``NodeContext.session()`` opens a database session that carries the context in
``session.info["node"]``, so that ``ledger.append(session, event)`` knows the node, the clock and
the pseudonym key without globals.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from accord import __version__
from accord.clock import Clock, SystemClock
from accord.config import Settings
from accord.db import make_engine, session_factory
from accord.errors import Conflict
from accord.keys import (
    key_file_stamp,
    load_pseudonym_key,
    load_signing_key,
    signing_key_by_fingerprint,
)

NODE_FILE = "node.json"


@dataclass(frozen=True)
class NodeIdentity:
    """Who this node is: ``node.json`` in the data dir, written once by ``accord init``."""

    node_id: str
    name: str
    jurisdiction: str
    base_url: str

    @property
    def log_origin(self) -> str:
        """The transparency log's origin line: host[:port][/path] of the base URL plus ``/log``."""
        parts = urlsplit(self.base_url)
        return f"{parts.netloc}{parts.path.rstrip('/')}/log"

    def as_json(self) -> dict[str, str]:
        return {
            "node_id": self.node_id,
            "name": self.name,
            "jurisdiction": self.jurisdiction,
            "base_url": self.base_url,
        }


def read_identity(data_dir: Path) -> NodeIdentity | None:
    path = data_dir / NODE_FILE
    if not path.exists():
        return None
    raw: dict[str, Any] = json.loads(path.read_text())
    return NodeIdentity(**{k: str(raw[k]) for k in ("node_id", "name", "jurisdiction", "base_url")})


def write_identity(data_dir: Path, identity: NodeIdentity) -> None:
    path = data_dir / NODE_FILE
    if path.exists():
        raise Conflict(f"{path} exists already", code="node.exists")
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(identity.as_json(), indent=2) + "\n")
    os.replace(tmp, path)


class NodeContext:
    """Everything a request, a CLI command or a worker needs to act as this node."""

    def __init__(
        self,
        settings: Settings,
        identity: NodeIdentity,
        *,
        engine: Engine | None = None,
        clock: Clock | None = None,
    ) -> None:
        self.settings = settings
        self.identity = identity
        self.engine = engine or make_engine(settings.resolved_database_url)
        self.clock: Clock = clock or SystemClock()
        self._signing: tuple[tuple[int, int], Ed25519PrivateKey] | None = None
        self._keys_by_fingerprint: dict[str, Ed25519PrivateKey] = {}
        self._sessions: sessionmaker[Session] = session_factory(self.engine)
        self._read_sessions: sessionmaker[Session] = session_factory(
            self.engine.execution_options(accord_readonly=True)
        )

    @property
    def signing_key(self) -> Ed25519PrivateKey:
        """The current signing key, read again when a rotation has replaced its file (one
        ``stat`` a call, so that every process of the node follows a rotation)."""
        stamp = key_file_stamp(self.settings.keys_dir)
        if self._signing is None or self._signing[0] != stamp:
            self._signing = (stamp, load_signing_key(self.settings.keys_dir))
        return self._signing[1]

    def signing_key_for(self, key_fingerprint: str) -> Ed25519PrivateKey:
        """The signing key with ``key_fingerprint``, current or not (the log's signer picks the
        one its key table names, so a process never signs with a key it has not caught up on)."""
        key = self._keys_by_fingerprint.get(key_fingerprint)
        if key is None:
            key = signing_key_by_fingerprint(self.settings.keys_dir, key_fingerprint)
            self._keys_by_fingerprint[key_fingerprint] = key
        return key

    @cached_property
    def pseudonym_key(self) -> bytes:
        return load_pseudonym_key(self.settings.keys_dir)

    @property
    def software_version(self) -> str:
        return __version__

    def session(self, *, readonly: bool = False) -> Session:
        """A new session bound to this node; ``readonly`` skips SQLite's write lock."""
        session = (self._read_sessions if readonly else self._sessions)()
        session.info["node"] = self
        return session


def node_of(session: Session) -> NodeContext:
    """The node a session was opened for (see ``NodeContext.session``)."""
    node = session.info.get("node")
    if not isinstance(node, NodeContext):
        raise RuntimeError("session was not opened through NodeContext.session()")
    return node
