"""Appeals: a denied requester, or a sanctioned person, asks the independent review body.

A request may be appealed within ``APPEAL_WINDOW`` of its denial; a sanction while it stands.
The review body (the reviewer role in the dataset's scope) upholds or overturns with reasons,
and is never the committee that decided: a reviewer who voted on the request, who imposed the
sanction, or who is the appellant or from their organisation, cannot decide. Overturning a
denial makes the grant; overturning a sanction lifts it and reinstates the grants it revoked.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from accord import ledger
from accord.access import authority, notifications, outcomes, requests, sanctions, schemas
from accord.access.models import (
    AccessRequest,
    Appeal,
    AppealState,
    AppealSubject,
    Decider,
    RequestState,
    Sanction,
)
from accord.agreements.checks.terms import standing_obligations
from accord.agreements.document import AgreementDocument
from accord.errors import Conflict, FieldError, Forbidden, InvalidInput, NotFound
from accord.i18n.translate import N_, _l
from accord.identity.permissions import Permission
from accord.identity.principal import Principal
from accord.ids import new_id
from accord.labels import label
from accord.node import node_of
from accord.paging import fetch_page


def file_appeal(session: Session, actor: Principal, data: schemas.AppealIn) -> Appeal:
    if (data.request_id is None) == (data.sanction_id is None):
        raise InvalidInput(
            N_("appeal either a denied request or a sanction"),
            code="access.appeal-subject",
            errors=[FieldError("request_id", N_("give request_id or sanction_id, not both"))],
        )
    if data.request_id is not None:
        appeal = _against_request(session, actor, data.request_id, data.grounds)
    else:
        appeal = _against_sanction(session, actor, str(data.sanction_id), data.grounds)
    session.add(appeal)
    ledger.append(
        session,
        ledger.Event(
            "access.appeal.filed",
            subjects={"actor": actor.user_id},
            public={
                "appeal": appeal.id,
                "subject": appeal.subject,
                "request": appeal.request_id,
                "sanction": appeal.sanction_id,
            },
            record={"grounds": data.grounds},
        ),
    )
    return appeal


def _against_request(session: Session, actor: Principal, request_id: str, grounds: str) -> Appeal:
    request = requests.get_request(session, actor, request_id)
    if request.requester_id != actor.user_id:
        raise Forbidden(N_("only the requester may appeal a denial"), code="access.not-requester")
    until = requests.appealable_until(request)
    if until is None:
        raise Conflict(
            _l(
                "request %(request_id)s is %(state)s: only denied requests are appealed",
                request_id=request.id,
                state=request.state,
            ),
            code="access.not-appealable",
        )
    if node_of(session).clock.now() > until:
        raise Conflict(
            _l(
                "the appeal window of request %(request_id)s closed on %(until)s",
                request_id=request.id,
                until=format(until, "%Y-%m-%d"),
            ),
            code="access.appeal-window-closed",
        )
    _no_appeal_yet(session, Appeal.request_id == request.id)
    return _appeal(session, actor, AppealSubject.REQUEST, grounds, request=request)


def _against_sanction(session: Session, actor: Principal, sanction_id: str, grounds: str) -> Appeal:
    sanction = sanctions.get_sanction(session, actor, sanction_id)
    if not sanctions.concerns(actor, sanction):
        raise Forbidden(
            N_("only the sanctioned may appeal a sanction"), code="access.not-sanctioned"
        )
    if sanction.lifted_at is not None:
        raise Conflict(
            _l("sanction %(sanction_id)s was lifted", sanction_id=sanction.id),
            code="access.sanction-lifted",
        )
    _no_appeal_yet(session, Appeal.sanction_id == sanction.id)
    return _appeal(session, actor, AppealSubject.SANCTION, grounds, sanction=sanction)


def _appeal(
    session: Session,
    actor: Principal,
    subject: AppealSubject,
    grounds: str,
    *,
    request: AccessRequest | None = None,
    sanction: Sanction | None = None,
) -> Appeal:
    return Appeal(
        id=new_id("apl"),
        subject=subject.value,
        request_id=request.id if request else None,
        sanction_id=sanction.id if sanction else None,
        organisation_id=actor.organisation_id,
        appellant_id=actor.user_id,
        grounds=grounds,
        state=AppealState.OPEN,
        decided_by=None,
        decided_at=None,
        reasons=None,
        grant_id=None,
        created_at=node_of(session).clock.now(),
    )


def _no_appeal_yet(session: Session, condition: ColumnElement[bool]) -> None:
    if session.scalar(select(Appeal.id).where(condition)) is not None:
        raise Conflict(
            N_("this was appealed already; an appeal is decided once"), code="access.appealed"
        )


def get_appeal(session: Session, viewer: Principal, appeal_id: str) -> Appeal:
    appeal = session.get(Appeal, appeal_id) if len(appeal_id) <= 40 else None
    if appeal is None or not (
        appeal.appellant_id == viewer.user_id or may_judge(session, viewer, appeal)
    ):
        raise NotFound(
            _l("no appeal %(appeal_id)r", appeal_id=appeal_id[:60]), code="access.appeal-not-found"
        )
    return appeal


def may_judge(session: Session, viewer: Principal, appeal: Appeal) -> bool:
    """Is ``viewer`` on the review body for this appeal's subject?"""
    if appeal.request_id is not None:
        request = session.get(AccessRequest, appeal.request_id)
        return request is not None and authority.may(
            viewer,
            Permission.ACCESS_APPEAL_DECIDE,
            request.dataset_organisation_id,
            request.dataset_id,
        )
    sanction = session.get(Sanction, appeal.sanction_id) if appeal.sanction_id else None
    return (
        sanction is not None
        and viewer.can_anywhere(Permission.ACCESS_APPEAL_DECIDE)
        and sanctions.may_judge(viewer, session, sanction)
    )


def list_appeals(
    session: Session, viewer: Principal, *, mine: bool, limit: int = 50, cursor: str | None = None
) -> tuple[Sequence[Appeal], str | None]:
    """The viewer's own appeals, or (``mine=False``) the open ones they may decide."""
    if mine:
        query = select(Appeal).where(Appeal.appellant_id == viewer.user_id)
        return fetch_page(session, query, Appeal.id, limit=limit, cursor=cursor)
    rows, next_cursor = fetch_page(session, select(Appeal), Appeal.id, limit=limit, cursor=cursor)
    return [a for a in rows if may_judge(session, viewer, a)], next_cursor


def decide(
    session: Session, actor: Principal, appeal_id: str, data: schemas.AppealDecisionIn
) -> Appeal:
    appeal = get_appeal(session, actor, appeal_id)
    if not may_judge(session, actor, appeal):
        raise Forbidden(N_("only the review body decides appeals"), code="access.not-review-body")
    if appeal.state != AppealState.OPEN:
        raise Conflict(
            _l("appeal %(appeal_id)s was decided already", appeal_id=appeal.id),
            code="access.appeal-decided",
        )
    _check_independent(session, actor, appeal)
    now = node_of(session).clock.now()
    overturn = data.outcome == "overturn"
    appeal.state = AppealState.OVERTURNED if overturn else AppealState.UPHELD
    appeal.decided_by = actor.user_id
    appeal.decided_at = now
    appeal.reasons = data.reasons
    ledger.append(
        session,
        ledger.Event(
            f"access.appeal.{appeal.state}",
            subjects={"actor": actor.user_id, "appellant": appeal.appellant_id},
            public={"appeal": appeal.id, "subject": appeal.subject},
            record={"reasons": data.reasons},
        ),
    )
    if overturn:
        _overturn(session, actor, appeal, data.reasons)
    _tell_appellant(session, appeal)
    return appeal


def _check_independent(session: Session, actor: Principal, appeal: Appeal) -> None:
    if appeal.appellant_id == actor.user_id or (
        appeal.organisation_id is not None and actor.organisation_id == appeal.organisation_id
    ):
        raise Forbidden(
            N_("you are the appellant or from their organisation: another reviewer must decide"),
            code="access.conflict-of-interest",
        )
    if appeal.request_id is not None:
        request = session.get(AccessRequest, appeal.request_id)
        if request is not None and any(v.member_id == actor.user_id for v in request.votes):
            raise Forbidden(
                N_(
                    "you decided this request on the committee: the review body must be independent"
                ),
                code="access.not-independent",
            )
    sanction = session.get(Sanction, appeal.sanction_id) if appeal.sanction_id else None
    if sanction is not None and sanction.imposed_by == actor.user_id:
        raise Forbidden(
            N_("you imposed this sanction: another reviewer must decide the appeal"),
            code="access.not-independent",
        )


def _overturn(session: Session, actor: Principal, appeal: Appeal, reasons: str) -> None:
    if appeal.request_id is not None:
        request = session.get(AccessRequest, appeal.request_id)
        if request is None or request.state != RequestState.DENIED:
            raise Conflict(
                N_("the appealed request is no longer denied"), code="access.not-appealable"
            )
        document = AgreementDocument.model_validate(request.agreement_terms)
        grant = outcomes.approve(
            session,
            request,
            Decider.REVIEW_BODY,
            actor.user_id,
            reasons=reasons,
            conditions=[],
            mode=requests.grant_mode_after_denial(request),
            obligations=[o.as_json() for o in standing_obligations(document)],
        )
        appeal.grant_id = grant.id
        return
    sanction = session.get(Sanction, appeal.sanction_id) if appeal.sanction_id else None
    if sanction is None:
        raise NotFound(N_("the appealed sanction is gone"), code="access.sanction-not-found")
    sanctions.reverse(session, actor.user_id, sanction, f"overturned on appeal: {reasons}")


def _tell_appellant(session: Session, appeal: Appeal) -> None:
    notifications.notify(
        session,
        appeal.appellant_id,
        f"appeal.{appeal.state}",
        _l(
            "Decision on your appeal %(appeal)s: %(outcome)s",
            appeal=appeal.id,
            outcome=label("appeal-state", appeal.state),
        ),
        _l(
            "The review body decided on your appeal (%(outcome)s): %(reasons)s",
            outcome=label("appeal-state", appeal.state),
            reasons=appeal.reasons,
        ),
        f"/access/appeals/{appeal.id}",
    )
