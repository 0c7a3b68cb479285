"""Plain-language phrases for the clauses of an agreement, shared by reasons and ``explain``."""

from __future__ import annotations

from datetime import date, datetime

from accord.agreements.document import (
    Cite,
    Constraint,
    CountConstraint,
    DateTimeConstraint,
    DeleteAfterUse,
    Duty,
    ElapsedTimeConstraint,
    OfferCoauthorship,
    PurposeConstraint,
    RecipientConstraint,
    ReportPublications,
    ReturnDerivedData,
    SpatialConstraint,
)
from accord.agreements.jurisdictions import names
from accord.agreements.ontology import DuoVocabulary

_ORDER = {
    "eq": "exactly",
    "neq": "other than",
    "lt": "before",
    "lteq": "at or before",
    "gt": "after",
    "gteq": "at or after",
}
_AMOUNT = {
    "eq": "exactly",
    "neq": "other than",
    "lt": "less than",
    "lteq": "at most",
    "gt": "more than",
    "gteq": "at least",
}
ACTIONS = {
    "use": "use the data",
    "read": "read the data",
    "reproduce": "copy the data out of the node",
    "distribute": "pass the data on to others",
    "commercialize": "use the data commercially",
    "derive": "make new datasets from the data",
    "aggregate": "aggregate the data",
    "anonymize": "anonymise the data",
    "archive": "archive the data",
    "extract": "extract parts of the data",
    "index": "index the data",
    "modify": "modify the data",
    "transform": "transform the data",
    "transfer": "transfer ownership of the data",
    "annotate": "annotate the data",
    "display": "display the data",
    "print": "print the data",
    "attribute": "credit the data's source (attribution)",
    "inform": "inform the data steward of the use",
    "delete": "delete the data after use",
    "obtainConsent": "obtain consent before use",
    "reviewPolicy": "review this policy before use",
    "acceptTracking": "accept that use is tracked",
    "compensate": "pay the agreed compensation",
}


def term_phrase(duo: DuoVocabulary, term: str) -> str:
    """``HMB (health or medical or biomedical research)``."""
    return f"{duo.shorthand(term)} ({duo.label(term)})" if term in duo else term


def constraint_phrase(constraint: Constraint, duo: DuoVocabulary) -> str:
    """One constraint as a condition: ``the requester is in Brazil or Portugal``."""
    match constraint:
        case PurposeConstraint(operator=op, right_operand=codes):
            terms = " or ".join(term_phrase(duo, duo.resolve(c) or c) for c in codes)
            return f"the purpose is not {terms}" if op == "isNoneOf" else f"the purpose is {terms}"
        case SpatialConstraint(operator=op, right_operand=codes):
            where = names(codes, "or")
            negated = op in ("neq", "isNoneOf")
            return f"the requester is {'not ' if negated else ''}in {where}"
        case RecipientConstraint(operator=op, right_operand=orgs):
            negated = op in ("neq", "isNoneOf")
            return f"the requester's organisation is {'not ' if negated else ''}{' or '.join(orgs)}"
        case DateTimeConstraint(operator=op, right_operand=moment):
            return f"the request is made {_ORDER[op]} {_when(moment)}"
        case ElapsedTimeConstraint(operator=op, right_operand=period):
            return f"the use lasts {_AMOUNT[op]} {period.isoformat()}"
        case CountConstraint(operator=op, right_operand=count):
            return (
                f"the requester has used the data {_AMOUNT[op]} {count} time(s), counting this one"
            )
    raise TypeError(constraint)


def duty_sentence(duty: Duty) -> str:
    match duty:
        case Cite(citation=citation):
            return f"Cite the dataset{f' as: {citation}' if citation else ''}."
        case ReportPublications(within_months=months):
            return f"Report publications that use the data within {months} months of publishing."
        case DeleteAfterUse(within_days=days):
            return "Delete the data when the grant ends" + (
                f" (within {days} days)." if days else "."
            )
        case OfferCoauthorship():
            return "Offer co-authorship to the data's originators."
        case ReturnDerivedData(within_months=months):
            return "Return derived or enriched data to the resource" + (
                f" within {months} months." if months else "."
            )
    raise TypeError(duty)


def _when(moment: date | datetime) -> str:
    if isinstance(moment, datetime):
        return moment.strftime("%Y-%m-%d %H:%M UTC")
    return moment.isoformat()
