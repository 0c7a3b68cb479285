"""In a real browser against ``accord serve``: a researcher requests controlled data (the form
shows the engine's answer as it is filled in), a committee member approves it from the queue,
and the researcher downloads the file. On a governed dataset's page, "Can I use this?" answers
in place (htmx) and leads to the agreement's plain-language page."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from accord.agreements import service as agreements
from accord.catalog import service as catalog
from accord.catalog.metadata import DatasetMetadata
from accord.config import Settings
from accord.identity import schemas as identity_schemas
from accord.identity import service as identity
from accord.identity.permissions import Role, ScopeKind
from accord.identity.principal import local_operator
from accord.node import NodeContext, read_identity
from accord.storage.blobs import blob_store_of
from accord.storage.ingest import ingest_chunks
from tests.access.conftest import CSV, agreement
from tests.catalog.conftest import metadata_document
from tests.live import LiveNode, make_live_node

pytestmark = pytest.mark.browser
PASSWORD = "a-long-enough-password"


@dataclass(frozen=True)
class Scene:
    node: LiveNode
    dataset_id: str
    title: str
    researcher: str
    member: str


@pytest.fixture(scope="module")
def scene(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Scene]:
    live = make_live_node(tmp_path_factory.mktemp("access-browser") / "node")
    live.init("--node-id", "browser-access", "--jurisdiction", "KE")
    settings = Settings(data_dir=live.data_dir)
    identity_doc = read_identity(live.data_dir)
    assert identity_doc is not None
    context = NodeContext(settings, identity_doc)
    title = "Malaria admissions, Kisumu county 2022"
    with context.session() as s:
        operator = local_operator()
        data_org = _org(s, "Nairobi Centre for Genomic Medicine", "KE")
        research_org = _org(s, "Instituto Nacional de Saúde", "BR")
        _person(s, "researcher@example.org", "BR", research_org, Role.RESEARCHER)
        member = _person(s, "dac@example.org", "KE", data_org, Role.RESEARCHER)
        identity.add_role(
            s,
            operator,
            member,
            identity_schemas.RoleAdd(
                role=Role.COMMITTEE, scope_kind=ScopeKind.ORGANISATION, scope_id=data_org
            ),
        )
        document = metadata_document(data_org, tier="controlled", titles=[{"title": title}])
        version = catalog.create_dataset(s, operator, DatasetMetadata.model_validate(document))
        blob = ingest_chunks(blob_store_of(context), [CSV])
        catalog.add_file(s, operator, version.dataset_id, 1, path="data/cases.csv", blob=blob)
        catalog.publish(s, operator, version.dataset_id, 1)
        dataset_id = version.dataset_id
        s.commit()
    context.engine.dispose()
    live.start()
    yield Scene(live, dataset_id, title, "researcher@example.org", "dac@example.org")
    live.stop()


def _org(session: object, name: str, country: str) -> str:
    org = identity.create_organisation(
        session,  # type: ignore[arg-type]
        local_operator(),
        identity_schemas.OrganisationCreate(name=name, country=country),
    )
    return org.id


def _person(session: object, email: str, country: str, org: str, role: Role) -> str:
    user, _ = identity.create_user(
        session,  # type: ignore[arg-type]
        local_operator(),
        identity_schemas.UserCreate(
            name=email.split("@")[0].title(),
            email=email,
            country=country,
            organisation_id=org,
            roles=[role],
            password=PASSWORD,
        ),
    )
    return user.id


def sign_in(page: Page, scene: Scene, email: str, next_path: str) -> None:
    page.goto(f"{scene.node.url}/sign-in?next={next_path}")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def test_request_approve_download(
    page: Page, browser: Browser, scene: Scene, tmp_path: Path
) -> None:
    sign_in(page, scene, scene.researcher, f"/access/requests/new?dataset={scene.dataset_id}")
    expect(page.get_by_role("heading", name="Request access")).to_be_visible()
    expect(page.locator("#dataset-title")).to_have_text(scene.title)
    page.get_by_label("Population origins or ancestry research (POA)").check()
    expect(page.locator("#preview-outcome")).to_contain_text("committee would decide")
    page.get_by_label("Population origins or ancestry research (POA)").uncheck()
    page.get_by_label("Health, medical or biomedical research (HMB)").check()
    page.get_by_label("Project title").fill("Who recovers fastest from malaria")
    page.get_by_label("Lay summary").fill(
        "We compare recovery times of adults treated for malaria."
    )
    page.get_by_label("Your institution").fill("Instituto Nacional de Saúde")
    page.get_by_label("For how long").select_option("P6M")
    page.get_by_label("I accept the duties of this dataset's agreement").check()
    page.get_by_role("button", name="Submit the request").click()
    expect(page.locator("#state")).to_have_text("referred to the committee")
    request_url = page.url

    committee = browser.new_context()
    member = committee.new_page()
    sign_in(member, scene, scene.member, "/access")
    member.get_by_role("link", name="Committee queue").click()
    member.get_by_role("link", name="Who recovers fastest from malaria").click()
    expect(member.get_by_role("heading", name="Decide")).to_be_visible()
    member.get_by_label("Approve").check()
    member.get_by_label("Reasons (the requester sees them)").fill(
        "Health research within the consent; the team is qualified."
    )
    member.get_by_role("button", name="Record the decision").click()
    expect(member.locator("#state")).to_have_text("approved")
    committee.close()

    page.goto(request_url)
    expect(page.locator("#decision")).to_contain_text("approved by the data access committee")
    page.locator("#grant-link").click()
    expect(page.locator("#grant-state")).to_have_text("active")
    with page.expect_download() as info:
        page.get_by_role("link", name="Download data/cases.csv").click()
    saved = tmp_path / info.value.suggested_filename
    info.value.save_as(saved)
    assert saved.read_bytes() == CSV


def _governed_dataset(scene: Scene) -> str:
    """A second controlled dataset, governed by a published HMB agreement."""
    identity_doc = read_identity(scene.node.data_dir)
    assert identity_doc is not None
    context = NodeContext(Settings(data_dir=scene.node.data_dir), identity_doc)
    operator = local_operator()
    with context.session() as s:
        org = _org(s, "Kisumu Health Observatory", "KE")
        title = "Household health survey, Kisumu 2023"
        document = metadata_document(org, tier="controlled", titles=[{"title": title}])
        version = catalog.create_dataset(s, operator, DatasetMetadata.model_validate(document))
        blob = ingest_chunks(blob_store_of(context), [CSV])
        catalog.add_file(s, operator, version.dataset_id, 1, path="data/survey.csv", blob=blob)
        catalog.publish(s, operator, version.dataset_id, 1)
        terms = agreements.create_agreement(s, operator, agreement(title="Household survey terms"))
        agreements.publish(s, operator, terms.agreement_id, 1)
        agreements.attach(s, operator, terms.agreement_id, 1, version.id)
        s.commit()
    context.engine.dispose()
    return version.dataset_id


def test_can_i_use_this_then_read_the_agreement(page: Page, scene: Scene) -> None:
    dataset_id = _governed_dataset(scene)
    sign_in(page, scene, scene.researcher, f"/datasets/{dataset_id}/versions/1")
    expect(page.get_by_role("heading", name="Can I use this?")).to_be_visible()
    expect(page.get_by_label("Country where you would use the data")).to_have_value("BR")

    page.get_by_label("Health, medical or biomedical research (HMB)").check()
    page.get_by_role("button", name="Check", exact=True).click()
    expect(page.locator("#use-check-outcome")).to_contain_text("Yes: the agreement allows")
    assert page.url.endswith(f"/datasets/{dataset_id}/versions/1"), "answered in place"

    page.get_by_label("Health, medical or biomedical research (HMB)").uncheck()
    page.get_by_label("Population origins or ancestry research (POA)").check()
    page.get_by_role("button", name="Check", exact=True).click()
    expect(page.locator("#use-check-outcome")).to_contain_text("No: the agreement does not")
    expect(page.locator("#use-check-answer")).to_contain_text("duo.permission")

    page.locator("#agreement-link").click()
    expect(page.get_by_role("heading", name="Household survey terms")).to_be_visible()
    expect(page.locator("#plain")).to_contain_text("Permitted use")
    expect(page.locator("#document")).to_contain_text("permission: HMB")
