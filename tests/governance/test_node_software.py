"""A verifiable node: the CycloneDX SBOM validates against the schema and lists the installed
dependencies with their versions; the descriptor names the version and the SBOM; security.txt
follows RFC 9116."""

from __future__ import annotations

import json
from datetime import datetime
from importlib import metadata

import pytest
from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator
from fastapi.testclient import TestClient

from accord import __version__
from accord.clock import SettableClock
from accord.config import Settings
from accord.errors import VerificationFailed
from accord.governance import sbom, security_txt


def test_sbom_validates_and_lists_installed_dependencies(client: TestClient) -> None:
    response = client.get("/api/v1/sbom")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/vnd.cyclonedx+json")
    assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(response.text) is None
    document = json.loads(response.text)
    assert document["bomFormat"] == "CycloneDX" and document["specVersion"] == "1.6"
    assert document["metadata"]["component"]["version"] == __version__
    versions = {c["name"].lower(): c["version"] for c in document["components"]}
    for name in ("fastapi", "sqlalchemy", "duckdb", "cryptography", "pydantic", "starlette"):
        assert versions[name] == metadata.version(name), name
    purls = {c["purl"] for c in document["components"]}
    assert f"pkg:pypi/fastapi@{metadata.version('fastapi')}" in purls
    refs = {d["ref"] for d in document["dependencies"]}
    assert document["metadata"]["component"]["bom-ref"] in refs


def test_a_broken_sbom_fails_validation() -> None:
    document = json.loads(sbom.sbom_json(__version__))
    document["components"][0]["type"] = "spaceship"
    with pytest.raises(VerificationFailed) as refused:
        sbom.validate(json.dumps(document))
    assert refused.value.code == "governance.invalid-sbom"


def test_descriptor_names_software_and_sbom(client: TestClient) -> None:
    descriptor = client.get("/.well-known/accord-node").json()
    software = descriptor["software"]
    assert software["name"] == "accord" and software["version"] == __version__
    assert software["sbom_url"].endswith("/api/v1/sbom")
    assert descriptor["governance"]["security_txt"].endswith("/.well-known/security.txt")


def _fields(text: str) -> dict[str, list[str]]:
    fields: dict[str, list[str]] = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.partition(": ")
            fields.setdefault(name.lower(), []).append(value)
    return fields


def test_security_txt_follows_rfc_9116(client: TestClient, clock: SettableClock) -> None:
    response = client.get("/.well-known/security.txt")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/plain; charset=utf-8"
    fields = _fields(response.text)
    assert fields["contact"] == ["mailto:security@testserver"]  # required, §2.5.3
    assert len(fields["expires"]) == 1  # required exactly once, §2.5.5
    expires = datetime.fromisoformat(fields["expires"][0].replace("Z", "+00:00"))
    assert clock.now() < expires < clock.now().replace(year=clock.now().year + 1)
    assert fields["canonical"] == ["http://testserver/.well-known/security.txt"]
    assert fields["policy"] == ["http://testserver/security"]
    assert fields["preferred-languages"] == ["en"]
    assert client.get("/security").status_code == 200


def test_security_contact_comes_from_settings() -> None:
    settings = Settings(security_contact="https://example.org/report", security_languages="en, fr")
    moment = datetime.fromisoformat("2026-01-01T00:00:00+00:00")
    text = security_txt.render(settings, "https://node.example", moment)
    assert "Contact: https://example.org/report\n" in text
    assert "Expires: 2026-06-30T00:00:00Z\n" in text
    assert "Preferred-Languages: en, fr\n" in text
