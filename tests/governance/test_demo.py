"""The demo seeder seats the committee member and reviewer, assesses a controlled dataset and
opens a consultation, all through the services (so all of it is in the log)."""

from __future__ import annotations

from fastapi.testclient import TestClient

from accord.demo import DemoContext
from accord.governance.demo import seed_governance
from accord.identity.permissions import Role
from accord.identity.principal import local_operator
from accord.node import NodeContext
from tests.conftest import MakeAccount
from tests.governance.conftest import Governed, event_types


def test_demo_governance(
    node: NodeContext, governed: Governed, make_account: MakeAccount, client: TestClient
) -> None:
    member, reviewer = make_account(Role.RESEARCHER), make_account(Role.RESEARCHER)
    context = DemoContext(users={"committee": member.id, "reviewer": reviewer.id})
    with node.session() as s:
        seed_governance(s, local_operator(), context)
        s.commit()
    seats = [e for e in client.get("/api/v1/governance-register").json() if e["declared"]]
    assert sorted(e["body"] for e in seats) == ["committee", "review-body"]
    assessed = client.get(
        f"/api/v1/datasets/{governed.dataset_id}/versions/1/risk-assessments"
    ).json()
    assert assessed[0]["recommendation"]["tier"] == "controlled"
    assert [p["status"] for p in client.get("/api/v1/policies").json()["items"]] == ["consultation"]
    assert "governance.consultation.opened" in event_types(node)
