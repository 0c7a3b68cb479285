"""How the node's data values read to people: tiers, states, modes, roles, in their language.

The API, the CLI's ``--json`` and the ledger keep the machine values (``controlled``,
``awaiting-clarification``); pages and emails show these labels. A word is translated in the
context of its kind (``pgettext``), since ``open`` is not written alike for a tier and an appeal
in every language. A value without a label is shown as it is.
"""

from __future__ import annotations

from accord.i18n.translate import NP_, _pl

LABELS: dict[str, dict[str, str]] = {
    "tier": {
        "open": NP_("tier", "open"),
        "registered": NP_("tier", "registered"),
        "controlled": NP_("tier", "controlled"),
        "restricted": NP_("tier", "restricted"),
    },
    "version-state": {
        "draft": NP_("version-state", "draft"),
        "published": NP_("version-state", "published"),
        "withdrawn": NP_("version-state", "withdrawn"),
    },
    "request-state": {
        "referred": NP_("request-state", "referred to the committee"),
        "awaiting-clarification": NP_("request-state", "awaiting clarification"),
        "approved": NP_("request-state", "approved"),
        "denied": NP_("request-state", "denied"),
        "withdrawn": NP_("request-state", "withdrawn"),
    },
    "grant-state": {
        "active": NP_("grant-state", "active"),
        "paused": NP_("grant-state", "paused"),
        "expired": NP_("grant-state", "expired"),
        "revoked": NP_("grant-state", "revoked"),
    },
    "mode": {
        "download": NP_("mode", "download"),
        "sandbox": NP_("mode", "sandbox"),
        "none": NP_("mode", "none"),
    },
    "outcome": {
        "permit": NP_("outcome", "permit"),
        "refer": NP_("outcome", "refer to the committee"),
        "deny": NP_("outcome", "deny"),
        "approve": NP_("outcome", "approve"),
    },
    "decider": {
        "engine": NP_("decider", "policy engine"),
        "committee": NP_("decider", "data access committee"),
        "review-body": NP_("decider", "review body"),
    },
    "duty-kind": {
        "publication-report": NP_("duty-kind", "publication report"),
        "deletion-attestation": NP_("duty-kind", "deletion attestation"),
    },
    "duty-status": {
        "open": NP_("duty-status", "open"),
        "fulfilled": NP_("duty-status", "fulfilled"),
    },
    "appeal-state": {
        "open": NP_("appeal-state", "open"),
        "upheld": NP_("appeal-state", "upheld"),
        "overturned": NP_("appeal-state", "overturned"),
    },
    "breach-state": {
        "open": NP_("breach-state", "open"),
        "investigating": NP_("breach-state", "under investigation"),
        "resolved": NP_("breach-state", "resolved"),
    },
    "breach-outcome": {
        "unfounded": NP_("breach-outcome", "unfounded"),
        "substantiated": NP_("breach-outcome", "substantiated"),
    },
    "sanction-kind": {
        "warning": NP_("sanction-kind", "warning"),
        "suspension": NP_("sanction-kind", "suspension"),
        "revocation": NP_("sanction-kind", "revocation"),
    },
    "job-state": {
        "queued": NP_("job-state", "queued"),
        "running": NP_("job-state", "running"),
        "checked": NP_("job-state", "awaiting output check"),
        "released": NP_("job-state", "released"),
        "withheld": NP_("job-state", "withheld"),
        "failed": NP_("job-state", "failed"),
    },
    "role": {
        "admin": NP_("role", "node administrator"),
        "steward": NP_("role", "data steward"),
        "researcher": NP_("role", "researcher"),
        "committee": NP_("role", "data access committee member"),
        "reviewer": NP_("role", "review body member"),
        "output-checker": NP_("role", "output checker"),
        "auditor": NP_("role", "auditor"),
    },
    "user-status": {
        "active": NP_("user-status", "active"),
        "suspended": NP_("user-status", "suspended"),
    },
}


def label(kind: str, value: object) -> str:
    """``value`` of ``kind`` as people read it: English now, translated where it is shown.

    The answer is a :class:`Translatable` (so an email renders it in its reader's language);
    a value without a label comes back as its text.
    """
    text = "" if value is None else str(getattr(value, "value", value))
    english = LABELS.get(kind, {}).get(text)
    return text if english is None else _pl(kind, english)
