"""Agreements and decisions in plain language, for pages, the CLI and committee reviews."""

from __future__ import annotations

from dataclasses import dataclass

from accord.agreements.decision import Decision, Effect, Outcome
from accord.agreements.disclosure import NKRule, NoDominanceRule, PPercentRule
from accord.agreements.document import AgreementDocument, Modifier, Review, Tier
from accord.agreements.duo import Duo
from accord.agreements.jurisdictions import names
from accord.agreements.ontology import Vocabulary
from accord.agreements.wording import ACTIONS, constraint_phrase, duty_sentence, term_phrase

_TIERS = {
    Tier.OPEN: "Open: anyone may download the data.",
    Tier.REGISTERED: "Registered: signed-in users who meet the conditions below may use the data.",
    Tier.CONTROLLED: "Controlled: use needs a grant, which is purpose- and time-bound.",
    Tier.RESTRICTED: "Restricted: the data never leaves this node; it is analysed in the sandbox.",
}
_OUTCOMES = {
    Outcome.PERMIT: "Yes",
    Outcome.REFER: "Perhaps: the committee decides",
    Outcome.DENY: "No",
}


@dataclass(frozen=True, slots=True)
class Section:
    heading: str
    lines: tuple[str, ...]


def explain_agreement(document: AgreementDocument, vocab: Vocabulary) -> tuple[Section, ...]:
    """The agreement, section by section, in plain sentences (empty sections left out)."""
    sections = (
        Section("Who may use it", (_TIERS[document.tier], *_conditions(document))),
        Section("For what", _purposes(document, vocab)),
        Section("Where", _places(document)),
        Section("Rules", _rules(document, vocab)),
        Section("Duties", _duties(document)),
        Section("Sandbox outputs", _disclosure(document)),
    )
    return tuple(section for section in sections if section.lines)


def agreement_text(document: AgreementDocument, vocab: Vocabulary) -> str:
    """``explain_agreement`` as text with headings."""
    parts = [document.title, "=" * len(document.title)]
    if document.summary:
        parts += [document.summary]
    for section in explain_agreement(document, vocab):
        parts += ["", section.heading, *(f"- {line}" for line in section.lines)]
    return "\n".join(parts)


def decision_text(decision: Decision) -> str:
    """A decision as an answer, the reasons that decided it, the rest, and the obligations."""
    mode = f" ({decision.mode.value})" if decision.outcome is not Outcome.DENY else ""
    lines = [f"{_OUTCOMES[decision.outcome]}{mode}."]
    deciding = decision.deciding_reasons()
    lines += [f"  because: {r.text} [{r.code} · {r.clause.ref}]" for r in deciding]
    lines += [
        f"  and: {r.text} [{r.code} · {r.clause.ref}]"
        for r in decision.reasons
        if r not in deciding and r.effect is Effect.PERMIT
    ]
    lines += [f"  you must: {o.text} [{o.clause.ref}]" for o in decision.obligations]
    return "\n".join(lines)


def _conditions(document: AgreementDocument) -> tuple[str, ...]:
    lines = [
        f"Requesters must hold a current '{kind}' accreditation."
        for kind in document.accreditations
    ]
    if document.max_grant_duration is not None:
        lines.append(f"A grant lasts at most {document.max_grant_duration.isoformat()}.")
    committee = document.committee
    if committee is not None:
        deadline = committee.decision_deadline.isoformat()
        if committee.review is Review.EVERY_REQUEST:
            lines.append(f"{committee.name} decides every request within {deadline}.")
        else:
            lines.append(
                f"Requests that meet every condition are granted at once; "
                f"{committee.name} decides the others within {deadline}."
            )
    return tuple(lines)


def _purposes(document: AgreementDocument, vocab: Vocabulary) -> tuple[str, ...]:
    duo = vocab.duo
    permission = duo.resolve(document.duo.permission) or document.duo.permission
    first = f"Permitted use: {term_phrase(duo, permission)}"
    if document.duo.diseases:
        diseases = " or ".join(vocab.diseases.label(d) for d in document.duo.diseases)
        first += f", for research on {diseases} (and kinds of it)"
    lines = [first + "."]
    for modifier in document.duo.modifiers:
        lines.append(
            modifier_sentence(modifier, duo.resolve(modifier.code) or modifier.code, vocab)
        )
    return tuple(lines)


def modifier_sentence(modifier: Modifier, term: str, vocab: Vocabulary) -> str:
    """One DUO modifier, with its parameters, as a sentence."""
    code = f"({vocab.duo.shorthand(term)})"
    match term:
        case Duo.GS:
            return f"Use only in {names(modifier.countries, 'or')} {code}."
        case Duo.TS:
            return f"Use for at most {modifier.months} months {code}."
        case Duo.MOR:
            return f"Do not publish results before {modifier.until} {code}."
        case Duo.IS:
            return f"Use only at the institutions {', '.join(modifier.institutions)} {code}."
        case Duo.PS:
            listed = f": {', '.join(modifier.projects)}" if modifier.projects else ""
            return f"Use only in approved projects{listed} {code}."
        case Duo.US:
            return f"Use only by approved users {code}."
        case Duo.RS:
            kinds = " or ".join(
                term_phrase(vocab.duo, vocab.duo.resolve(t) or t) for t in modifier.research_types
            )
            return f"Use only for {kinds} {code}."
    label = vocab.duo.label(term)
    return f"{label[0].upper()}{label[1:]} {code}."


def _places(document: AgreementDocument) -> tuple[str, ...]:
    lines = []
    if document.residency is not None:
        where = names(document.residency.jurisdictions, "or")
        lines.append(f"The data may be stored and processed only in {where}.")
    export = document.export
    if export.allowed is not None:
        lines.append(f"It may be sent only to {names(export.allowed, 'or')}.")
    if export.forbidden:
        lines.append(f"It may never be sent to {names(export.forbidden, 'or')}.")
    if export.control_classification:
        lines.append(f"It is export-controlled ({export.control_classification}).")
    if lines:
        lines.append("Requesters elsewhere use the data in the sandbox at this node.")
    return tuple(lines)


def _rules(document: AgreementDocument, vocab: Vocabulary) -> tuple[str, ...]:
    lines = []
    for rule in document.odrl.permissions:
        when = " and ".join(constraint_phrase(c, vocab.duo) for c in rule.constraints)
        lines.append(f"Allowed: {ACTIONS[rule.action]}" + (f", when {when}." if when else "."))
    for prohibition in document.odrl.prohibitions:
        when = " and ".join(constraint_phrase(c, vocab.duo) for c in prohibition.constraints)
        lines.append(
            f"Forbidden: {ACTIONS[prohibition.action]}" + (f", when {when}." if when else ".")
        )
    return tuple(lines)


def _duties(document: AgreementDocument) -> tuple[str, ...]:
    lines = [f"Follow the licence {document.licence}."]
    lines += [duty_sentence(duty) for duty in document.duties]
    for duty in (
        *document.odrl.obligations,
        *(d for p in document.odrl.permissions for d in p.duties),
    ):
        text = ACTIONS[duty.action]
        lines.append(f"{text[0].upper()}{text[1:]}.")
    return tuple(lines)


def _disclosure(document: AgreementDocument) -> tuple[str, ...]:
    terms = document.disclosure
    if terms is None:
        return ()
    lines = []
    if terms.min_cell_count is not None:
        lines.append(f"Every released cell counts at least {terms.min_cell_count} people.")
    match terms.dominance:
        case PPercentRule(p=p):
            lines.append(f"No sum may let one contributor's value be estimated within {p:g}%.")
        case NKRule(n=n, k=k):
            lines.append(f"No sum may have its {n} largest contributors hold over {k:g}%.")
        case NoDominanceRule():
            lines.append("Sums are not checked for dominant contributors.")
    if terms.rounding is not None and terms.rounding.rounds_counts:
        lines.append(f"Counts are rounded to multiples of {terms.rounding.counts_base}.")
    if terms.rounding is not None and terms.rounding.rounds_magnitudes:
        lines.append(f"Sums are rounded to multiples of {terms.rounding.magnitudes_base:g}.")
    if terms.microdata is not None:
        lines.append(
            "Row-level outputs may be released."
            if terms.microdata
            else "Row-level outputs are never released."
        )
    if terms.review == "always":
        lines.append("An output checker reviews every output before release.")
    if terms.privacy_budget is not None:
        lines.append(
            f"Differentially private measurements may spend epsilon {terms.privacy_budget:g} "
            "per researcher and dataset, across all their grants."
        )
    if not lines:
        lines.append("Outputs are checked under this node's default rules.")
    return tuple(lines)
