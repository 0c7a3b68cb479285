"""The demo seeder leaves a request in the committee's queue, a grant, and an appealable denial."""

from __future__ import annotations

from sqlalchemy import select

from accord.access.demo import seed_access
from accord.access.models import AccessRequest
from accord.demo import DemoContext
from accord.identity.principal import local_operator
from tests.access.conftest import World


def test_demo_access(world: World) -> None:
    world.publish(titles=[{"title": "A second controlled dataset"}])
    kenyan = world.make_account(country="KE")
    context = DemoContext(users={"researcher": world.researcher.id, "researcher-ke": kenyan.id})
    with world.node.session() as s:
        seed_access(s, local_operator(), context)
        s.commit()
        states = sorted((r.project_title, r.state) for r in s.scalars(select(AccessRequest)).all())
    assert states == [
        ("Ancestry of the cohort (demo)", "denied"),
        ("Long-term outcomes (demo)", "referred"),
        ("Treatment response by region (demo)", "approved"),
    ]
    queue = world.client.get("/api/v1/reviews", headers=world.member.headers).json()
    assert [i["project_title"] for i in queue["items"]] == ["Long-term outcomes (demo)"]
