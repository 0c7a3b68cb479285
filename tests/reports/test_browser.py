"""In a real browser against ``accord serve``: the public reports page draws its charts (inline
SVG with titles and descriptions) beside their tables, with no script, and a screenshot of it is
kept as a test artifact (``ACCORD_TEST_ARTIFACTS``, default ``test-artifacts/``)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from argon2 import PasswordHasher
from playwright.sync_api import Page, expect

from accord.access.demo import seed_access
from accord.catalog import service as catalog
from accord.catalog.metadata import DatasetMetadata
from accord.config import Settings
from accord.demo import DemoContext
from accord.identity import passwords
from accord.identity import schemas as identity_schemas
from accord.identity import service as identity
from accord.identity.permissions import Role
from accord.identity.principal import local_operator
from accord.node import NodeContext, read_identity
from accord.reports.demo import seed_reports
from accord.storage.blobs import blob_store_of
from accord.storage.ingest import ingest_chunks
from tests.access.conftest import CSV
from tests.browser.conftest import ARTIFACTS, browser, page  # noqa: F401  (fixtures)
from tests.catalog.conftest import metadata_document
from tests.live import LiveNode, make_live_node

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveNode]:
    """A node with the reports' demo history: two controlled datasets, researchers of four
    countries, engine and committee decisions, a signed transparency report."""
    live = make_live_node(tmp_path_factory.mktemp("reports-browser") / "node")
    live.init("--node-id", "browser-reports", "--jurisdiction", "KE")
    identity_doc = read_identity(live.data_dir)
    assert identity_doc is not None
    context = NodeContext(Settings(data_dir=live.data_dir), identity_doc)
    hasher, passwords._HASHER = (
        passwords._HASHER,
        PasswordHasher(time_cost=1, memory_cost=8, parallelism=1),
    )
    try:
        with context.session() as s:
            operator = local_operator()
            org = identity.create_organisation(
                s, operator, identity_schemas.OrganisationCreate(name="Data holder", country="KE")
            ).id
            for title in ("Malaria admissions 2022", "Malaria admissions 2023"):
                document = metadata_document(org, tier="controlled", titles=[{"title": title}])
                version = catalog.create_dataset(
                    s, operator, DatasetMetadata.model_validate(document)
                )
                blob = ingest_chunks(blob_store_of(context), [CSV])
                catalog.add_file(s, operator, version.dataset_id, 1, path="data/a.csv", blob=blob)
                catalog.publish(s, operator, version.dataset_id, 1)
            users = {
                handle: identity.create_user(
                    s,
                    operator,
                    identity_schemas.UserCreate(
                        name=handle, email=f"{handle}@example.org", country=country, roles=[role]
                    ),
                )[0].id
                for handle, country, role in [
                    ("researcher", "BR", Role.RESEARCHER),
                    ("researcher-ke", "KE", Role.RESEARCHER),
                    ("committee", "CH", Role.COMMITTEE),
                ]
            }
            demo = DemoContext(users=users)
            seed_access(s, operator, demo)
            seed_reports(s, operator, demo)
            s.commit()
    finally:
        passwords._HASHER = hasher
        context.engine.dispose()
    live.start()
    yield live
    live.stop()


def test_reports_page_draws_its_charts(page: Page, served: LiveNode) -> None:  # noqa: F811
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{served.url}/reports?kind=transparency")
    expect(page.get_by_role("heading", name="Transparency and equity reports")).to_be_visible()
    charts = page.locator("svg.chart")
    expect(charts).to_have_count(5)
    expect(page.get_by_role("img", name="Grant rate by world region")).to_be_visible()
    expect(page.get_by_role("img", name="Reciprocity index by country")).to_be_visible()
    assert page.locator("svg.chart rect").count() > 0, "bars are drawn"
    expect(page.locator("#requests-country")).to_contain_text("Brazil")
    expect(page.get_by_role("link", name="PDF")).to_be_visible()
    expect(page.get_by_text("None published yet.")).to_have_count(0)
    ARTIFACTS.mkdir(exist_ok=True)
    page.locator("section[aria-labelledby=charts-heading]").screenshot(
        path=str(ARTIFACTS / "reports-charts.png")
    )
    assert (ARTIFACTS / "reports-charts.png").stat().st_size > 1000
