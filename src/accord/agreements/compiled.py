"""Compiling an agreement once into the checks the engine runs for every request.

Compilation resolves DUO codes and jurisdictions, expands ontology subsumption into sets and
writes the fixed wording of reasons, so that evaluation is a few set look-ups per clause.
Compiled agreements are cached by document (documents are immutable and hashable).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from accord.agreements.checks.duo_terms import Category, modifier_checks, modifier_obligations
from accord.agreements.checks.odrl_rules import OdrlRules
from accord.agreements.checks.placement import Placement
from accord.agreements.checks.requester import Accredited, Standing
from accord.agreements.checks.terms import MaximumDuration, standing_obligations, tier_reasons
from accord.agreements.decision import Effect, Obligation, Reason
from accord.agreements.document import AgreementDocument, Tier
from accord.agreements.duo import Duo
from accord.agreements.findings import Check
from accord.agreements.ontology import Vocabulary, default_vocabulary
from accord.agreements.validation import check_agreement


@dataclass(frozen=True, slots=True)
class CompiledAgreement:
    """The checks of an agreement, plus what holds for every request under it."""

    document: AgreementDocument
    checks: tuple[Check, ...]
    reasons: tuple[Reason, ...]
    """Reasons of every decision: the tier and the committee."""
    obligations: tuple[Obligation, ...]
    """Obligations of every grant: the licence, the duties, the duty-only DUO modifiers."""
    sandbox: bool
    """Whether the data is used in the sandbox whatever the request (restricted tier)."""


def compile_agreement(
    document: AgreementDocument, vocabulary: Vocabulary | None = None
) -> CompiledAgreement:
    """The checks of ``document``, in evaluation order; cached. Invalid documents raise."""
    return _compile(document, vocabulary or default_vocabulary())


@lru_cache(maxsize=8192)
def _compile(document: AgreementDocument, vocab: Vocabulary) -> CompiledAgreement:
    check_agreement(document, vocab)
    checks: list[Check] = [Standing(document.tier.value, document.tier is not Tier.OPEN)]
    checks += [Accredited(kind, i) for i, kind in enumerate(document.accreditations)]
    checks += _duo_checks(document, vocab)
    if document.odrl.permissions or document.odrl.prohibitions or document.odrl.obligations:
        checks.append(OdrlRules(document.odrl, vocab))
    if document.max_grant_duration is not None:
        checks.append(MaximumDuration(document.max_grant_duration))
    checks.append(Placement(document))
    reasons = tier_reasons(document)
    sandbox = any(reason.effect is Effect.SANDBOX for reason in reasons)
    return CompiledAgreement(
        document, tuple(checks), reasons, _obligations(document, vocab), sandbox
    )


def _duo_checks(document: AgreementDocument, vocab: Vocabulary) -> list[Check]:
    terms = [vocab.duo.resolve(m.code) or m.code for m in document.duo.modifiers]
    permission = vocab.duo.resolve(document.duo.permission) or document.duo.permission
    checks: list[Check] = [Category(permission, document.duo.diseases, Duo.CC in terms, vocab)]
    for index, (modifier, term) in enumerate(zip(document.duo.modifiers, terms, strict=True)):
        checks += modifier_checks(modifier, term, index, vocab)
    return checks


def _obligations(document: AgreementDocument, vocab: Vocabulary) -> tuple[Obligation, ...]:
    from_modifiers = tuple(
        obligation
        for index, modifier in enumerate(document.duo.modifiers)
        for obligation in modifier_obligations(
            modifier, vocab.duo.resolve(modifier.code) or modifier.code, index
        )
    )
    return standing_obligations(document) + from_modifiers
