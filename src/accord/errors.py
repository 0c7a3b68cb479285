"""One error hierarchy for the whole node.

Each error has a stable ``code`` (the problem ``type`` is ``/problems/<code>`` in the API, and the
same code is printed by the CLI), a message saying what was wrong and a hint saying what to do.
Messages and hints are English text marked for translation (``N_`` for fixed text, ``_l`` for
text composed with values), translated where they are shown: problem documents, pages, the CLI.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from accord.i18n.translate import N_, gettext


@dataclass(frozen=True)
class FieldError:
    """One problem with one input field; ``location`` is a dotted path (``creators.0.orcid``)."""

    location: str
    message: str

    def as_json(self) -> dict[str, str]:
        """The error for an API answer, its message in the reader's language."""
        return {"location": self.location, "message": gettext(self.message)}


class AccordError(Exception):
    """Base of every error a user can cause or meet. Never raised directly."""

    status: int = 400
    title: ClassVar[str] = N_("Bad request")
    exit_code: int = 1
    default_code: ClassVar[str] = "bad-request"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        hint: str | None = None,
        errors: Sequence[FieldError] = (),
        extra: dict[str, Any] | None = None,
        status: int | None = None,
    ) -> None:
        super().__init__(message)
        if status is not None:
            self.status = status
        self.message = message
        self.code = code or self.default_code
        self.hint = hint
        self.errors = list(errors)
        self.extra = extra or {}

    def problem(self, instance: str | None = None) -> dict[str, Any]:
        """RFC 9457 problem details document for this error."""
        doc: dict[str, Any] = {
            "type": f"/problems/{self.code}",
            "title": gettext(self.title),
            "status": self.status,
            "detail": gettext(self.message),
            "code": self.code,
        }
        if instance:
            doc["instance"] = instance
        if self.hint:
            doc["hint"] = gettext(self.hint)
        if self.errors:
            doc["errors"] = [e.as_json() for e in self.errors]
        doc.update(self.extra)
        return doc


class InvalidInput(AccordError):
    status = 422
    title = N_("Invalid input")
    default_code = "invalid-input"


class BadRequest(AccordError):
    status = 400
    title = N_("Bad request")
    default_code = "bad-request"


class Unauthenticated(AccordError):
    status = 401
    title = N_("Authentication required")
    default_code = "unauthenticated"


class Forbidden(AccordError):
    status = 403
    title = N_("Forbidden")
    default_code = "forbidden"


class NotFound(AccordError):
    status = 404
    title = N_("Not found")
    default_code = "not-found"


class MethodNotAllowed(AccordError):
    status = 405
    title = N_("Method not allowed")
    default_code = "method-not-allowed"


class Conflict(AccordError):
    status = 409
    title = N_("Conflict")
    default_code = "conflict"


class Gone(AccordError):
    status = 410
    title = N_("Gone")
    default_code = "gone"


class PayloadTooLarge(AccordError):
    status = 413
    title = N_("Payload too large")
    default_code = "payload-too-large"


class UnsupportedMediaType(AccordError):
    status = 415
    title = N_("Unsupported media type")
    default_code = "unsupported-media-type"


class RangeNotSatisfiable(AccordError):
    status = 416
    title = N_("Range not satisfiable")
    default_code = "range-not-satisfiable"


class RateLimited(AccordError):
    status = 429
    title = N_("Too many requests")
    default_code = "rate-limited"


class VerificationFailed(AccordError):
    """A signature, digest or proof did not verify."""

    status = 422
    title = N_("Verification failed")
    exit_code = 3
    default_code = "verification-failed"


class NodeUnavailable(AccordError):
    """A node (this one's database, or a remote node) cannot be reached."""

    status = 503
    title = N_("Service unavailable")
    exit_code = 4
    default_code = "node-unavailable"


class InternalError(AccordError):
    status = 500
    title = N_("Internal error")
    default_code = "internal"
