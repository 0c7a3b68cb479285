"""Form fields to the API's documents, and errors back to the fields that caused them."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TypeVar

from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, ValidationError
from sqlalchemy.orm import Session

from accord import input_errors
from accord.errors import AccordError
from accord.i18n.translate import N_

T = TypeVar("T", bound=BaseModel)
_SPLIT = re.compile(r"[\s,;]+")

PURPOSES = (
    ("GRU", N_("General research use")),
    ("HMB", N_("Health, medical or biomedical research")),
    ("DS", N_("Research on specific diseases")),
    ("POA", N_("Population origins or ancestry research")),
)
DURATIONS = (
    ("P3M", N_("3 months")),
    ("P6M", N_("6 months")),
    ("P1Y", N_("1 year")),
    ("P2Y", N_("2 years")),
)


def codes(text: str) -> list[str]:
    """``"HMB, DS  MONDO:0005136"`` → ``["HMB", "DS", "MONDO:0005136"]``."""
    return [part for part in _SPLIT.split(text.strip()) if part]


def collaborators(text: str) -> list[dict[str, str]]:
    """One collaborator a line: ``Name | Institution``."""
    found = []
    for line in text.splitlines():
        name, _, institution = line.partition("|")
        if name.strip():
            found.append({"name": name.strip(), "institution": institution.strip() or "-"})
    return found


def errors_of(failure: ValidationError | AccordError) -> dict[str, str]:
    """Field name → message (``form`` for what belongs to no single field)."""
    if isinstance(failure, ValidationError):
        return {
            str(e["loc"][0]) if e["loc"] else "form": input_errors.message(e)
            for e in failure.errors()
        }
    keyed = {e.location.split(".", 1)[0]: e.message for e in failure.errors}
    return keyed or {"form": failure.message}


def act(
    session: Session,
    action: Callable[[], str],
    on_error: Callable[[dict[str, str], int], HTMLResponse],
) -> Response:
    """Run a form's action, commit and follow its redirect; or roll back and show the errors."""
    try:
        target = action()
        session.commit()
    except ValidationError as invalid:
        session.rollback()
        return on_error(errors_of(invalid), 422)
    except AccordError as error:
        session.rollback()
        return on_error(errors_of(error), error.status)
    return RedirectResponse(target, status_code=303)
