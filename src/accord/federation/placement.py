"""Where a copy of a dataset may be held: its agreement's residency and export rules, read for a
whole node's jurisdiction (a mirror is a copy kept there). Pure."""

from __future__ import annotations

from collections.abc import Sequence

from accord.agreements.jurisdictions import countries


def copy_refusal(
    jurisdiction: str,
    *,
    residency: Sequence[str] | None,
    export_allowed: Sequence[str] | None,
    export_forbidden: Sequence[str],
) -> str | None:
    """Why no copy may be kept in ``jurisdiction`` (a reason code), or None when it may."""
    if residency is not None and jurisdiction not in countries(residency):
        return "residency"
    if jurisdiction in countries(export_forbidden):
        return "export.forbidden"
    if export_allowed is not None and jurisdiction not in countries(export_allowed):
        return "export.not-allowed"
    return None
