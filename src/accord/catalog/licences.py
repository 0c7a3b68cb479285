"""Licences as SPDX identifiers and expressions (SPDX specification v2.3, annex D).

Validation uses the ``license-expression`` library with its bundled SPDX licence list, so the
node needs no network: ``mit or apache-2.0`` becomes ``MIT OR Apache-2.0``; unknown keys,
dangling operators and licences used as exceptions are refused.
"""

from __future__ import annotations

from functools import cache, lru_cache
from typing import Annotated

from license_expression import (  # type: ignore[import-untyped]
    ExpressionError,
    Licensing,
    get_spdx_licensing,
)
from pydantic import AfterValidator

SPDX_LICENCE_URL = "https://spdx.org/licenses/{key}.html"


@cache
def _licensing() -> Licensing:
    return get_spdx_licensing()


def normalise_licence(expression: str) -> str:
    """The canonical rendering of an SPDX licence expression, or ``ValueError`` saying why not."""
    return _normalised(expression.strip())


@lru_cache(maxsize=4096)
def _normalised(text: str) -> str:
    if not text:
        raise ValueError("a licence is an SPDX identifier or expression, e.g. CC-BY-4.0")
    try:
        parsed = _licensing().parse(text, validate=True, strict=True)
    except ExpressionError as exc:
        raise ValueError(f"{text!r} is not a valid SPDX licence expression: {exc}") from None
    if parsed is None:
        raise ValueError("a licence is an SPDX identifier or expression, e.g. CC-BY-4.0")
    return str(parsed.render())


def licence_keys(expression: str) -> list[str]:
    """The SPDX licence identifiers an expression names (``MIT OR Apache-2.0`` → both)."""
    parsed = _licensing().parse(expression)
    return [] if parsed is None else list(_licensing().license_keys(parsed))


def licence_url(expression: str) -> str | None:
    """The SPDX licence page for a single identifier; None for compound expressions."""
    keys = licence_keys(expression)
    if len(keys) == 1 and keys[0] == expression:
        return SPDX_LICENCE_URL.format(key=expression)
    return None


SpdxExpression = Annotated[str, AfterValidator(normalise_licence)]
