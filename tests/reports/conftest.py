"""A seeded history with known figures, made through the access API as people would make it.

January 2026, one controlled dataset held by a Kenyan organisation, reviewed by its committee:

- 12 researchers in Brazil (one large organisation) each request once; the committee decides
  request ``i`` (1…12) ``i`` days after it came in: approves 1–9, denies 10–12;
- 3 researchers in Kenya (a small organisation) request once each; the committee approves the
  first 13 days after it came in; the other two are still waiting when the report is made,
  on 1 March, past their 30-day deadline (overdue).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property

import pytest

from accord.identity.permissions import Role
from tests.access.conftest import (  # noqa: F401  (fixtures)
    World,
    _light_password_hashing,
    world,
)
from tests.conftest import Account

REPORT_DAY = datetime(2026, 3, 1, tzinfo=UTC)
PERIOD = {"from": "2026-01-01", "to": "2026-03-01"}


@dataclass
class History:
    world: World
    small_org: str
    brazil: list[Account] = field(default_factory=list)
    kenya: list[Account] = field(default_factory=list)
    requests: dict[str, list[str]] = field(default_factory=dict)

    @cached_property
    def auditor(self) -> Account:
        return self.world.make_account(Role.AUDITOR)


@pytest.fixture
def history(world: World, make_org: object) -> History:  # noqa: F811
    small_org = make_org("Kisumu Community Health Trust", "KE")  # type: ignore[operator]
    seeded = History(world, small_org)
    seeded.brazil = [
        world.make_account(country="BR", organisation_id=world.research_org) for _ in range(12)
    ]
    seeded.kenya = [world.make_account(country="KE", organisation_id=small_org) for _ in range(3)]
    brazil = [world.submit(who)["id"] for who in seeded.brazil]
    kenya = [world.submit(who)["id"] for who in seeded.kenya]
    seeded.requests = {"BR": brazil, "KE": kenya}
    for day, request_id in enumerate(brazil, start=1):
        world.advance(1)
        outcome = "approve" if day <= 9 else "deny"
        response = world.decide(request_id, outcome=outcome)
        assert response.status_code == 200, response.text
    world.advance(1)
    assert world.decide(kenya[0]).status_code == 200
    world.clock.set(REPORT_DAY)
    return seeded
