"""OAI-PMH protocol errors (OAI-PMH 2.0 §3.6): answered with HTTP 200 and an ``<error>``."""

from __future__ import annotations

from typing import Literal

ErrorCode = Literal[
    "badArgument",
    "badResumptionToken",
    "badVerb",
    "cannotDisseminateFormat",
    "idDoesNotExist",
    "noMetadataFormats",
    "noRecordsMatch",
    "noSetHierarchy",
]


class OaiError(Exception):
    def __init__(self, code: ErrorCode, message: str) -> None:
        super().__init__(message)
        self.code: ErrorCode = code
        self.message = message
