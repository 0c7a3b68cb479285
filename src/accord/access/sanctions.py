"""Sanctions the review body imposes: a warning, a suspension for a period, revocation of grants.

A suspension of a user or an organisation pauses their grants (the grant check refuses while it
is in force) and makes the engine refuse their new requests (it enters the decision context).
A revocation revokes grants (by default every active grant of the subject). Sanctions can be
lifted, and appealed; an overturned revocation reinstates the grants it revoked.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from accord import ledger
from accord.access import authority, grants, notifications
from accord.access.models import (
    BreachReport,
    Grant,
    GrantStatus,
    Sanction,
    SanctionKind,
    SanctionSubject,
)
from accord.access.schemas import SanctionIn
from accord.agreements.durations import Duration
from accord.errors import Conflict, FieldError, Forbidden, InvalidInput, NotFound
from accord.i18n.translate import N_, _l
from accord.identity import service as identity
from accord.identity.models import User
from accord.identity.permissions import Permission
from accord.identity.principal import Principal
from accord.ids import new_id
from accord.labels import label
from accord.node import node_of
from accord.paging import fetch_page


def impose(session: Session, actor: Principal, data: SanctionIn) -> Sanction:
    """Impose a sanction (review body); linked to a breach report when ``breach_id`` is given."""
    breach = _breach_in_scope(session, actor, data.breach_id)
    _check_subject(session, data)
    now = node_of(session).clock.now()
    sanction = Sanction(
        id=new_id("snc"),
        kind=data.kind,
        subject_kind=data.subject_kind,
        subject_id=data.subject_id,
        breach_id=breach.id if breach else None,
        reason=data.reason,
        starts_at=now,
        ends_at=_end(data, now),
        imposed_by=actor.user_id,
        revoked_grants=[],
        lifted_at=None,
        lifted_by=None,
        lift_reason=None,
        created_at=now,
    )
    session.add(sanction)
    affected = _subject_grants(session, sanction, data.grant_ids)
    if data.kind == SanctionKind.REVOCATION:
        for grant in affected:
            grants.revoke_grant(session, actor.user_id, grant, data.reason, sanction_id=sanction.id)
        sanction.revoked_grants = [g.id for g in affected]
    elif data.kind == SanctionKind.SUSPENSION:
        for grant in affected:
            grants.stop_sandbox_jobs(session, grant, f"grant suspended: {data.reason}")
    ledger.append(
        session,
        ledger.Event(
            "access.sanction.imposed",
            subjects=_subjects(actor, sanction),
            public={
                "sanction": sanction.id,
                "kind": sanction.kind,
                "subject_kind": sanction.subject_kind,
                "organisation": sanction.subject_id
                if sanction.subject_kind == SanctionSubject.ORGANISATION
                else None,
                "breach": sanction.breach_id,
                "ends_at": sanction.ends_at.isoformat() if sanction.ends_at else None,
                "grants": [g.id for g in affected],
            },
            record={"reason": data.reason},
        ),
    )
    _tell_subject(session, sanction, affected)
    return sanction


def lift(session: Session, actor: Principal, sanction_id: str, reason: str) -> Sanction:
    sanction = get_sanction(session, actor, sanction_id)
    _require_judge(actor, session, sanction)
    return lift_sanction(session, actor.user_id, sanction, reason)


def lift_sanction(session: Session, actor_id: str, sanction: Sanction, reason: str) -> Sanction:
    now = node_of(session).clock.now()
    if sanction.lifted_at is not None:
        raise Conflict(
            _l("sanction %(sanction_id)s was lifted already", sanction_id=sanction.id),
            code="access.sanction-lifted",
        )
    if sanction.ends_at is not None and sanction.ends_at <= now:
        raise Conflict(
            _l("sanction %(sanction_id)s has ended", sanction_id=sanction.id),
            code="access.sanction-ended",
        )
    sanction.lifted_at = now
    sanction.lifted_by = actor_id
    sanction.lift_reason = reason
    ledger.append(
        session,
        ledger.Event(
            "access.sanction.lifted",
            subjects={"actor": actor_id},
            public={"sanction": sanction.id, "kind": sanction.kind},
            record={"reason": reason},
        ),
    )
    for user_id in _people(session, sanction):
        notifications.notify(
            session,
            user_id,
            "sanction.lifted",
            _l("Sanction %(sanction)s was lifted", sanction=sanction.id),
            _l(
                "The %(kind)s of %(imposed)s no longer applies: %(reason)s",
                kind=label("sanction-kind", sanction.kind),
                imposed=sanction.created_at.date(),
                reason=reason,
            ),
            f"/access/sanctions/{sanction.id}",
        )
    return sanction


def reverse(session: Session, actor_id: str, sanction: Sanction, reason: str) -> None:
    """An overturned sanction: lifted if still running, revoked grants reinstated."""
    now = node_of(session).clock.now()
    if sanction.lifted_at is None and (sanction.ends_at is None or now < sanction.ends_at):
        lift_sanction(session, actor_id, sanction, reason)
    for grant_id in sanction.revoked_grants:
        grant = session.get(Grant, grant_id)
        if grant is not None and grant.revoked_by_sanction_id == sanction.id:
            grants.reinstate(session, actor_id, grant, reason)


def get_sanction(session: Session, viewer: Principal, sanction_id: str) -> Sanction:
    """A sanction its subject or the review body may see."""
    sanction = session.get(Sanction, sanction_id) if len(sanction_id) <= 40 else None
    if sanction is None or not (
        _concerns(viewer, sanction) or _may_judge(viewer, session, sanction)
    ):
        raise NotFound(
            _l("no sanction %(sanction_id)r", sanction_id=sanction_id[:60]),
            code="access.sanction-not-found",
        )
    return sanction


def list_sanctions(
    session: Session, viewer: Principal, *, limit: int = 50, cursor: str | None = None
) -> tuple[Sequence[Sanction], str | None]:
    """Every sanction for the node-wide review body; one's own (and one's organisation's) else."""
    query = select(Sanction)
    if not viewer.can(Permission.ACCESS_SANCTION_IMPOSE):
        mine = (Sanction.subject_kind == SanctionSubject.USER) & (
            Sanction.subject_id == viewer.user_id
        )
        if viewer.organisation_id:
            mine = mine | (
                (Sanction.subject_kind == SanctionSubject.ORGANISATION)
                & (Sanction.subject_id == viewer.organisation_id)
            )
        query = query.where(mine)
    return fetch_page(session, query, Sanction.id, limit=limit, cursor=cursor)


def concerns(viewer: Principal, sanction: Sanction) -> bool:
    return _concerns(viewer, sanction)


def _concerns(viewer: Principal, sanction: Sanction) -> bool:
    if sanction.subject_kind == SanctionSubject.USER:
        return sanction.subject_id == viewer.user_id
    return viewer.organisation_id is not None and sanction.subject_id == viewer.organisation_id


def may_judge(viewer: Principal, session: Session, sanction: Sanction) -> bool:
    return _may_judge(viewer, session, sanction)


def _may_judge(viewer: Principal, session: Session, sanction: Sanction) -> bool:
    """The review body of the breach's dataset (node-wide for sanctions without a breach)."""
    breach = session.get(BreachReport, sanction.breach_id) if sanction.breach_id else None
    if breach is None:
        return viewer.can(Permission.ACCESS_SANCTION_IMPOSE)
    return authority.may(
        viewer, Permission.ACCESS_SANCTION_IMPOSE, breach.dataset_organisation_id, breach.dataset_id
    )


def _require_judge(actor: Principal, session: Session, sanction: Sanction) -> None:
    if not _may_judge(actor, session, sanction):
        raise Forbidden(N_("only the review body lifts sanctions"), code="access.not-review-body")


def _breach_in_scope(
    session: Session, actor: Principal, breach_id: str | None
) -> BreachReport | None:
    if breach_id is None:
        if not actor.can(Permission.ACCESS_SANCTION_IMPOSE):
            raise Forbidden(
                N_("a sanction without a breach report needs the node-wide review body"),
                code="access.not-review-body",
                hint=N_("link the sanction to the breach report it answers (breach_id)"),
            )
        return None
    breach = session.get(BreachReport, breach_id) if len(breach_id) <= 40 else None
    if breach is None or not authority.may(
        actor, Permission.ACCESS_SANCTION_IMPOSE, breach.dataset_organisation_id, breach.dataset_id
    ):
        raise NotFound(
            _l("no breach report %(breach_id)r", breach_id=breach_id[:60]),
            code="access.breach-not-found",
        )
    return breach


def _check_subject(session: Session, data: SanctionIn) -> None:
    try:
        if data.subject_kind == SanctionSubject.USER:
            identity.get_user(session, data.subject_id)
        else:
            identity.get_organisation(session, data.subject_id)
    except NotFound:
        raise InvalidInput(
            _l(
                "no %(kind)s %(subject)r",
                kind=data.subject_kind,
                subject=data.subject_id,
            ),
            code="access.unknown-sanction-subject",
            errors=[
                FieldError(
                    "subject_id",
                    _l("no such %(kind)s", kind=data.subject_kind),
                )
            ],
        ) from None
    if data.kind == SanctionKind.SUSPENSION and data.duration is None:
        raise InvalidInput(
            N_("a suspension runs for a period: give its duration (e.g. P90D)"),
            code="access.suspension-needs-duration",
            errors=[FieldError("duration", N_("required for a suspension"))],
        )


def _end(data: SanctionIn, now: datetime) -> datetime | None:
    if data.kind != SanctionKind.SUSPENSION or data.duration is None:
        return None
    return Duration.parse(data.duration).after(now)


def _subject_grants(
    session: Session, sanction: Sanction, grant_ids: list[str] | None
) -> list[Grant]:
    """The subject's active grants (or the listed ones, which must be the subject's)."""
    column = (
        Grant.user_id if sanction.subject_kind == SanctionSubject.USER else Grant.organisation_id
    )
    query = select(Grant).where(column == sanction.subject_id, Grant.status == GrantStatus.ACTIVE)
    if grant_ids is not None:
        query = query.where(Grant.id.in_(grant_ids))
    found = list(session.scalars(query.order_by(Grant.id)))
    if grant_ids is not None and len(found) != len(set(grant_ids)):
        missing = sorted(set(grant_ids) - {g.id for g in found})
        raise InvalidInput(
            _l("not active grants of the subject: %(items)s", items=", ".join(missing)),
            code="access.unknown-grant",
            errors=[FieldError("grant_ids", N_("each must be an active grant of the subject"))],
        )
    return found


def _people(session: Session, sanction: Sanction) -> list[str]:
    if sanction.subject_kind == SanctionSubject.USER:
        return [sanction.subject_id]
    return list(
        session.scalars(
            select(User.id).where(User.organisation_id == sanction.subject_id).order_by(User.id)
        )
    )


def _subjects(actor: Principal, sanction: Sanction) -> dict[str, str]:
    subjects = {"actor": actor.user_id}
    if sanction.subject_kind == SanctionSubject.USER:
        subjects["user"] = sanction.subject_id
    return subjects


def _tell_subject(session: Session, sanction: Sanction, affected: list[Grant]) -> None:
    kind = label("sanction-kind", sanction.kind)
    if sanction.ends_at:
        title = _l(
            "Sanction imposed (%(kind)s) until %(until)s", kind=kind, until=sanction.ends_at.date()
        )
    else:
        title = _l("Sanction imposed (%(kind)s)", kind=kind)
    if sanction.kind == SanctionKind.SUSPENSION:
        body = _l(
            "The review body imposed a sanction (%(kind)s): %(reason)s Your grants are paused "
            "meanwhile. You may appeal it.",
            kind=kind,
            reason=sanction.reason,
        )
    else:
        body = _l(
            "The review body imposed a sanction (%(kind)s): %(reason)s You may appeal it.",
            kind=kind,
            reason=sanction.reason,
        )
    for user_id in _people(session, sanction):
        notifications.notify(
            session,
            user_id,
            f"sanction.{sanction.kind}",
            title,
            body,
            f"/access/sanctions/{sanction.id}",
        )
