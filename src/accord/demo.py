"""Demo content for ``accord init --demo``: organisations, people, and whatever domains add.

Each domain registers a seeder; seeders run once, in order, in one transaction each, and call
the domains' own services (so every demo change is in the log like any other).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from accord.access.demo import seed_access
from accord.catalog.demo import seed_catalog
from accord.deid.demo import seed_deid
from accord.governance.demo import seed_governance
from accord.identity import schemas, service
from accord.identity.permissions import Role
from accord.identity.principal import Principal, local_operator
from accord.node import NodeContext
from accord.reports.demo import seed_reports
from accord.sandbox.demo import seed_sandbox
from accord.standards.demo import seed_standards

MARKER = "demo-seeded"
DEMO_PASSWORD = "accord-demo-2026"


@dataclass
class DemoContext:
    """Ids made by earlier seeders, for later ones (``orgs["BR"]``, ``users["steward"]``)."""

    orgs: dict[str, str] = field(default_factory=dict)
    users: dict[str, str] = field(default_factory=dict)


Seeder = Callable[[Session, Principal, DemoContext], None]
SEEDERS: list[Seeder] = [
    seed_catalog,
    seed_deid,
    seed_standards,
    seed_sandbox,
    seed_access,
    seed_reports,
    seed_governance,
]


def seed(node: NodeContext) -> bool:
    """Seed once; returns False if this data dir was seeded before."""
    marker = node.settings.data_dir / MARKER
    if marker.exists():
        return False
    context = DemoContext()
    operator = local_operator()
    for seeder in [seed_identity, *SEEDERS]:
        with node.session() as session:
            seeder(session, operator, context)
            session.commit()
    marker.write_text("seeded\n")
    return True


DEMO_ORGS = [
    ("CH", "Geneva Institute for Population Health"),
    ("BR", "Instituto Nacional de Saúde Coletiva"),
    ("KE", "Nairobi Centre for Genomic Medicine"),
]
DEMO_USERS = [
    ("steward", "Amira Haddad", "CH", Role.STEWARD),
    ("researcher", "João Pereira", "BR", Role.RESEARCHER),
    ("researcher-ke", "Wanjiru Kamau", "KE", Role.RESEARCHER),
    ("committee", "Lena Fischer", "CH", Role.COMMITTEE),
    ("reviewer", "Samuel Okoye", "KE", Role.REVIEWER),
    ("checker", "Mei Tanaka", "CH", Role.OUTPUT_CHECKER),
    ("auditor", "Carlos Ruiz", "BR", Role.AUDITOR),
]


def seed_identity(session: Session, operator: Principal, context: DemoContext) -> None:
    for country, name in DEMO_ORGS:
        org = service.create_organisation(
            session, operator, schemas.OrganisationCreate(name=name, country=country)
        )
        context.orgs[country] = org.id
    for handle, name, country, role in DEMO_USERS:
        user, _ = service.create_user(
            session,
            operator,
            schemas.UserCreate(
                name=name,
                email=f"{handle}@demo.accord.example",
                country=country,
                organisation_id=context.orgs[country],
                roles=[role],
                password=DEMO_PASSWORD,
            ),
        )
        context.users[handle] = user.id
