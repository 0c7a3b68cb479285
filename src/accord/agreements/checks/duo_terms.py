"""GA4GH DUO semantics: the data-use permission admits a purpose; modifiers add conditions.

Matching follows the DUO term definitions (release 2021-02-23): NRES admits any use; GRU admits
any research purpose, including HMB, DS and POA ("includes ... the study of population origins
or ancestry"); HMB admits HMB and DS but not POA ("does not include the study of population
origins or ancestry"); DS for disease X admits DS research on X or a descendant of X; POA admits
only POA. Subsumption is over the DUO and disease ontology hierarchies.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from accord.agreements.context import Context, OrganisationKind
from accord.agreements.decision import Clause, ClauseKind, Effect, Obligation, Reason
from accord.agreements.document import Modifier
from accord.agreements.duo import Duo
from accord.agreements.durations import Duration
from accord.agreements.findings import Check, Findings
from accord.agreements.jurisdictions import countries, names
from accord.agreements.ontology import Hierarchy, Vocabulary
from accord.agreements.wording import term_phrase

MEMO_LIMIT = 4096
"""Distinct refusals remembered per clause; past it they are worded afresh (same words)."""


class Category:
    """The stated purpose falls within the dataset's DUO data-use permission."""

    __slots__ = (
        "_admitted",
        "_clause",
        "_clinical_care",
        "_covered",
        "_diseases",
        "_ok",
        "_refusals",
        "_vocab",
    )

    def __init__(
        self, permission: str, diseases: Iterable[str], clinical_care: bool, vocab: Vocabulary
    ) -> None:
        self._vocab = vocab
        self._clause = Clause(ClauseKind.DUO, "duo.permission", permission)
        self._admitted: frozenset[str] | None = _admitted(permission, vocab.duo)
        self._diseases = tuple(diseases)
        self._covered = frozenset().union(*(vocab.diseases.descendants(d) for d in self._diseases))
        self._clinical_care = clinical_care or permission == Duo.NRES
        self._refusals: dict[tuple[str, frozenset[str]], Reason] = {}
        self._ok = Reason(
            Effect.PERMIT,
            "duo.purpose-within-consent",
            self._clause,
            f"The purpose is within the consented use: {term_phrase(vocab.duo, permission)}"
            + (
                f" for {_disease_names(self._diseases, vocab.diseases)}." if self._diseases else "."
            ),
        )

    def __call__(self, context: Context, found: Findings) -> None:
        purpose = context.purpose
        if purpose.clinical_care and not self._clinical_care:
            found.reasons.append(
                self._deny("duo.clinical-care-not-consented", "clinical care is not among them")
            )
            return
        admitted = self._admitted
        if admitted is None:
            found.reasons.append(self._ok)
        elif not purpose.categories:
            found.reasons.append(
                self._deny("duo.purpose-missing", "state the purpose as a DUO term (e.g. HMB)")
            )
        elif not purpose.categories <= admitted:
            found.reasons.append(self._refusal("categories", purpose.categories))
        elif self._diseases and not (purpose.diseases and purpose.diseases <= self._covered):
            found.reasons.append(self._refusal("diseases", purpose.diseases))
        else:
            found.reasons.append(self._ok)

    def _refusal(self, kind: str, asked: frozenset[str]) -> Reason:
        """The refusal for these terms, worded once and then remembered (wording is pure)."""
        reason = self._refusals.get((kind, asked))
        if reason is None:
            if kind == "categories":
                outside = ", ".join(
                    term_phrase(self._vocab.duo, t)
                    for t in sorted(asked - (self._admitted or frozenset()))
                )
                why = f"the purpose {outside} is outside it"
                reason = self._deny("duo.purpose-outside-consent", why)
            else:
                reason = self._deny_disease(asked)
            if len(self._refusals) < MEMO_LIMIT:
                self._refusals[(kind, asked)] = reason
        return reason

    def _deny(self, code: str, why: str) -> Reason:
        consent = term_phrase(self._vocab.duo, str(self._clause.term))
        return Reason(
            Effect.DENY, code, self._clause, f"The data may be used for {consent}; {why}."
        )

    def _deny_disease(self, asked: frozenset[str]) -> Reason:
        consented = _disease_names(self._diseases, self._vocab.diseases)
        if not asked:
            why = "name the disease(s) the research is about"
        else:
            outside = _disease_names(sorted(asked - self._covered), self._vocab.diseases)
            why = f"{outside} is not {consented} or a kind of it"
        return Reason(
            Effect.DENY,
            "duo.disease-outside-consent",
            self._clause,
            f"The data may be used only for research on {consented}; {why}.",
        )


def _admitted(permission: str, duo: Hierarchy) -> frozenset[str] | None:
    """The purpose categories a permission admits; None for NRES (every use, stated or not)."""
    if permission == Duo.NRES:
        return None
    admitted = duo.descendants(permission)
    if permission == Duo.GRU:
        admitted |= duo.descendants(Duo.POA)
    return admitted


def _disease_names(ids: Iterable[str], diseases: Hierarchy) -> str:
    return " or ".join(f"{diseases.label(d)} ({d})" for d in ids)


Predicate = Callable[[Context], bool]


class Condition:
    """A modifier that permits when a predicate on the context holds, and otherwise refuses."""

    __slots__ = ("_failure", "_ok", "_test")

    def __init__(self, test: Predicate, ok: Reason, failure: Reason) -> None:
        self._test = test
        self._ok = ok
        self._failure = failure

    def __call__(self, context: Context, found: Findings) -> None:
        found.reasons.append(self._ok if self._test(context) else self._failure)


def _no_overlap(forbidden: frozenset[str]) -> Predicate:
    """No purpose term could be a use of a forbidden term (they share no descendant)."""
    return lambda c: (
        c.purpose.categories.isdisjoint(forbidden)
        and c.purpose.research_types.isdisjoint(forbidden)
    )


def _research_within(allowed: frozenset[str]) -> Predicate:
    """Research types are stated and each is an allowed type or a kind of one."""
    return lambda c: bool(c.purpose.research_types) and c.purpose.research_types <= allowed


_NOT_FOR_PROFIT, _FOR_PROFIT = OrganisationKind.NOT_FOR_PROFIT, OrganisationKind.FOR_PROFIT


class NotForProfitOrganisation:
    """NPU: not-for-profit organisations only; one of unknown kind goes to the committee."""

    __slots__ = ("_deny", "_ok", "_refer")

    def __init__(self, clause: Clause) -> None:
        self._ok = Reason(
            Effect.PERMIT,
            "duo.npu-satisfied",
            clause,
            "The requester's organisation is not-for-profit.",
        )
        self._deny = Reason(
            Effect.DENY,
            "duo.npu-for-profit",
            clause,
            "Only not-for-profit organisations may use the data (NPU); "
            "the requester's is for-profit.",
        )
        self._refer = Reason(
            Effect.REFER,
            "duo.npu-unknown-organisation",
            clause,
            "Only not-for-profit organisations may use the data (NPU); "
            "the committee checks the requester's organisation.",
        )

    def __call__(self, context: Context, found: Findings) -> None:
        kind = context.requester.organisation_kind
        if kind is _NOT_FOR_PROFIT:
            found.reasons.append(self._ok)
        elif kind is _FOR_PROFIT:
            found.reasons.append(self._deny)
        else:
            found.reasons.append(self._refer)


def modifier_checks(modifier: Modifier, term: str, index: int, vocab: Vocabulary) -> list[Check]:
    """The checks one DUO modifier compiles to (none for modifiers that only add duties)."""
    clause = Clause(ClauseKind.DUO, f"duo.modifiers[{index}]", term)
    duo = vocab.duo

    def condition(
        test: Predicate, code: str, ok: str, failure: str, effect: Effect = Effect.DENY
    ) -> Condition:
        return Condition(
            test,
            Reason(Effect.PERMIT, f"duo.{code}-satisfied", clause, ok),
            Reason(effect, f"duo.{code}-not-met", clause, failure),
        )

    non_commercial = condition(
        lambda c: not c.purpose.commercial,
        "ncu",
        "The purpose is not commercial.",
        "The data is for non-commercial use only (NCU); the purpose is commercial.",
    )
    match term:
        case Duo.NCU:
            return [non_commercial]
        case Duo.NPU:
            return [NotForProfitOrganisation(clause)]
        case Duo.NPUNCU:
            return [non_commercial, NotForProfitOrganisation(clause)]
        case Duo.IRB:
            return [
                condition(
                    lambda c: c.purpose.ethics_approval,
                    "irb",
                    "The requester has documented ethics approval.",
                    "Use requires ethics (IRB/ERB) approval (IRB); "
                    "attach the approval to the request.",
                )
            ]
        case Duo.GS:
            where = names(modifier.countries, "or")
            allowed = countries(modifier.countries)
            return [
                condition(
                    lambda c: c.requester.country in allowed,
                    "gs",
                    f"The requester is in {where}, where use is allowed.",
                    f"Use is limited to {where} (GS); the requester is elsewhere.",
                )
            ]
        case Duo.TS:
            months = modifier.months or 0
            limit = Duration.of_months(months)
            return [
                condition(
                    lambda c: c.duration.compare(limit, c.now) <= 0,
                    "ts",
                    f"The use ends within the {months}-month limit.",
                    f"Use is limited to {months} months (TS); ask for a shorter period.",
                )
            ]
        case Duo.US:
            users = frozenset(modifier.users)
            return [
                condition(
                    lambda c: c.requester.user in users,
                    "us",
                    "The requester is an approved user.",
                    "Use is limited to approved users (US); the committee decides.",
                    Effect.REFER,
                )
            ]
        case Duo.PS:
            projects = frozenset(modifier.projects)
            return [
                condition(
                    lambda c: c.purpose.project in projects,
                    "ps",
                    "The project is an approved project.",
                    "Use is limited to approved projects (PS); the committee decides.",
                    Effect.REFER,
                )
            ]
        case Duo.IS:
            institutions = frozenset(modifier.institutions)
            return [
                condition(
                    lambda c: c.requester.organisation in institutions,
                    "is",
                    "The requester's institution is an approved institution.",
                    f"Use is limited to the institutions {', '.join(modifier.institutions)} (IS).",
                )
            ]
        case Duo.NPOA:
            forbidden = frozenset().union(
                *(
                    duo.overlapping(t)
                    for t in (Duo.POA, Duo.POPULATION_RESEARCH, Duo.ANCESTRY_RESEARCH)
                )
            )
            return [
                condition(
                    _no_overlap(forbidden),
                    "npoa",
                    "The purpose is not population origins or ancestry research.",
                    "Population origins or ancestry research is prohibited (NPOA).",
                )
            ]
        case Duo.NMDS:
            return [
                condition(
                    _no_overlap(duo.overlapping(Duo.METHOD_DEVELOPMENT)),
                    "nmds",
                    "The purpose is not methods development.",
                    "Methods development research is not allowed (NMDS).",
                )
            ]
        case Duo.GSO:
            return [
                condition(
                    _research_within(duo.descendants(Duo.GENETIC_RESEARCH)),
                    "gso",
                    "The research is a genetic study.",
                    "Use is limited to genetic studies (GSO); "
                    "state genetic research as the research type.",
                )
            ]
        case Duo.RS:
            types = [duo.resolve(code) or code for code in modifier.research_types]
            spelled = " or ".join(term_phrase(duo, t) for t in types)
            return [
                condition(
                    _research_within(frozenset().union(*(duo.descendants(t) for t in types))),
                    "rs",
                    f"The research type is within {spelled}.",
                    f"Use is limited to {spelled} (RS); state a research type within it.",
                )
            ]
    return []


def modifier_obligations(modifier: Modifier, term: str, index: int) -> list[Obligation]:
    """Duties a DUO modifier lays on anyone granted the data."""
    clause = Clause(ClauseKind.DUO, f"duo.modifiers[{index}]", term)
    match term:
        case Duo.PUB:
            return [
                Obligation(
                    "duo.pub",
                    clause,
                    "Make the results available to the scientific community (PUB).",
                )
            ]
        case Duo.COL:
            return [
                Obligation(
                    "duo.col", clause, "Collaborate with the primary study investigators (COL)."
                )
            ]
        case Duo.RTN:
            return [
                Obligation(
                    "duo.rtn", clause, "Return derived or enriched data to the resource (RTN)."
                )
            ]
        case Duo.MOR if modifier.until is not None:
            day = modifier.until.isoformat()
            return [
                Obligation(
                    "duo.mor", clause, f"Do not publish results before {day} (MOR).", {"until": day}
                )
            ]
        case Duo.TS if modifier.months is not None:
            return [
                Obligation(
                    "duo.ts",
                    clause,
                    f"Stop using the data {modifier.months} months after the grant starts (TS).",
                    {"months": str(modifier.months)},
                )
            ]
    return []
