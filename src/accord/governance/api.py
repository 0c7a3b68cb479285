"""Governance API: risk assessments and the published rules, policies and consultations (with
the signed node-to-node notices and comments), the governance register, the SBOM, what peers
run, and ``/.well-known/security.txt``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response
from fastapi.responses import PlainTextResponse

from accord.federation.api import SignedPeer
from accord.governance import (
    documents,
    peer_consultations,
    policies,
    register,
    risk,
    sbom,
    schemas,
    security_txt,
    software,
)
from accord.governance.rules import rules_json
from accord.identity.permissions import Permission
from accord.identity.principal import Principal
from accord.node import NodeContext
from accord.paging import Page
from accord.web.deps import NodeDep, SessionDep
from accord.web.links import paged
from accord.web.security import require

router = APIRouter(prefix="/api/v1", tags=["governance"])
wellknown = APIRouter(tags=["governance"])
Public = Annotated[Principal | None, Depends(require(Permission.PUBLIC))]
Assessor = Annotated[Principal, Depends(require(Permission.GOVERNANCE_RISK_ASSESS))]
Proposer = Annotated[Principal, Depends(require(Permission.GOVERNANCE_POLICY_PROPOSE))]
Decider = Annotated[Principal, Depends(require(Permission.GOVERNANCE_POLICY_DECIDE))]
Commenter = Annotated[Principal, Depends(require(Permission.GOVERNANCE_CONSULTATION_COMMENT))]
NodeVoice = Annotated[Principal, Depends(require(Permission.GOVERNANCE_PEER_RESPOND))]
RegisterKeeper = Annotated[Principal, Depends(require(Permission.GOVERNANCE_REGISTER_MANAGE))]
SignedIn = Annotated[Principal, Depends(require(Permission.SIGNED_IN))]
PeerManager = Annotated[Principal, Depends(require(Permission.FEDERATION_PEER_MANAGE))]


# --- what the node runs --------------------------------------------------------------------


@wellknown.get(security_txt.PATH, response_class=PlainTextResponse)
def security_txt_file(node: NodeDep, _: Public) -> PlainTextResponse:
    """RFC 9116: where to report a vulnerability in this node."""
    text = security_txt.render(node.settings, node.identity.base_url, node.clock.now())
    return PlainTextResponse(text, media_type="text/plain; charset=utf-8")


@router.get("/sbom", responses={200: {"content": {sbom.MEDIA_TYPE: {}}}})
def get_sbom(node: NodeDep, _: Public) -> Response:
    """The node's CycloneDX 1.6 SBOM: the distributions it runs, with versions."""
    return Response(sbom.sbom_json(node.software_version), media_type=sbom.MEDIA_TYPE)


@router.get("/peer-software", response_model=list[schemas.PeerSoftwareOut])
def list_peer_software(session: SessionDep, _: Public) -> list[schemas.PeerSoftwareOut]:
    """What each peer runs, as this node last read from its descriptor."""
    return [schemas.PeerSoftwareOut.model_validate(r) for r in software.peer_software(session)]


@router.post("/peer-software", response_model=schemas.PeerSoftwareOut)
def check_peer_software(
    body: schemas.PeerCheckIn, session: SessionDep, principal: PeerManager
) -> schemas.PeerSoftwareOut:
    """Read a peer's descriptor now and record the software it runs."""
    row = software.check_peer(session, principal, body.peer)
    session.commit()
    return schemas.PeerSoftwareOut.model_validate(row)


# --- risk assessments ----------------------------------------------------------------------


@router.get("/risk-rules")
def get_risk_rules(session: SessionDep, node: NodeDep, _: Public) -> dict[str, object]:
    """The rules in force that turn an assessment into a recommended tier, mode and safeguards."""
    return rules_json(risk.rules_in_force(session, node.clock.now()))


@router.get(
    "/datasets/{dataset_id}/versions/{number}/risk-assessments",
    response_model=list[schemas.AssessmentOut],
)
def list_assessments(
    dataset_id: str, number: int, session: SessionDep, principal: Public
) -> list[schemas.AssessmentOut]:
    """A version's assessments, newest first (the steward's notes only for its stewards)."""
    version, rows = risk.history(session, dataset_id, number, principal)
    full = principal is not None and principal.can(
        Permission.GOVERNANCE_RISK_ASSESS,
        organisation_id=version.dataset.organisation_id,
        dataset_id=version.dataset_id,
    )
    return [documents.assessment_out(r, full=full) for r in rows]


@router.post(
    "/datasets/{dataset_id}/versions/{number}/risk-assessments",
    status_code=201,
    response_model=schemas.AssessmentOut,
)
def create_assessment(
    dataset_id: str,
    number: int,
    body: schemas.AssessmentIn,
    session: SessionDep,
    principal: Assessor,
) -> schemas.AssessmentOut:
    """Assess a version's risks; the published rules recommend, the steward may choose
    differently with a justification."""
    row = risk.assess(session, principal, dataset_id, number, body.assessment, body.choice)
    session.commit()
    return documents.assessment_out(row, full=True)


# --- policies and consultations ------------------------------------------------------------


@router.get("/policies", response_model=Page[schemas.PolicyOut])
def list_policies(
    session: SessionDep,
    response: Response,
    _: Public,
    kind: Annotated[policies.PolicyKind | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=60)] = None,
) -> Page[schemas.PolicyOut]:
    """Every version of the node's policies, in the order proposed, and where each stands."""
    rows, next_cursor = policies.page_policies(session, kind, limit=limit, cursor=cursor)
    items = [documents.policy_out(session, p) for p in rows]
    return paged(response, "/api/v1/policies", items, next_cursor, limit)


@router.get("/policies/{kind}/{number}", response_model=schemas.PolicyDocument)
def get_policy(
    kind: policies.PolicyKind, number: int, session: SessionDep, _: Public
) -> schemas.PolicyDocument:
    return documents.policy_document(session, policies.get_policy(session, kind, number))


@router.post("/policies", status_code=201, response_model=schemas.ConsultationOut)
def propose_policy(
    body: schemas.PolicyProposal, session: SessionDep, node: NodeDep, principal: Proposer
) -> schemas.ConsultationOut:
    """Propose a new version of a policy: opens its consultation and tells the peers."""
    proposal = policies.Proposal(body.kind, body.title, body.summary, body.content, body.deadline)
    consultation = policies.propose(session, principal, proposal)
    session.commit()
    peer_consultations.announce(node, consultation.id)
    return _consultation(node, consultation.id)


@router.get("/consultations/{consultation_id}", response_model=schemas.ConsultationOut)
def get_consultation(
    consultation_id: str, session: SessionDep, _: Public
) -> schemas.ConsultationOut:
    """A consultation: the proposed text, the responses received, and the decision."""
    return documents.consultation_out(session, consultation_id)


@router.post(
    "/consultations/{consultation_id}/comments",
    status_code=201,
    response_model=schemas.CommentOut,
)
def add_comment(
    consultation_id: str, body: schemas.CommentIn, session: SessionDep, principal: Commenter
) -> schemas.CommentOut:
    found = policies.comment(session, principal, consultation_id, body.text)
    session.commit()
    return documents.comment_out(found)


@router.post("/consultations/{consultation_id}/decision", response_model=schemas.ConsultationOut)
def decide(
    consultation_id: str,
    body: schemas.DecisionIn,
    session: SessionDep,
    node: NodeDep,
    principal: Decider,
) -> schemas.ConsultationOut:
    """Adopt (from an effective date) or reject the proposed version, with reasons."""
    policies.decide(
        session, principal, consultation_id, body.outcome, body.reasons, body.effective_at
    )
    session.commit()
    return documents.consultation_out(session, consultation_id)


@router.get("/peer-consultations", response_model=list[schemas.NoticeOut])
def list_notices(session: SessionDep, _: NodeVoice) -> list[schemas.NoticeOut]:
    """Consultations peer nodes told this node about."""
    return [schemas.NoticeOut.model_validate(n) for n in peer_consultations.list_notices(session)]


@router.post("/peer-consultations/{notice_id}/responses", response_model=schemas.NoticeOut)
def respond_to_peer(
    notice_id: str, body: schemas.CommentIn, node: NodeDep, principal: NodeVoice
) -> schemas.NoticeOut:
    """Send this node's comment on a peer's consultation (a signed node-to-node call)."""
    notice = peer_consultations.respond(node, principal, notice_id, body.text)
    return schemas.NoticeOut.model_validate(notice)


@router.post("/federation/consultations", response_model=schemas.NoticeOut)
def receive_notice(
    body: peer_consultations.Notice, session: SessionDep, _: Public, caller: SignedPeer
) -> schemas.NoticeOut:
    """Node-to-node: a peer opened a consultation (signed by the peer's key)."""
    notice = peer_consultations.receive_notice(session, caller, body)
    session.commit()
    return schemas.NoticeOut.model_validate(notice)


@router.post(
    "/federation/consultation-comments", status_code=201, response_model=schemas.CommentOut
)
def receive_peer_comment(
    body: peer_consultations.PeerCommentIn, session: SessionDep, _: Public, caller: SignedPeer
) -> schemas.CommentOut:
    """Node-to-node: a peer's comment on one of this node's consultations."""
    found = peer_consultations.receive_comment(session, caller, body)
    session.commit()
    return documents.comment_out(found)


# --- the register --------------------------------------------------------------------------


@router.get("/governance-register", response_model=list[schemas.RegisterEntryOut])
def get_register(session: SessionDep, _: Public) -> list[schemas.RegisterEntryOut]:
    """Members of each committee and of the review body: term and declared interests."""
    return documents.register_out(session)


@router.post(
    "/governance-register/memberships",
    status_code=201,
    response_model=list[schemas.RegisterEntryOut],
)
def appoint(
    body: schemas.MembershipIn, session: SessionDep, principal: RegisterKeeper
) -> list[schemas.RegisterEntryOut]:
    seat = register.Seat(
        body.body,
        body.scope_kind,
        body.scope_id,
        body.term_start,
        body.term_end,
        tuple(body.interests),
    )
    register.appoint(session, principal, body.user_id, seat)
    session.commit()
    return documents.register_out(session)


@router.post(
    "/governance-register/memberships/{membership_id}/ending",
    response_model=list[schemas.RegisterEntryOut],
)
def end_membership(
    membership_id: str, body: schemas.MembershipEnd, session: SessionDep, principal: RegisterKeeper
) -> list[schemas.RegisterEntryOut]:
    register.end_term(session, principal, membership_id, body.reason)
    session.commit()
    return documents.register_out(session)


@router.post(
    "/governance-register/memberships/{membership_id}/interests",
    response_model=list[schemas.RegisterEntryOut],
)
def declare_interests(
    membership_id: str, body: schemas.InterestsIn, session: SessionDep, principal: SignedIn
) -> list[schemas.RegisterEntryOut]:
    register.declare_interests(session, principal, membership_id, body.interests)
    session.commit()
    return documents.register_out(session)


def _consultation(node: NodeContext, consultation_id: str) -> schemas.ConsultationOut:
    with node.session(readonly=True) as session:
        return documents.consultation_out(session, consultation_id)
