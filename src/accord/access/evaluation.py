"""Asking the agreements engine about a request: the context built from what the node knows.

The requester's country, organisation (its ROR id, for IS and ODRL ``recipient``),
accreditations with their expiry, and the suspensions in force on them or their organisation
come from the identity domain and this package; the purpose, mode and duration come from the
request. ``evaluate`` itself is the engine's pure function (DESIGN.md rule 2).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from accord.access.governing import Governing
from accord.access.models import Grant
from accord.access.suspensions import suspensions_of
from accord.agreements import context as ctx
from accord.agreements.compiled import compile_agreement
from accord.agreements.decision import Decision, Mode
from accord.agreements.durations import Duration
from accord.agreements.engine import evaluate
from accord.agreements.ontology import default_vocabulary
from accord.errors import FieldError, InvalidInput
from accord.i18n.translate import N_
from accord.identity import service as identity
from accord.identity.models import User
from accord.node import node_of


@dataclass(frozen=True)
class Asked:
    """What a request asks for, validated: DUO purpose, diseases, mode and duration."""

    purpose_codes: tuple[str, ...]
    disease_codes: tuple[str, ...]
    commercial: bool
    ethics_approval: bool
    project: str | None
    mode: Mode
    duration: Duration
    country: str | None = None
    """Where the data would be used, when a what-if question states it (None: the user's)."""


def purpose_of(asked: Asked) -> ctx.Purpose:
    """The engine's ``Purpose``; unknown DUO or disease terms are a field error."""
    try:
        return ctx.purpose_from_codes(
            asked.purpose_codes,
            default_vocabulary(),
            diseases=asked.disease_codes,
            commercial=asked.commercial,
            ethics_approval=asked.ethics_approval,
            project=asked.project,
        )
    except ctx.UnknownPurposeTerm as unknown:
        field = "diseases" if "disease" in str(unknown) else "purpose"
        raise InvalidInput(
            str(unknown),
            code="access.unknown-purpose-term",
            errors=[FieldError(field, str(unknown))],
            hint=N_("name DUO purposes such as GRU, HMB, DS or POA, and MONDO ids for diseases"),
        ) from None


def decide(session: Session, user: User, governing: Governing, asked: Asked) -> Decision:
    """The engine's decision on ``asked`` by ``user`` under ``governing``, as of now."""
    node = node_of(session)
    now = node.clock.now()
    requester = requester_of(session, user, now)
    if asked.country is not None:
        requester = replace(requester, country=asked.country)
    context = ctx.Context(
        requester=requester,
        purpose=purpose_of(asked),
        mode=asked.mode,
        duration=asked.duration,
        now=now,
        node_country=node.identity.jurisdiction,
        prior_uses=_prior_uses(session, user.id, governing.dataset_id),
    )
    return evaluate(compile_agreement(governing.document), context)


def requester_of(session: Session, user: User, now: datetime) -> ctx.Requester:
    organisation = user.organisation
    return ctx.Requester(
        country=user.country,
        user=user.id,
        organisation=organisation.ror_id if organisation is not None else None,
        accreditations=tuple(
            ctx.Accreditation(a.kind, _end_of(a.expires_on) if a.expires_on else None)
            for a in identity.accreditations_of(session, user.id)
        ),
        sanctions=tuple(
            ctx.Sanction(s.id, s.starts_at, s.ends_at, f"{s.kind} of the {s.subject_kind}")
            for s in suspensions_of(session, user.id, user.organisation_id, now)
        ),
    )


def _prior_uses(session: Session, user_id: str, dataset_id: str) -> int:
    count = session.scalar(
        select(func.count())
        .select_from(Grant)
        .where(Grant.user_id == user_id, Grant.dataset_id == dataset_id)
    )
    return int(count or 0)


def _end_of(day: date) -> datetime:
    """An accreditation valid "until" a day is valid through the end of that day (UTC)."""
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=UTC)
