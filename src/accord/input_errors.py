"""What the input checks (pydantic) found wrong, said in the reader's language.

Pydantic writes its messages in English only. Each error carries a stable ``type`` and its
values (``ctx``), so the messages people meet most are rewritten here as translatable text;
a type not listed keeps pydantic's English message.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from accord.errors import FieldError
from accord.i18n.translate import Translatable, _l, _nl

_Ctx = Mapping[str, Any]


def field_errors(
    errors: Iterable[Mapping[str, Any]], *, skip: Sequence[str] = ()
) -> list[FieldError]:
    """One :class:`FieldError` per pydantic error; leading ``loc`` parts in ``skip`` are dropped."""
    return [FieldError(location(error.get("loc", ()), skip), message(error)) for error in errors]


def message(error: Mapping[str, Any]) -> str:
    """The message of one pydantic error (``ValidationError.errors()`` item), translatable."""
    ctx: _Ctx = error.get("ctx") or {}
    kind = str(error.get("type", ""))
    if kind == "value_error" and "error" in ctx:
        reason = ctx["error"].args[0] if isinstance(ctx["error"], ValueError) else ctx["error"]
        return reason if isinstance(reason, str) else str(reason)
    write = _MESSAGES.get(kind)
    if write is None:
        return str(error.get("msg", "")).removeprefix("Value error, ")
    try:
        return write(ctx)
    except (KeyError, TypeError, ValueError):
        return str(error.get("msg", ""))


def listed(errors: Sequence[FieldError], limit: int = 5) -> Translatable:
    """``a: …; b: …`` for a problem's ``detail``, each message in the reader's language."""
    parts = [
        _l("%(location)s: %(message)s", location=e.location, message=e.message)
        for e in errors[:limit]
    ]
    return _Joined(parts)


def location(loc: Iterable[Any], skip: Sequence[str] = ()) -> str:
    parts = [str(p) for p in loc]
    if len(parts) > 1 and parts[0] in skip:
        parts = parts[1:]
    return ".".join(parts)


class _Joined(Translatable):
    """Several translatable parts shown one after another (``; ``)."""

    def __new__(cls, parts: Sequence[str]) -> _Joined:
        text = str.__new__(cls, "; ".join(parts))
        text.msgid, text.plural, text.values = "", None, {}
        text.parts = list(parts)
        return text

    parts: list[str]

    def render(self) -> str:
        return "; ".join(p.render() if isinstance(p, Translatable) else p for p in self.parts)


def _count(ctx: _Ctx, name: str) -> int:
    return int(ctx[name])


_MESSAGES: dict[str, Callable[[_Ctx], str]] = {
    "missing": lambda c: _l("this field is required"),
    "extra_forbidden": lambda c: _l("this field is not expected here"),
    "string_type": lambda c: _l("this must be text"),
    "string_too_short": lambda c: _nl(
        "this must have at least %(count)s character",
        "this must have at least %(count)s characters",
        _count(c, "min_length"),
    ),
    "string_too_long": lambda c: _nl(
        "this must have at most %(count)s character",
        "this must have at most %(count)s characters",
        _count(c, "max_length"),
    ),
    "string_pattern_mismatch": lambda c: _l(
        "this is not in the expected form (%(pattern)s)", pattern=c["pattern"]
    ),
    "too_short": lambda c: _nl(
        "this needs at least %(count)s item",
        "this needs at least %(count)s items",
        _count(c, "min_length"),
    ),
    "too_long": lambda c: _nl(
        "this allows at most %(count)s item",
        "this allows at most %(count)s items",
        _count(c, "max_length"),
    ),
    "int_parsing": lambda c: _l("this must be a whole number"),
    "int_type": lambda c: _l("this must be a whole number"),
    "int_from_float": lambda c: _l("this must be a whole number"),
    "float_parsing": lambda c: _l("this must be a number"),
    "float_type": lambda c: _l("this must be a number"),
    "bool_parsing": lambda c: _l("this must be true or false"),
    "bool_type": lambda c: _l("this must be true or false"),
    "greater_than": lambda c: _l("this must be greater than %(limit)s", limit=c["gt"]),
    "greater_than_equal": lambda c: _l("this must be at least %(limit)s", limit=c["ge"]),
    "less_than": lambda c: _l("this must be less than %(limit)s", limit=c["lt"]),
    "less_than_equal": lambda c: _l("this must be at most %(limit)s", limit=c["le"]),
    "literal_error": lambda c: _l("this must be one of %(expected)s", expected=c["expected"]),
    "enum": lambda c: _l("this must be one of %(expected)s", expected=c["expected"]),
    "date_parsing": lambda c: _l("this must be a date (YYYY-MM-DD)"),
    "date_type": lambda c: _l("this must be a date (YYYY-MM-DD)"),
    "date_from_datetime_parsing": lambda c: _l("this must be a date (YYYY-MM-DD)"),
    "datetime_parsing": lambda c: _l("this must be a date and time (RFC 3339)"),
    "datetime_type": lambda c: _l("this must be a date and time (RFC 3339)"),
    "datetime_from_date_parsing": lambda c: _l("this must be a date and time (RFC 3339)"),
    "url_parsing": lambda c: _l("this must be a web address (URL)"),
    "url_type": lambda c: _l("this must be a web address (URL)"),
    "url_scheme": lambda c: _l("this must be a web address (URL)"),
    "model_type": lambda c: _l("this must be an object"),
    "model_attributes_type": lambda c: _l("this must be an object"),
    "dict_type": lambda c: _l("this must be an object"),
    "list_type": lambda c: _l("this must be a list"),
    "json_invalid": lambda c: _l("this is not valid JSON"),
    "uuid_parsing": lambda c: _l("this must be a UUID"),
}
