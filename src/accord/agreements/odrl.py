"""ODRL 2.2 JSON-LD: export an agreement as a policy, import a policy back.

Export (``agreement_to_odrl``) writes a compacted JSON-LD ``Set`` policy with the ODRL 2.2
context: the agreement's own ODRL rules one for one, plus rules derived from its other clauses
so that any ODRL reader sees them (DUO permission → ``purpose isA duo:…`` on ``use``; NCU →
prohibition of ``commercialize``; GS → ``spatial``; residency and export → prohibitions of
``reproduce``; duties → ``duty``). Derived rules carry ``accord:clause`` naming their source.
The full agreement rides along as ``accord:agreement`` (a JSON literal) so that an exported
agreement imports back unchanged.

Import (``policy_from_odrl``) reads compacted ODRL 2.2 JSON-LD (terms, ``odrl:`` CURIEs or full
IRIs) into the agreement's ``odrl`` section; ``agreement_from_odrl`` reads a whole agreement
exported by a node. Errors name the place in the JSON-LD (``permission[0].constraint[1]``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from pydantic import ValidationError

from accord.agreements import errors
from accord.agreements.document import (
    AgreementDocument,
    Constraint,
    DeleteAfterUse,
    OdrlDuty,
    OdrlPolicy,
    ReportPublications,
)
from accord.agreements.duo import Duo
from accord.agreements.errors import AgreementInvalid, Problem
from accord.agreements.ontology import Vocabulary, default_vocabulary
from accord.agreements.validation import check_policy, location, parse_agreement

ODRL = "http://www.w3.org/ns/odrl/2/"
ODRL_CONTEXT = "http://www.w3.org/ns/odrl.jsonld"
DUO_PREFIX = "http://purl.obolibrary.org/obo/DUO_"
ACCORD = "urn:accord:odrl:"
CONTEXT: list[Any] = [ODRL_CONTEXT, {"duo": DUO_PREFIX, "accord": ACCORD}]

_RULE_KEYS = {"permission", "prohibition", "obligation"}
_LOGICAL = {"and", "or", "xone", "andSequence"}
_JSONLD_NAMES = {
    "permissions": "permission",
    "prohibitions": "prohibition",
    "obligations": "obligation",
    "constraints": "constraint",
    "duties": "duty",
    "left_operand": "leftOperand",
    "right_operand": "rightOperand",
}
_DUTY_ACTIONS = {
    "cite": "attribute",
    "report-publications": "inform",
    "delete-after-use": "delete",
    "offer-coauthorship": "accord:offerCoauthorship",
    "return-derived-data": "accord:returnDerivedData",
}


def agreement_to_odrl(
    document: AgreementDocument,
    uid: str,
    target: str | None = None,
    vocabulary: Vocabulary | None = None,
) -> dict[str, Any]:
    """The agreement as an ODRL 2.2 policy in compacted JSON-LD."""
    vocab = vocabulary or default_vocabulary()
    policy: dict[str, Any] = {
        "@context": CONTEXT,
        "@type": "Set",
        "uid": uid,
        "profile": f"{ACCORD}profile",
        "conflict": document.odrl.conflict,
    }
    if target is not None:
        policy["target"] = target
    permissions = [
        *_derived_permissions(document, vocab),
        *map(_rule_out, document.odrl.permissions),
    ]
    prohibitions = [
        *_derived_prohibitions(document, vocab),
        *map(_rule_out, document.odrl.prohibitions),
    ]
    obligations = [_duty_out(duty) for duty in document.odrl.obligations]
    for key, rules in (
        ("permission", permissions),
        ("prohibition", prohibitions),
        ("obligation", obligations),
    ):
        if rules:
            policy[key] = rules
    policy["accord:agreement"] = {"@type": "@json", "@value": document.as_data()}
    return policy


def policy_from_odrl(data: object, vocabulary: Vocabulary | None = None) -> OdrlPolicy:
    """Read an ODRL 2.2 policy (compacted JSON-LD) as an agreement's ``odrl`` section."""
    if not isinstance(data, Mapping):
        raise _invalid("$", "an ODRL policy is a JSON object")
    problems = list(_policy_problems(data))
    if problems:
        raise AgreementInvalid(problems)
    section = {
        "conflict": _term(data.get("conflict", "prohibit")),
        "permissions": [_rule_in(r) for r in _own_rules(data, "permission")],
        "prohibitions": [_rule_in(r) for r in _own_rules(data, "prohibition")],
        "obligations": [_duty_in(r) for r in _own_rules(data, "obligation")],
    }
    try:
        policy = OdrlPolicy.model_validate(section)
    except ValidationError as exc:
        raise AgreementInvalid([_from_pydantic(e) for e in exc.errors()]) from None
    problems = [_renamed(p) for p in check_policy(policy, vocabulary or default_vocabulary())]
    if problems:
        raise AgreementInvalid(problems)
    return policy


def agreement_from_odrl(data: object, vocabulary: Vocabulary | None = None) -> AgreementDocument:
    """Read back an agreement exported by ``agreement_to_odrl`` (its rules are authoritative)."""
    if not isinstance(data, Mapping):
        raise _invalid("$", "an ODRL policy is a JSON object")
    carried = data.get("accord:agreement")
    if not isinstance(carried, Mapping) or not isinstance(carried.get("@value"), Mapping):
        raise _invalid(
            "accord:agreement",
            "this policy carries no Accord agreement; import its rules with policy_from_odrl",
        )
    policy = policy_from_odrl(data, vocabulary)
    document = dict(carried["@value"])
    document["odrl"] = policy.model_dump(mode="json", exclude_defaults=True)
    return parse_agreement(document, vocabulary)


def _derived_permissions(
    document: AgreementDocument, vocab: Vocabulary
) -> Iterator[dict[str, Any]]:
    duo = vocab.duo
    permission = duo.resolve(document.duo.permission) or document.duo.permission
    constraints: list[dict[str, Any]] = []
    if permission != Duo.NRES:
        constraints.append(_constraint("purpose", "isA", {"@id": _duo_iri(permission)}))
    for modifier in document.duo.modifiers:
        if duo.resolve(modifier.code) == Duo.GS:
            constraints.append(_constraint("spatial", "isAnyOf", list(modifier.countries)))
    if document.max_grant_duration is not None:
        duration = {"@value": document.max_grant_duration.isoformat(), "@type": "xsd:duration"}
        constraints.append(_constraint("elapsedTime", "lteq", duration))
    rule: dict[str, Any] = {"accord:clause": "duo.permission", "action": "use"}
    if constraints:
        rule["constraint"] = constraints
    duties = [_duty_from_document(duty.kind, i, duty) for i, duty in enumerate(document.duties)]
    if duties:
        rule["duty"] = duties
    yield rule


def _derived_prohibitions(
    document: AgreementDocument, vocab: Vocabulary
) -> Iterator[dict[str, Any]]:
    duo = vocab.duo
    for index, modifier in enumerate(document.duo.modifiers):
        term = duo.resolve(modifier.code)
        clause = f"duo.modifiers[{index}]"
        if term in (Duo.NCU, Duo.NPUNCU):
            yield {"accord:clause": clause, "action": "commercialize"}
        elif term == Duo.NPOA:
            purpose = _constraint("purpose", "isA", {"@id": _duo_iri(Duo.POA)})
            yield {"accord:clause": clause, "action": "use", "constraint": [purpose]}
    if document.residency is not None:
        where = list(document.residency.jurisdictions)
        spatial = _constraint("spatial", "isNoneOf", where)
        yield {"accord:clause": "residency", "action": "reproduce", "constraint": [spatial]}
    if document.export.allowed is not None:
        spatial = _constraint("spatial", "isNoneOf", list(document.export.allowed))
        yield {"accord:clause": "export.allowed", "action": "reproduce", "constraint": [spatial]}
    if document.export.forbidden:
        spatial = _constraint("spatial", "isAnyOf", list(document.export.forbidden))
        yield {"accord:clause": "export.forbidden", "action": "reproduce", "constraint": [spatial]}


def _duty_from_document(kind: str, index: int, duty: object) -> dict[str, Any]:
    out: dict[str, Any] = {"accord:clause": f"duties[{index}]", "action": _DUTY_ACTIONS[kind]}
    if isinstance(duty, ReportPublications):
        months = {"@value": f"P{duty.within_months}M", "@type": "xsd:duration"}
        out["constraint"] = [_constraint("elapsedTime", "lteq", months)]
    elif isinstance(duty, DeleteAfterUse) and duty.within_days:
        days = {"@value": f"P{duty.within_days}D", "@type": "xsd:duration"}
        out["constraint"] = [_constraint("elapsedTime", "lteq", days)]
    return out


def _rule_out(rule: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"action": rule.action}
    if rule.constraints:
        out["constraint"] = [_constraint_out(c) for c in rule.constraints]
    if getattr(rule, "duties", ()):
        out["duty"] = [_duty_out(d) for d in rule.duties]
    return out


def _duty_out(duty: OdrlDuty) -> dict[str, Any]:
    out: dict[str, Any] = {"action": duty.action}
    if duty.note:
        out["comment"] = duty.note
    return out


def _constraint_out(constraint: Constraint) -> dict[str, Any]:
    operand = constraint.right_operand
    match constraint.left_operand:
        case "purpose":
            value: Any = [{"@id": _duo_iri(code)} for code in operand]  # type: ignore[union-attr]
        case "recipient":
            value = [{"@id": f"https://ror.org/{ror}"} for ror in operand]  # type: ignore[union-attr]
        case "spatial":
            value = list(operand)  # type: ignore[arg-type]
        case "dateTime":
            value = {
                "@value": constraint.model_dump(mode="json")["right_operand"],
                "@type": "xsd:dateTime",
            }
        case "elapsedTime":
            value = {"@value": str(operand), "@type": "xsd:duration"}
        case _:
            value = operand
    return _constraint(constraint.left_operand, constraint.operator, value)


def _constraint(left: str, operator: str, right: Any) -> dict[str, Any]:
    return {"leftOperand": left, "operator": operator, "rightOperand": right}


def _duo_iri(code: str) -> str:
    vocab = default_vocabulary()
    curie = vocab.duo.resolve(code) or code
    return "duo:" + curie.removeprefix("DUO:")


def _policy_problems(data: Mapping[str, Any]) -> Iterator[Problem]:
    kind = _term(data.get("@type", data.get("type", "")))
    if kind not in ("Set", "Offer", "Agreement", "Policy"):
        yield Problem(
            "@type",
            f"'{kind}' is not an ODRL policy type (Set, Offer, Agreement)",
            errors.INVALID_ODRL,
        )
    if not data.get("uid"):
        yield Problem("uid", "an ODRL policy needs a uid (ODRL 2.2 §2.2)", errors.INVALID_ODRL)
    if _term(data.get("conflict", "prohibit")) == "perm":
        yield Problem(
            "conflict",
            "'perm' would let permissions override prohibitions; in Accord prohibitions win",
            errors.INVALID_ODRL,
        )
    for key in _RULE_KEYS:
        rules = data.get(key, [])
        if not isinstance(rules, list):
            yield Problem(key, f"'{key}' is a list of rules", errors.INVALID_ODRL)
            continue
        for index, rule in enumerate(rules):
            yield from _rule_problems(rule, f"{key}[{index}]")


def _rule_problems(rule: object, where: str) -> Iterator[Problem]:
    if not isinstance(rule, Mapping):
        yield Problem(where, "a rule is a JSON object", errors.INVALID_ODRL)
        return
    if "action" not in rule:
        yield Problem(
            f"{where}.action", "a rule needs an action (ODRL 2.2 §2.5)", errors.INVALID_ODRL
        )
    elif not isinstance(rule["action"], str | Mapping):
        yield Problem(
            f"{where}.action", "refined or multiple actions are not supported", errors.INVALID_ODRL
        )
    for index, constraint in enumerate(rule.get("constraint", [])):
        at = f"{where}.constraint[{index}]"
        if not isinstance(constraint, Mapping):
            yield Problem(at, "a constraint is a JSON object", errors.INVALID_ODRL)
        elif _LOGICAL & constraint.keys():
            yield Problem(
                at, "logical constraints (and, or, xone) are not supported", errors.INVALID_ODRL
            )
        else:
            for key in ("leftOperand", "operator", "rightOperand"):
                if key not in constraint:
                    yield Problem(f"{at}.{key}", f"a constraint needs '{key}'", errors.INVALID_ODRL)


def _own_rules(data: Mapping[str, Any], key: str) -> list[Mapping[str, Any]]:
    """The rules written by hand: those derived from other clauses are re-derived on export."""
    return [rule for rule in data.get(key, []) if "accord:clause" not in rule]


def _rule_in(rule: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"action": _term(rule["action"])}
    out["constraints"] = [
        {
            "left_operand": _term(c["leftOperand"]),
            "operator": _term(c["operator"]),
            "right_operand": _operand(c["rightOperand"]),
        }
        for c in rule.get("constraint", [])
    ]
    if "duty" in rule:
        out["duties"] = [_duty_in(d) for d in rule["duty"] if "accord:clause" not in d]
    return out


def _duty_in(duty: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"action": _term(duty.get("action", ""))}
    if "comment" in duty:
        out["note"] = duty["comment"]
    return out


def _term(value: object) -> str:
    """``odrl:use``, ``http://www.w3.org/ns/odrl/2/use`` and ``{"@id": …}`` → ``use``."""
    if isinstance(value, Mapping):
        value = value.get("@id", value.get("@value", ""))
    text = str(value)
    return text.removeprefix(ODRL).removeprefix("odrl:")


def _operand(value: object) -> Any:
    if isinstance(value, list):
        return [_operand(item) for item in value]
    if isinstance(value, Mapping):
        if "@id" in value:
            iri = str(value["@id"])
            for prefix in ("duo:", DUO_PREFIX):
                if iri.startswith(prefix):
                    return _duo_code("DUO:" + iri.removeprefix(prefix))
            return iri.removeprefix(ODRL)
        return value.get("@value")
    return value


def _duo_code(curie: str) -> str:
    """DUO's own shorthand (``HMB``) where the term has one, else the CURIE."""
    duo = default_vocabulary().duo
    return duo.shorthand(curie) if curie in duo else curie


def _from_pydantic(error: Mapping[str, Any]) -> Problem:
    return Problem(_jsonld_location(location(error["loc"])), error["msg"], errors.INVALID_ODRL)


def _renamed(problem: Problem) -> Problem:
    return Problem(
        _jsonld_location(problem.location.removeprefix("odrl.")), problem.message, problem.code
    )


def _jsonld_location(where: str) -> str:
    return re.sub(r"[a-z_]+", lambda m: _JSONLD_NAMES.get(m.group(0), m.group(0)), where)


def _invalid(where: str, message: str) -> AgreementInvalid:
    return AgreementInvalid([Problem(where, message, errors.INVALID_ODRL)])
