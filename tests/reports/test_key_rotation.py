"""Signed reports across a key rotation (decision 1310): a report verifies with the node key
that was signing when its log entry was appended, current or rotated out since; neither key
passes for the other's reports, and the CLI verifies an old report after ``accord key rotate``."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

from tests.access.test_cli import Cli, cli, served  # noqa: F401  (fixtures)
from tests.reports.conftest import PERIOD, World


def publish(world: World) -> dict[str, Any]:
    response = world.client.post(
        "/api/v1/reports/transparency/signed", headers=world.admin.headers, json=PERIOD
    )
    assert response.status_code == 201, response.text
    envelope: dict[str, Any] = response.json()
    return envelope


def verify(world: World, envelope: dict[str, Any]) -> dict[str, Any]:
    body: dict[str, Any] = world.client.post("/api/v1/reports/verifications", json=envelope).json()
    return body


def test_reports_verify_with_the_key_of_their_time(
    cli: Cli,  # noqa: F811
    world: World,
    tmp_path: Path,
) -> None:
    old_private = world.node.signing_key
    before = publish(world)
    saved = tmp_path / "before.json"
    saved.write_text(json.dumps(before))

    code, out, err = cli.run("--json", "key", "rotate")
    assert code == 0, err
    rotated = json.loads(out)
    new_private = world.node.signing_key
    assert rotated["old_key"] != rotated["new_key"]

    checked = verify(world, before)
    assert (checked.get("verified"), checked.get("key")) == (True, rotated["old_key"]), checked
    (listed,) = world.client.get("/api/v1/reports/transparency/signed").json()
    served_again = world.client.get(f"/api/v1/reports/transparency/signed/{listed['id']}").json()
    assert served_again == before, "the envelope still names the key that signed it"

    after = publish(world)
    assert after["public_key"] != before["public_key"]
    assert verify(world, after)["key"] == rotated["new_key"]

    def signed_by(envelope: dict[str, Any], key: Any) -> dict[str, Any]:
        signature = key.sign(envelope["report"].encode("utf-8"))
        return {**envelope, "signature": base64.b64encode(signature).decode()}

    # the retired key signs nothing logged after its retirement; the new one nothing before it
    for forged in (signed_by(after, old_private), signed_by(before, new_private)):
        refused = world.client.post("/api/v1/reports/verifications", json=forged)
        assert refused.status_code == 422
        assert refused.json()["code"] == "reports.signature"

    code, out, err = cli.run("report", "verify", str(saved))
    assert code == 0, err
    assert out.startswith(f"verified: signature by key {rotated['old_key']}")
