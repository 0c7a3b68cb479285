"""Where the sandbox learns that a researcher may query a version: a ``GrantSource``.

Grants belong to the access workflow. The sandbox only asks one question, through a small
``Protocol``: does this user hold an active sandbox grant for this version, and under which
disclosure settings? ``AccessGrants`` answers it from the access workflow
(``accord.access.service.sandbox_grant_for``); the settings are the ``disclosure`` section of the
grant's agreement, with the node's defaults (``SandboxSettings.disclosure``) for what it leaves
out. A
job keeps a copy of the answer (grant id, expiry, settings), so that a worker can check it
without asking again; ``service.end_grant`` fails the queued jobs of a grant that ended early.
"""

from __future__ import annotations

import threading
import weakref
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from pydantic import ValidationError
from sqlalchemy.orm import Session

from accord.access import service as access
from accord.agreements.disclosure import DisclosureTerms
from accord.errors import Conflict
from accord.i18n.translate import N_, _l
from accord.node import NodeContext, node_of
from accord.sandbox.policy import DisclosurePolicy, resolve
from accord.sandbox.settings import sandbox_settings_of


@dataclass(frozen=True)
class SandboxGrant:
    """An active grant to use one dataset version in the sandbox."""

    grant_id: str
    user_id: str
    dataset_id: str
    version_id: str
    expires_at: datetime
    policy: DisclosurePolicy


class GrantSource(Protocol):
    def active_sandbox_grant(
        self, session: Session, user_id: str, version_id: str, now: datetime
    ) -> SandboxGrant | None:
        """The user's grant to query ``version_id`` in the sandbox at ``now``, or None."""
        ...


class AccessGrants:
    """Sandbox-mode grants of the access workflow."""

    def active_sandbox_grant(
        self, session: Session, user_id: str, version_id: str, now: datetime
    ) -> SandboxGrant | None:
        found = access.sandbox_grant_for(session, user_id, version_id, now)
        if found is None:
            return None
        return SandboxGrant(
            grant_id=found.grant_id,
            user_id=found.user_id,
            dataset_id=found.dataset_id,
            version_id=found.version_id,
            expires_at=found.expires_at,
            policy=policy_of(
                found.grant_id, found.disclosure, sandbox_settings_of(node_of(session)).disclosure
            ),
        )


def policy_of(
    grant_id: str, disclosure: dict[str, Any] | None, defaults: DisclosurePolicy
) -> DisclosurePolicy:
    """The agreement's disclosure section over the node's defaults; a section that does not
    read as one stops the job (fail closed) rather than fall back to defaults."""
    try:
        return resolve(DisclosureTerms.model_validate(disclosure or {}), defaults)
    except ValidationError as error:
        raise Conflict(
            _l(
                "the disclosure settings of the agreement behind grant %(grant_id)s "
                "are not valid: %(error)s",
                grant_id=grant_id,
                error=error.errors()[0]["msg"],
            ),
            code="sandbox.invalid-disclosure-settings",
            hint=N_("the data steward corrects the agreement's disclosure section"),
        ) from None


_SOURCES: weakref.WeakKeyDictionary[NodeContext, GrantSource] = weakref.WeakKeyDictionary()
_LOCK = threading.Lock()


def grant_source_of(node: NodeContext) -> GrantSource:
    """The node's grant source: the access workflow's grants."""
    with _LOCK:
        source = _SOURCES.get(node)
        if source is None:
            source = _SOURCES[node] = _default_source()
        return source


def use_grant_source(node: NodeContext, source: GrantSource) -> None:
    """Use ``source`` for this node (embedding a node in another system, tests)."""
    with _LOCK:
        _SOURCES[node] = source


def _default_source() -> GrantSource:
    return AccessGrants()
