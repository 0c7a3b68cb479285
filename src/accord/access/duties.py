"""Duties a grant holder takes on: publication reports and a deletion attestation at grant end.

Duties come from the agreement the grant was made under (``report-publications`` within N months
of the grant's start; ``delete-after-use`` within N days of its end). Every grant for download
carries a deletion attestation, due 30 days after its end unless the agreement says otherwise;
sandbox grants never put data in the holder's hands, so they attest nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from accord import ledger
from accord.access import notifications
from accord.access.models import Duty, DutyKind, DutyStatus, Grant, Publication
from accord.agreements.durations import Duration
from accord.errors import Conflict
from accord.i18n.translate import _l
from accord.identity.principal import Principal
from accord.ids import new_id
from accord.labels import label
from accord.node import node_of

DEFAULT_DELETION_DAYS = 30


def duties_for(grant: Grant, terms: dict[str, Any]) -> list[Duty]:
    """The duties of a new grant, read from the agreement's ``duties`` section."""
    duties: list[Duty] = []
    deletion_days: int | None = DEFAULT_DELETION_DAYS if grant.mode == "download" else None
    deletion_clause: str | None = None
    for index, duty in enumerate(terms.get("duties", ())):
        if duty.get("kind") == "report-publications":
            months = int(duty.get("within_months", 12))
            due = Duration.of_months(months).after(grant.starts_at)
            duties.append(_duty(grant, DutyKind.PUBLICATION_REPORT, f"duties[{index}]", due))
        elif duty.get("kind") == "delete-after-use":
            deletion_days = int(duty.get("within_days", 0))
            deletion_clause = f"duties[{index}]"
    if deletion_days is not None:
        due = grant.expires_at + timedelta(days=deletion_days)
        duty = _duty(grant, DutyKind.DELETION_ATTESTATION, deletion_clause, due)
        duty.details = {"within_days": deletion_days}
        duties.append(duty)
    return duties


def _duty(grant: Grant, kind: DutyKind, clause: str | None, due: datetime) -> Duty:
    return Duty(
        id=new_id("dut"),
        kind=kind,
        clause=clause,
        due_at=due,
        status=DutyStatus.OPEN,
        fulfilled_at=None,
        reminded_at=None,
        overdue_notified_at=None,
        details={},
    )


def deletion_due_from(grant: Grant, ended: datetime) -> None:
    """A grant that ends early (revoked) moves its deletion attestation forward."""
    for duty in grant.duties:
        if duty.kind == DutyKind.DELETION_ATTESTATION and duty.status == DutyStatus.OPEN:
            days = int(duty.details.get("within_days", DEFAULT_DELETION_DAYS))
            duty.due_at = min(duty.due_at, ended + timedelta(days=days))


def report_publication(
    session: Session, actor: Principal, grant: Grant, doi: str | None, citation: str
) -> Publication:
    """Record a publication under ``grant``; fulfils an open publication-report duty."""
    now = node_of(session).clock.now()
    publication = Publication(
        id=new_id("pub"),
        grant_id=grant.id,
        doi=doi,
        citation=citation,
        reported_by=actor.user_id,
        reported_at=now,
    )
    session.add(publication)
    fulfilled = _fulfil(grant, DutyKind.PUBLICATION_REPORT, now, {"publication": publication.id})
    ledger.append(
        session,
        ledger.Event(
            "access.publication.reported",
            subjects={"actor": actor.user_id},
            public={
                "grant": grant.id,
                "publication": publication.id,
                "doi": doi,
                "duty": fulfilled,
            },
            record={"citation": citation},
        ),
    )
    return publication


def attest_deletion(session: Session, actor: Principal, grant: Grant, statement: str) -> Duty:
    """The holder attests that their copies are deleted; only once the grant has ended."""
    now = node_of(session).clock.now()
    if grant.status == "active" and now < grant.expires_at:
        raise Conflict(
            _l(
                "grant %(grant_id)s runs until %(until)s: attest deletion at its end",
                grant_id=grant.id,
                until=format(grant.expires_at, "%Y-%m-%d"),
            ),
            code="access.grant-still-active",
        )
    duty = next(
        (
            d
            for d in grant.duties
            if d.kind == DutyKind.DELETION_ATTESTATION and d.status == DutyStatus.OPEN
        ),
        None,
    )
    if duty is None:
        raise Conflict(
            _l("grant %(grant_id)s has no open deletion attestation", grant_id=grant.id),
            code="access.no-open-duty",
        )
    duty.status = DutyStatus.FULFILLED
    duty.fulfilled_at = now
    duty.details = {**duty.details, "statement": statement}
    ledger.append(
        session,
        ledger.Event(
            "access.duty.fulfilled",
            subjects={"actor": actor.user_id},
            public={"grant": grant.id, "duty": duty.id, "kind": duty.kind},
            record={"statement": statement},
        ),
    )
    return duty


def _fulfil(grant: Grant, kind: DutyKind, now: datetime, details: dict[str, str]) -> str | None:
    duty = next((d for d in grant.duties if d.kind == kind and d.status == DutyStatus.OPEN), None)
    if duty is None:
        return None
    duty.status = DutyStatus.FULFILLED
    duty.fulfilled_at = now
    duty.details = {**duty.details, **details}
    return duty.id


def is_overdue(duty: Duty, now: datetime) -> bool:
    return duty.status == DutyStatus.OPEN and duty.due_at <= now


def overdue_duties(
    session: Session, now: datetime, scope: ColumnElement[bool] | None = None
) -> Sequence[Duty]:
    """Open duties past their due time, of grants within ``scope`` (a WHERE clause on grants)."""
    query = (
        select(Duty)
        .join(Grant, Grant.id == Duty.grant_id)
        .where(Duty.status == DutyStatus.OPEN, Duty.due_at <= now)
        .order_by(Duty.due_at)
        .limit(200)
    )
    if scope is not None:
        query = query.where(scope)
    return session.scalars(query).all()


REMIND_BEFORE = timedelta(days=14)


def send_reminders(session: Session, now: datetime) -> int:
    """Remind holders of open duties due within ``REMIND_BEFORE`` (once per duty)."""
    rows = session.execute(
        select(Duty, Grant)
        .join(Grant, Grant.id == Duty.grant_id)
        .where(
            Duty.status == DutyStatus.OPEN,
            Duty.reminded_at.is_(None),
            Duty.due_at > now,
            Duty.due_at <= now + REMIND_BEFORE,
        )
        .limit(1000)
    ).all()
    for duty, grant in rows:
        duty.reminded_at = now
        notifications.notify(
            session,
            grant.user_id,
            "duty.reminder",
            _l(
                "Due %(due)s: %(duty)s for %(dataset)s",
                due=duty.due_at.date(),
                duty=label("duty-kind", duty.kind),
                dataset=grant.dataset_id,
            ),
            _l(
                "Your grant %(grant)s needs a %(duty)s by %(due)s.",
                grant=grant.id,
                duty=label("duty-kind", duty.kind),
                due=duty.due_at,
            ),
            f"/access/grants/{grant.id}",
        )
        ledger.append(
            session,
            ledger.Event(
                "access.duty.reminded",
                subjects={"user": grant.user_id},
                public={"grant": grant.id, "duty": duty.id, "kind": duty.kind},
            ),
        )
    return len(rows)


def flag_overdue(session: Session, now: datetime) -> list[tuple[Duty, Grant]]:
    """Mark duties that just became overdue (once each) and tell their holders."""
    rows = session.execute(
        select(Duty, Grant)
        .join(Grant, Grant.id == Duty.grant_id)
        .where(
            Duty.status == DutyStatus.OPEN,
            Duty.overdue_notified_at.is_(None),
            Duty.due_at <= now,
        )
        .limit(1000)
    ).all()
    flagged = [(duty, grant) for duty, grant in rows]
    for duty, grant in flagged:
        duty.overdue_notified_at = now
        notifications.notify(
            session,
            grant.user_id,
            "duty.overdue",
            _l(
                "Overdue: %(duty)s for %(dataset)s",
                duty=label("duty-kind", duty.kind),
                dataset=grant.dataset_id,
            ),
            _l(
                "The %(duty)s of grant %(grant)s was due %(due)s; the data access committee sees "
                "overdue duties.",
                duty=label("duty-kind", duty.kind),
                grant=grant.id,
                due=duty.due_at.date(),
            ),
            f"/access/grants/{grant.id}",
        )
        ledger.append(
            session,
            ledger.Event(
                "access.duty.overdue",
                subjects={"user": grant.user_id},
                public={"grant": grant.id, "duty": duty.id, "kind": duty.kind},
            ),
        )
    return flagged
