"""The linking policy and the roles an IdP's entitlements grant, on the service (decision 1301)."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.config import OidcProvider
from accord.errors import Conflict, Forbidden
from accord.identity.linking import ExternalProfile, user_for_sign_in
from accord.identity.models import IdentityLink, User
from accord.identity.permissions import Role
from accord.ledger.models import LedgerEntry
from tests.conftest import MakeAccount

ORCID = "0000-0002-1825-0097"


def idp(**changes: object) -> OidcProvider:
    fields: dict[str, object] = {
        "id": "aai",
        "name": "Research AAI",
        "issuer": "https://aai.example.org",
        "client_id": "accord",
    }
    return OidcProvider(**(fields | changes))


def profile(**changes: object) -> ExternalProfile:
    fields: dict[str, object] = {
        "subject": "s-1",
        "name": "Ana Lima",
        "email": "ana@example.org",
        "email_verified": True,
        "orcid": None,
        "ror": None,
        "affiliation": None,
        "country": "BR",
        "roles": frozenset(),
    }
    return ExternalProfile(**(fields | changes))  # type: ignore[arg-type]


def roles_of(session: Session, user_id: str) -> list[tuple[str, str | None]]:
    return sorted((r.role, r.idp) for r in session.get_one(User, user_id).roles)


def test_entitlement_roles_follow_the_idp(session: Session) -> None:
    user = user_for_sign_in(session, idp(), profile(roles=frozenset({Role.COMMITTEE})))
    session.commit()
    assert roles_of(session, user.id) == [("committee", "aai"), ("researcher", None)]
    again = user_for_sign_in(session, idp(), profile(roles=frozenset()))
    session.commit()
    assert again.id == user.id
    assert roles_of(session, user.id) == [("researcher", None)]
    kinds = list(session.scalars(select(LedgerEntry.event_type)))
    assert kinds.count("identity.role.granted") == 1
    assert kinds.count("identity.role.revoked") == 1


def test_orcid_links_only_from_a_provider_trusted_for_it(
    session: Session, make_account: MakeAccount
) -> None:
    account = make_account(Role.STEWARD, orcid=ORCID)
    with pytest.raises(Conflict):  # untrusted: the iD is taken, no new account, no link
        user_for_sign_in(session, idp(), profile(email="other@example.org", orcid=ORCID))
    session.rollback()
    user = user_for_sign_in(session, idp(link_on=["orcid"]), profile(email=None, orcid=ORCID))
    session.commit()
    assert user.id == account.id
    assert session.scalars(select(IdentityLink)).one().linked_by == "orcid"


def test_unverified_email_never_links(session: Session, make_account: MakeAccount) -> None:
    account = make_account(Role.RESEARCHER)
    with pytest.raises(Conflict):
        user_for_sign_in(
            session, idp(link_on=["email"]), profile(email=account.email, email_verified=False)
        )


def test_a_provider_may_refuse_new_accounts_and_suspended_users_stay_out(
    session: Session, make_account: MakeAccount
) -> None:
    with pytest.raises(Forbidden, match="does not create accounts"):
        user_for_sign_in(session, idp(create_accounts=False), profile())
    session.rollback()
    user = user_for_sign_in(session, idp(), profile())
    user.status = "suspended"
    session.commit()
    with pytest.raises(Forbidden, match="suspended"):
        user_for_sign_in(session, idp(), profile())


def test_a_subject_links_to_one_account_only(session: Session, make_account: MakeAccount) -> None:
    first = make_account(Role.RESEARCHER)
    second = make_account(Role.RESEARCHER)
    user_for_sign_in(session, idp(), profile(), link_to=first.id)
    session.commit()
    with pytest.raises(Conflict, match="linked to another account"):
        user_for_sign_in(session, idp(), profile(), link_to=second.id)
