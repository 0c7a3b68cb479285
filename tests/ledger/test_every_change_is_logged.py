"""DESIGN.md rule 1: every state change commits with its log entry.

Two parts. The guard (``tests/ledger/guard.py``) runs under the whole suite, so every test that
drives a service of any domain fails if that service commits a change without an entry; here we
check the guard itself catches one. And each state-changing service of the identity domain is
driven here one by one, checking that its entry is appended in the same transaction.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from accord import ledger
from accord.identity import schemas, service
from accord.identity.models import Organisation
from accord.identity.permissions import Role
from accord.identity.principal import local_operator
from accord.ledger.models import LedgerEntry
from accord.node import NodeContext
from tests.ledger.guard import UnloggedChange, changed_table

OPERATOR = local_operator()


def test_the_guard_refuses_a_change_without_an_entry(node: NodeContext) -> None:
    with node.session() as s:
        s.add(Organisation(id="org_x", name="Sneaky", country="CH", created_at=node.clock.now()))
        with pytest.raises(UnloggedChange, match=r"\['INSERT organisations'\]"):
            s.commit()


def test_the_guard_lets_a_logged_change_through(node: NodeContext) -> None:
    with node.session() as s:
        s.add(Organisation(id="org_y", name="Open", country="CH", created_at=node.clock.now()))
        ledger.append(s, ledger.Event("identity.organisation.created", public={"id": "org_y"}))
        s.commit()


@pytest.mark.parametrize(
    ("statement", "change"),
    [
        ("INSERT INTO users (id) VALUES (?)", "INSERT users"),
        ('UPDATE "datasets" SET x = 1', "UPDATE datasets"),
        ("DELETE FROM api_tokens WHERE id = ?", "DELETE api_tokens"),
        ("INSERT OR REPLACE INTO rate_counters VALUES (?)", "INSERT rate_counters"),
        ("SELECT * FROM users", None),
    ],
)
def test_the_guard_reads_statements(statement: str, change: str | None) -> None:
    assert changed_table(statement) == change


# --- every state-changing identity service --------------------------------------------------


def _user(s: Session, email: str = "a@example.org") -> str:
    data = schemas.UserCreate(name="A", email=email, country="CH", roles=[Role.RESEARCHER])
    return service.create_user(s, OPERATOR, data)[0].id


def _org(s: Session) -> str:
    data = schemas.OrganisationCreate(name="Org", country="CH")
    return service.create_organisation(s, OPERATOR, data).id


def _suspend(s: Session) -> None:
    service.set_user_status(s, OPERATOR, _user(s), suspended=True, reason="test")


def _reactivate(s: Session) -> None:
    user = _user(s)
    service.set_user_status(s, OPERATOR, user, suspended=True, reason="test")
    service.set_user_status(s, OPERATOR, user, suspended=False, reason="test")


def _grant_role(s: Session) -> None:
    service.add_role(s, OPERATOR, _user(s), schemas.RoleAdd(role=Role.STEWARD))


def _revoke_role(s: Session) -> None:
    user = service.add_role(s, OPERATOR, _user(s), schemas.RoleAdd(role=Role.STEWARD))
    service.remove_role(s, OPERATOR, user.id, user.roles[-1].id)


def _accredit(s: Session) -> None:
    data = schemas.AccreditationCreate(kind="GCP", issuer="Board", issued_on=date(2025, 1, 1))
    service.add_accreditation(s, OPERATOR, _user(s), data)


def _create_token(s: Session) -> None:
    user = service.get_user(s, _user(s))
    me = service.principal_for(user, via="test")
    service.create_token(s, me, user.id, schemas.TokenCreate(name="t"))


def _revoke_token(s: Session) -> None:
    user = service.get_user(s, _user(s))
    me = service.principal_for(user, via="test")
    _, token = service.create_token(s, me, user.id, schemas.TokenCreate(name="t"))
    service.revoke_token(s, me, token.id)


def _set_language(s: Session) -> None:
    me = service.principal_for(service.get_user(s, _user(s)), via="test")
    service.set_preferences(s, me, schemas.Preferences(language="fr"))


IDENTITY_SERVICES: dict[str, tuple[Callable[[Session], object], str]] = {
    "create_organisation": (_org, "identity.organisation.created"),
    "create_user": (_user, "identity.user.created"),
    "set_user_status (suspend)": (_suspend, "identity.user.suspended"),
    "set_user_status (reactivate)": (_reactivate, "identity.user.reactivated"),
    "add_role": (_grant_role, "identity.role.granted"),
    "remove_role": (_revoke_role, "identity.role.revoked"),
    "add_accreditation": (_accredit, "identity.accreditation.granted"),
    "create_token": (_create_token, "identity.token.created"),
    "revoke_token": (_revoke_token, "identity.token.revoked"),
    "set_preferences": (_set_language, "identity.preferences.changed"),
}


@pytest.mark.parametrize("name", IDENTITY_SERVICES, ids=list(IDENTITY_SERVICES))
def test_identity_service_logs_its_change_in_the_same_transaction(
    node: NodeContext, name: str
) -> None:
    drive, event_type = IDENTITY_SERVICES[name]
    with node.session() as s:
        drive(s)
        inside = [json.loads(e)["type"] for e in s.scalars(select(LedgerEntry.entry))]
        assert event_type in inside
        s.rollback()
    with node.session() as s:
        assert s.scalar(select(LedgerEntry.seq)) is None, "the entry outlived its rollback"
        drive(s)
        s.commit()
    with node.session() as s:
        types = [json.loads(e)["type"] for e in s.scalars(select(LedgerEntry.entry))]
        assert event_type in types
