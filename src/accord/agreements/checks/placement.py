"""Residency and export rules: where the data may go, and so in which mode it is used.

Download sends a copy to the requester's jurisdiction: it needs that jurisdiction to be one the
data may be stored in (residency) and sent to (export allowed, not forbidden). When it is not,
the data is used in the sandbox at the node instead, which needs the node's own jurisdiction to
be a residency one; if it is not, nothing is possible and the request is denied.
This check runs last, after every other check has had its say on the mode.
"""

from __future__ import annotations

from accord.agreements.context import Context
from accord.agreements.decision import Clause, ClauseKind, Effect, Obligation, Reason
from accord.agreements.document import AgreementDocument
from accord.agreements.findings import Findings
from accord.agreements.jurisdictions import countries, jurisdiction_name, names


class Placement:
    __slots__ = ("_control", "_document", "_refusals", "_residency", "_sent", "_stays")

    def __init__(self, document: AgreementDocument) -> None:
        self._document = document
        residency = document.residency
        self._residency = countries(residency.jurisdictions) if residency else None
        self._refusals: dict[str, Reason | None] = {}
        self._sent = Reason(
            Effect.PERMIT,
            "export.allowed",
            Clause(ClauseKind.EXPORT, "export"),
            "The data may be sent to the requester's jurisdiction.",
        )
        self._stays = Reason(
            Effect.PERMIT,
            "residency.node-inside",
            Clause(ClauseKind.RESIDENCY, "residency"),
            "The data stays at this node, where it may be processed.",
        )
        self._control = _control_obligations(document)

    def __call__(self, context: Context, found: Findings) -> None:
        if not found.sandboxed(context):
            country = context.requester.country
            if country not in self._refusals:
                self._refusals[country] = _refusal(self._document, country)
            refusal = self._refusals[country]
            if refusal is None:
                found.reasons.append(self._sent)
                found.download_obligations.extend(self._control)
                return
            found.keep_home(refusal)
        if self._residency is None or context.node_country in self._residency:
            found.reasons.append(self._stays)
        else:
            found.reasons.append(_node_outside(self._document, context.node_country))


def _refusal(document: AgreementDocument, country: str) -> Reason | None:
    """Why the data may not be sent to ``country``, as a sandbox-only reason; else None."""
    residency, export = document.residency, document.export
    if residency is not None and country not in countries(residency.jurisdictions):
        clause, code = Clause(ClauseKind.RESIDENCY, "residency.jurisdictions"), "residency"
        why = f"it may be stored only in {names(residency.jurisdictions, 'or')}"
    elif country in countries(export.forbidden):
        clause, code = Clause(ClauseKind.EXPORT, "export.forbidden"), "export.forbidden"
        why = f"it may not be sent to {jurisdiction_name(country)}"
    elif export.allowed is not None and country not in countries(export.allowed):
        clause, code = Clause(ClauseKind.EXPORT, "export.allowed"), "export.not-allowed"
        why = f"it may be sent only to {names(export.allowed, 'or')}"
    else:
        return None
    return Reason(
        Effect.SANDBOX,
        f"{code}.sandbox-only",
        clause,
        f"The data cannot be downloaded in {jurisdiction_name(country)} because {why}; "
        "it can be used in the sandbox.",
        {"country": country},
    )


def _node_outside(document: AgreementDocument, node_country: str) -> Reason:
    where = names(document.residency.jurisdictions, "or") if document.residency else ""
    return Reason(
        Effect.DENY,
        "residency.node-outside",
        Clause(ClauseKind.RESIDENCY, "residency.jurisdictions"),
        f"The data may be processed only in {where}, "
        f"and this node is in {jurisdiction_name(node_country)}.",
        {"node_country": node_country},
    )


def _control_obligations(document: AgreementDocument) -> tuple[Obligation, ...]:
    classification = document.export.control_classification
    if classification is None:
        return ()
    return (
        Obligation(
            "export.controlled",
            Clause(ClauseKind.EXPORT, "export.control_classification"),
            f"The data is export-controlled ({classification}): "
            "do not transfer it onward without an export licence.",
            {"classification": classification},
        ),
    )
