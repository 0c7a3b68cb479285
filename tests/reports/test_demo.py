"""The demo seeder leaves a history whose public report shows figures (and suppressed cells),
and a signed transparency report that verifies."""

from __future__ import annotations

from accord.access.demo import seed_access
from accord.demo import DemoContext
from accord.identity.permissions import Role
from accord.identity.principal import local_operator
from accord.reports.demo import seed_reports
from tests.reports.conftest import World


def test_demo_reports(world: World) -> None:
    world.publish(titles=[{"title": "A second controlled dataset"}])
    context = DemoContext(
        users={
            "researcher": world.researcher.id,
            "researcher-ke": world.make_account(country="KE").id,
            "committee": world.make_account(Role.COMMITTEE).id,
        }
    )
    with world.node.session() as s:
        seed_access(s, local_operator(), context)
        seed_reports(s, local_operator(), context)
        s.commit()
    client = world.client
    report = client.get("/api/v1/reports/equity").json()
    country = {row["key"]: row for row in report["sections"]["breakdowns"]["country"]}
    assert country["BR"]["requests"] == 20
    assert country["DE"]["requests"] is None
    assert country["IN"]["suppressed"]
    signed = client.get("/api/v1/reports/transparency/signed").json()
    assert len(signed) == 1
    envelope = client.get(f"/api/v1/reports/transparency/signed/{signed[0]['id']}").json()
    verified = client.post("/api/v1/reports/verifications", json=envelope)
    assert verified.status_code == 200, verified.text
