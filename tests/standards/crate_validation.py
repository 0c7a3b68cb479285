"""Running roc-validator (the RO-Crate community validator) offline.

The validator fetches the JSON-LD context a crate names; with no network, the official RO-Crate
1.1 context (``vectors/ro-crate-1.1-context.jsonld``) is put in the validator's HTTP cache
first, and the validator runs in offline mode against that cache. roc-validator is installed
apart from the project's dependencies (decision 0402): the tests that need it are skipped,
saying why, when it is missing.
"""

from __future__ import annotations

import io
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import requests
from urllib3.response import HTTPResponse

CONTEXT_URL = "https://w3id.org/ro/crate/1.1/context"
CONTEXT = Path(__file__).parent / "vectors" / "ro-crate-1.1-context.jsonld"
ACCEPTS = ("application/ld+json, application/json", "application/ld+json", None)


def crate_problems(crate: Path, cache_dir: Path) -> list[str]:
    """What roc-validator finds wrong with ``crate`` (REQUIRED severity, profile 1.1)."""
    validator: Any = pytest.importorskip(
        "rocrate_validator",
        reason="roc-validator is not installed (it pins rich<14; see decision 0402)",
    )
    from rocrate_validator import models, services

    cache_path = _seeded_cache(str(cache_dir))
    settings = services.ValidationSettings(
        rocrate_uri=str(crate),
        profile_identifier="ro-crate-1.1",
        requirement_severity=models.Severity.REQUIRED,
        offline=True,
        cache_path=cache_path,
    )
    result = validator.services.validate(settings)
    return [f"{issue.check.identifier}: {issue.message}" for issue in result.get_issues()]


@cache
def _seeded_cache(folder: str) -> str:
    """An HTTP cache (requests-cache, as the validator uses) holding the RO-Crate context."""
    from requests_cache import CachedSession

    path = str(Path(folder) / "roc-http-cache")
    session = CachedSession(cache_name=path, backend="sqlite", expire_after=-1)
    body = CONTEXT.read_bytes()
    for accept in ACCEPTS:
        headers = {"Accept": accept} if accept else {}
        request = requests.Request("GET", CONTEXT_URL, headers=headers).prepare()
        response = requests.Response()
        response.status_code, response.reason, response.url = 200, "OK", CONTEXT_URL
        response.request = request
        response._content = body
        response.headers["Content-Type"] = "application/ld+json"
        response.raw = HTTPResponse(
            body=io.BytesIO(body),
            headers={"Content-Type": "application/ld+json"},
            status=200,
            preload_content=False,
            request_url=CONTEXT_URL,
        )
        session.cache.save_response(response)
    session.close()
    return path
