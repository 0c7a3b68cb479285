"""Errors of the agreements domain: a document that cannot be published as written."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from accord.errors import FieldError, InvalidInput

INVALID = "agreement.invalid"
INVALID_DUO_CODE = "agreement.invalid-duo-code"
UNKNOWN_DISEASE = "agreement.unknown-disease-term"
UNKNOWN_COUNTRY = "agreement.unknown-country"
INVALID_ODRL = "agreement.invalid-odrl"
INVALID_LICENCE = "agreement.invalid-licence"
CONTRADICTORY = "agreement.contradictory-rules"

_HINTS = {
    INVALID_DUO_CODE: "run `accord agreement explain --terms` to list the DUO terms known here",
    UNKNOWN_DISEASE: "use a MONDO id from the node's disease ontology (or configure full MONDO)",
    UNKNOWN_COUNTRY: "use ISO 3166-1 alpha-2 codes such as BR, DE or KE, or the groups EU and EEA",
    INVALID_ODRL: "write the policy with ODRL 2.2 terms (see docs/decisions on the policy engine)",
    INVALID_LICENCE: "use an SPDX licence expression such as CC-BY-4.0 or LicenseRef-<name>",
    CONTRADICTORY: "remove one of the two rules named in the message",
    INVALID: "check the document against the published agreement JSON Schema",
}


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with an agreement, at ``location`` (``duo.modifiers[2].code``)."""

    location: str
    message: str
    code: str = INVALID

    def as_json(self) -> dict[str, str]:
        return {"location": self.location, "message": self.message, "code": self.code}


class AgreementInvalid(InvalidInput):
    """The agreement document was rejected; nothing was stored or published."""

    title = "Invalid agreement"
    default_code = INVALID

    def __init__(self, problems: Sequence[Problem]) -> None:
        if not problems:
            raise ValueError("AgreementInvalid needs at least one problem")
        codes = {problem.code for problem in problems}
        code = codes.pop() if len(codes) == 1 else INVALID
        first = problems[0]
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        super().__init__(
            f"{first.location}: {first.message}{more}",
            code=code,
            hint=_HINTS.get(first.code, _HINTS[INVALID]),
            errors=[FieldError(problem.location, problem.message) for problem in problems],
            extra={"problems": [problem.as_json() for problem in problems]},
        )
        self.problems = tuple(problems)
