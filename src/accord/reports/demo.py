"""Demo history for the reports of ``accord init --demo``, through the identity and access
services (so every step is in the log like any other), then a signed transparency report:

- researchers in Brazil, Kenya, India and Germany request both demo controlled datasets: the
  one granted at once answers through the engine; on the reviewed one the demo committee
  approves most requests, denies some and leaves the last ones waiting;
- the node publishes its first signed transparency report over the last year.

Brazil's requests pass the public threshold, so the public report shows figures and charts
beside suppressed cells.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from accord.access import committee, requests
from accord.access.demo import _controlled_versions, _principal, _request
from accord.identity import schemas, service
from accord.identity.permissions import Role
from accord.identity.principal import Principal
from accord.reports import service as reports

if TYPE_CHECKING:
    from accord.demo import DemoContext

PEOPLE = [("BR", 10), ("KE", 3), ("IN", 2), ("DE", 1)]
ORGANISATIONS = {
    "BR": "Fundação Oswaldo Cruz research network (demo)",
    "KE": "Kisumu Community Health Trust (demo)",
    "IN": "Public Health Foundation of India (demo)",
    "DE": "Charité Research Group (demo)",
}


def seed_reports(session: Session, operator: Principal, context: DemoContext) -> None:
    versions = _controlled_versions(session)
    if len(versions) < 2 or "committee" not in context.users:
        return
    reviewed, granted = versions
    member = _principal(session, context.users["committee"])
    for index, user_id in enumerate(_researchers(session, operator, context)):
        person = _principal(session, user_id)
        requests.submit(session, person, _request(granted, f"Regional outcomes {index} (demo)"))
        request = requests.submit(
            session, person, _request(reviewed, f"Recovery time study {index} (demo)")
        )
        if index % 7 == 6:
            continue
        outcome = "deny" if index % 5 == 4 else "approve"
        committee.vote(session, member, request.id, outcome, _REASONS[outcome], conditions=[])
    reports.publish_transparency(session, operator, None, None)


_REASONS = {
    "approve": "The purpose fits the consent and the team is qualified (demo).",
    "deny": "The analysis plan does not show why individual records are needed (demo).",
}


def _researchers(session: Session, operator: Principal, context: DemoContext) -> list[str]:
    people = []
    for country, count in PEOPLE:
        organisation = context.orgs.get(country) or _organisation(session, operator, country)
        context.orgs[country] = organisation
        for n in range(count):
            user, _ = service.create_user(
                session,
                operator,
                schemas.UserCreate(
                    name=f"Demo researcher {country}-{n + 1}",
                    email=f"researcher-{country.lower()}-{n + 1}@demo.accord.example",
                    country=country,
                    organisation_id=organisation,
                    roles=[Role.RESEARCHER],
                ),
            )
            people.append(user.id)
    return people


def _organisation(session: Session, operator: Principal, country: str) -> str:
    created = service.create_organisation(
        session,
        operator,
        schemas.OrganisationCreate(name=ORGANISATIONS[country], country=country),
    )
    return created.id
