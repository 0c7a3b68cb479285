"""A short-lived, per-process cache of who an API token speaks for (decision 0008).

Every API call authenticates its bearer token. Reading the token, its account and roles from the
database on each call cost more than the rest of a request, so each server process keeps what it
read for ``FRESH_SECONDS`` under the token's SHA-256 digest (never the secret itself). Bounds:

- a change written by this process (token revoked, account suspended, role or accreditation
  changed) empties the cache as soon as it is flushed and again when it commits;
- a change written by another process (another API process, the CLI) takes effect here within
  ``FRESH_SECONDS``;
- a token's expiry is checked against the node's clock on every call, cached or not.

Failures (unknown, revoked, expired tokens) are never cached.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session, UOWTransaction

from accord.identity import schemas
from accord.identity.models import Accreditation, ApiToken, RoleAssignment, User
from accord.identity.principal import Principal

FRESH_SECONDS = 1.0
MAX_ENTRIES = 10_000
_IDENTITY_TABLES = (User, ApiToken, RoleAssignment, Accreditation)
_CHANGED = "accord_identity_changed"


@dataclass(frozen=True)
class TokenHolder:
    """What a token speaks for: the principal and the holder's account document."""

    principal: Principal
    account: schemas.Me
    expires_at: datetime

    @cached_property
    def account_json(self) -> bytes:
        """The account document as ``GET /api/v1/me`` sends it, serialised once per entry."""
        return self.account.model_dump_json(by_alias=True).encode()


@dataclass(frozen=True)
class _Entry:
    holder: TokenHolder
    loaded: float
    generation: int


class TokenCache:
    """Token digest → holder, fresh for ``fresh_seconds`` and until any identity change here."""

    def __init__(
        self,
        fresh_seconds: float = FRESH_SECONDS,
        max_entries: int = MAX_ENTRIES,
        timer: Callable[[], float] = time.monotonic,
    ) -> None:
        self.fresh_seconds = fresh_seconds
        self.max_entries = max_entries
        self.timer = timer
        self._entries: dict[bytes, _Entry] = {}
        self._lock = threading.Lock()

    def get(self, token_digest: bytes) -> TokenHolder | None:
        entry = self._entries.get(token_digest)
        if entry is None:
            return None
        if entry.generation != _generation or self.timer() - entry.loaded > self.fresh_seconds:
            self._entries.pop(token_digest, None)
            return None
        return entry.holder

    def put(self, token_digest: bytes, holder: TokenHolder, generation: int) -> None:
        """Keep ``holder``, read from the database when the generation was ``generation``."""
        if generation != _generation:
            return  # an identity change landed while it was being read
        with self._lock:
            if len(self._entries) >= self.max_entries:
                self._entries.clear()
            self._entries[token_digest] = _Entry(holder, self.timer(), generation)


def generation() -> int:
    """The process's identity generation: read it before loading a holder from the database."""
    return _generation


_generation = 0


def _bump() -> None:
    global _generation
    _generation += 1


@event.listens_for(Session, "after_flush")
def _note_identity_writes(session: Session, _flush: UOWTransaction) -> None:
    changed = (*session.new, *session.dirty, *session.deleted)
    if any(isinstance(obj, _IDENTITY_TABLES) for obj in changed):
        session.info[_CHANGED] = True
        _bump()


@event.listens_for(Session, "do_orm_execute")
def _note_bulk_identity_writes(state: Any) -> None:
    if (state.is_update or state.is_delete) and any(
        mapper.class_ in _IDENTITY_TABLES for mapper in state.all_mappers
    ):
        state.session.info[_CHANGED] = True
        _bump()


@event.listens_for(Session, "after_commit")
def _invalidate_after_commit(session: Session) -> None:
    if session.info.pop(_CHANGED, False):
        _bump()
