"""The benchmark's agreements written as Cedar policies, and its requests as Cedar requests.

Each agreement becomes one policy set: a ``forbid`` per denying clause and four ``permit``
policies whose ``@id`` says the outcome and mode (``permit-download``, ``refer-sandbox``, ...),
so one Cedar request gives the same (outcome, mode) as one call of ``evaluate``. DUO and MONDO
subsumption use Cedar's entity hierarchy (``context.purpose in Purpose::"DUO:0000006"``).

Only the clauses the workload uses are translated; anything else raises, so a silent
mismatch between the two engines cannot happen. One value is computed before Cedar sees the
request: whether a sanction is in force (Cedar cannot quantify over a set of records).
"""

from __future__ import annotations

import json
from typing import Any

from accord.agreements.decision import Mode, Outcome
from accord.agreements.document import (
    AgreementDocument,
    CountConstraint,
    DateTimeConstraint,
    RecipientConstraint,
    Review,
    SpatialConstraint,
    Tier,
)
from accord.agreements.duo import Duo
from accord.agreements.jurisdictions import countries
from accord.agreements.ontology import Vocabulary
from bench.agreements_workload import Request

NEVER = 2**53
OUTCOMES = {
    "permit-download": (Outcome.PERMIT, Mode.DOWNLOAD),
    "permit-sandbox": (Outcome.PERMIT, Mode.SANDBOX),
    "refer-download": (Outcome.REFER, Mode.DOWNLOAD),
    "refer-sandbox": (Outcome.REFER, Mode.SANDBOX),
}
_PURPOSES = (Duo.NRES, Duo.GRU, Duo.HMB, Duo.DS, Duo.POA)


def entities(vocab: Vocabulary) -> str:
    """DUO purposes and diseases as Cedar entities whose parents are their ``is_a`` parents."""
    items = [
        _entity("Purpose", term, [p for p in vocab.duo.parents(term) if p in _PURPOSES])
        for term in _PURPOSES
    ]
    items += [
        _entity("Disease", t.id, sorted(vocab.diseases.parents(t.id))) for t in vocab.diseases
    ]
    items.append(_entity("Disease", "none", []))
    return json.dumps(items)


def _entity(kind: str, uid: str, parents: list[str]) -> dict[str, Any]:
    return {
        "uid": {"type": kind, "id": uid},
        "attrs": {},
        "parents": [{"type": kind, "id": p} for p in parents],
    }


def policies(document: AgreementDocument, vocab: Vocabulary) -> str:
    denials = _denials(document, vocab)
    sandbox = _sandbox(document)
    node_ok = (
        _contains(countries(document.residency.jurisdictions), "context.node_country")
        if document.residency
        else "true"
    )
    denials.append(f"({sandbox}) && !({node_ok})")
    refer = _refer(document, vocab)
    text = [f"forbid(principal, action, resource) when {{ {d} }};" for d in denials]
    for name, (outcome, mode) in OUTCOMES.items():
        want_refer = refer if outcome is Outcome.REFER else f"!({refer})"
        want_mode = sandbox if mode is Mode.SANDBOX else f"!({sandbox})"
        condition = f"({want_refer}) && ({want_mode})"
        text.append(f'@id("{name}")\npermit(principal, action, resource) when {{ {condition} }};')
    return "\n".join(text)


def _denials(document: AgreementDocument, vocab: Vocabulary) -> list[str]:
    denials = ["context.sanctioned"]
    if document.tier is not Tier.OPEN:
        denials.append("!context.signed_in")
    for kind in document.accreditations:
        held = f'context.accreditations has "{kind}"'
        denials.append(f'!({held}) || context.accreditations["{kind}"] <= context.now')
    denials += _duo_denials(document, vocab)
    if document.max_grant_duration is not None:
        limit = document.max_grant_duration
        if limit.months or limit.seconds:
            raise ValueError("the Cedar form takes grant limits in whole days")
        denials.append(f"context.duration_days > {limit.days}")
    denials += _odrl_denials(document)
    return denials


def _duo_denials(document: AgreementDocument, vocab: Vocabulary) -> list[str]:
    duo = vocab.duo
    permission = duo.resolve(document.duo.permission)
    out = []
    if permission == Duo.GRU:
        out.append(f"!({_in(Duo.GRU)} || {_in(Duo.POA)})")
    elif permission == Duo.DS:
        diseases = " || ".join(f'context.disease in Disease::"{d}"' for d in document.duo.diseases)
        out.append(f"!({_in(Duo.DS)} && context.has_disease && ({diseases}))")
    elif permission != Duo.NRES:
        out.append(f"!({_in(str(permission))})")
    for modifier in document.duo.modifiers:
        term = duo.resolve(modifier.code)
        if term == Duo.NCU:
            out.append("context.commercial")
        elif term == Duo.NPU:
            out.append('context.org_kind == "for-profit"')
        elif term == Duo.IRB:
            out.append("!context.ethics")
        elif term == Duo.NPOA:
            out.append(f'({_in(Duo.POA)} || Purpose::"{Duo.POA}" in context.purpose)')
        elif term == Duo.GS:
            out.append(f"!{_contains(countries(modifier.countries), 'context.country')}")
        elif term != Duo.PUB:
            raise ValueError(f"no Cedar form for modifier {modifier.code}")
    return out


def _odrl_denials(document: AgreementDocument) -> list[str]:
    out = []
    for rule in document.odrl.prohibitions:
        if rule.action == "use":
            [spatial] = rule.constraints
            if not isinstance(spatial, SpatialConstraint) or spatial.operator != "isAnyOf":
                raise ValueError("the Cedar form takes 'use' prohibitions on spatial isAnyOf")
            out.append(_contains(countries(spatial.right_operand), "context.country"))
        elif rule.action == "commercialize":
            out.append("context.commercial")
    permissions = [_permission(rule.constraints) for rule in document.odrl.permissions]
    if permissions:
        out.append(f"!({' || '.join(permissions)})")
    return out


def _permission(constraints: tuple[Any, ...]) -> str:
    parts = ["true"]
    for constraint in constraints:
        match constraint:
            case DateTimeConstraint(operator="gteq", right_operand=moment):
                parts.append(f"context.now >= {int(moment.timestamp())}")
            case CountConstraint(operator="lteq", right_operand=count):
                parts.append(f"context.count <= {count}")
            case RecipientConstraint(operator="isAnyOf", right_operand=orgs):
                parts.append(_contains(orgs, "context.organisation"))
            case _:
                raise ValueError(f"no Cedar form for {constraint}")
    return "(" + " && ".join(parts) + ")"


def _sandbox(document: AgreementDocument) -> str:
    parts = ["!context.download"]
    if document.tier is Tier.RESTRICTED:
        parts.append("true")
    if any(
        rule.action == "reproduce" and not rule.constraints for rule in document.odrl.prohibitions
    ):
        parts.append("true")
    if document.residency is not None:
        parts.append(
            f"!{_contains(countries(document.residency.jurisdictions), 'context.country')}"
        )
    if document.export.forbidden:
        parts.append(_contains(countries(document.export.forbidden), "context.country"))
    if document.export.allowed is not None:
        parts.append(f"!{_contains(countries(document.export.allowed), 'context.country')}")
    return " || ".join(parts)


def _refer(document: AgreementDocument, vocab: Vocabulary) -> str:
    parts = ["false"]
    committee = document.committee
    if committee is not None and committee.review is Review.EVERY_REQUEST:
        parts.append("true")
    if any(vocab.duo.resolve(m.code) == Duo.NPU for m in document.duo.modifiers):
        parts.append('context.org_kind == "unknown"')
    return " || ".join(parts)


def _in(term: str) -> str:
    return f'context.purpose in Purpose::"{term}"'


def _contains(values: Any, expression: str) -> str:
    return "[" + ", ".join(f'"{v}"' for v in sorted(values)) + f"].contains({expression})"


def request(item: Request) -> dict[str, Any]:
    """The Cedar request for one workload item; the context is serialised once, ahead of time."""
    ctx = item.context
    requester, purpose = ctx.requester, ctx.purpose
    [category] = purpose.categories
    disease = next(iter(purpose.diseases), "none")
    accreditations = {
        a.kind: NEVER if a.expires is None else int(a.expires.timestamp())
        for a in requester.accreditations
    }
    context = {
        "sanctioned": item.sanctioned,
        "signed_in": requester.user is not None,
        "country": requester.country,
        "node_country": ctx.node_country,
        "organisation": requester.organisation or "",
        "org_kind": requester.organisation_kind.value,
        "purpose": {"__entity": {"type": "Purpose", "id": category}},
        "has_disease": bool(purpose.diseases),
        "disease": {"__entity": {"type": "Disease", "id": disease}},
        "commercial": purpose.commercial,
        "ethics": purpose.ethics_approval,
        "download": ctx.mode is Mode.DOWNLOAD,
        "duration_days": ctx.duration.days,
        "now": int(ctx.now.timestamp()),
        "count": ctx.prior_uses + 1,
        "accreditations": accreditations,
    }
    return {
        "principal": 'User::"requester"',
        "action": 'Action::"access"',
        "resource": f'Dataset::"agreement-{item.agreement}"',
        "context": json.dumps(context),
    }


def outcome(allowed: bool, reasons: list[str], annotations: dict[str, str]) -> tuple[Outcome, Mode]:
    """(outcome, mode) from a Cedar answer: Deny is deny; Allow names the permit that fired."""
    if not allowed:
        return Outcome.DENY, Mode.NONE
    [name] = {annotations[policy] for policy in reasons}
    return OUTCOMES[name]
