"""Federation pages: peers with what this node recognises from each, witness status, a
harvested record (terms, its home node, a request form), and the researcher's cross-node
requests; anonymous visitors see the public ones, a refused request shows why."""

from __future__ import annotations

from datetime import datetime

import pytest
from fastapi import FastAPI

from accord import ledger
from accord.clock import SettableClock
from accord.federation.models import Recognition, RemoteRecord
from accord.identity.permissions import Role
from accord.node import NodeContext
from tests.access.test_pages import HTML, Browser
from tests.conftest import MakeAccount
from tests.federation.rows import unreachable_peer

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
RECORD = "oai:far.example:far/ds_01FAR@v1"


@pytest.fixture
def harvested(node: NodeContext, clock: SettableClock) -> None:
    """A peer (unreachable) with one harvested record and one recognised kind of visa."""
    now: datetime = clock.now()
    with node.session() as session:
        session.add(unreachable_peer(now))
        session.flush()
        session.add(Recognition(peer_id="peer_far", kind="country", added_by="op", added_at=now))
        session.add(
            RemoteRecord(
                identifier=RECORD,
                peer_id="peer_far",
                pid="far/ds_01FAR@v1",
                title="Kauri dieback survey",
                description="Soil samples from 40 forest plots.",
                creators="Ngata, Aroha",
                subjects="Forestry",
                year=2024,
                rights="CC-BY-4.0",
                datestamp=now,
                deleted=False,
                resource=None,
                harvested_at=now,
            )
        )
        ledger.append(session, ledger.Event("federation.harvest.completed", public={"n": 1}))
        session.commit()


def test_public_pages_show_peers_witness_status_and_a_remote_record(
    app: FastAPI, harvested: None
) -> None:
    from fastapi.testclient import TestClient

    client = TestClient(app, base_url="http://testserver")
    peers = client.get("/federation/peers", headers=HTML)
    assert peers.status_code == 200
    assert "Far node" in peers.text and "<code>country</code>" in peers.text
    status = client.get("/federation/witness", headers=HTML)
    assert status.status_code == 200 and "not yet witnessed" in status.text
    record = client.get(f"/federation/records/{RECORD}", headers=HTML)
    assert record.status_code == 200
    assert "Kauri dieback survey" in record.text and "CC-BY-4.0" in record.text
    assert 'href="http://127.0.0.1:9/datasets/ds_01FAR/versions/1"' in record.text
    assert "Sign in to request access" in record.text
    missing = client.get("/federation/records/oai:nowhere:x", headers=HTML)
    assert missing.status_code == 404


def test_a_researcher_requests_from_the_record_page_and_sees_why_it_failed(
    app: FastAPI, harvested: None, make_account: MakeAccount
) -> None:
    browser = Browser(app, make_account(Role.RESEARCHER, country="KE"))
    assert "You have sent no requests" in browser.get("/federation/requests")
    page = browser.get(f"/federation/records/{RECORD}")
    assert 'id="project_title"' in page and "Request access from far" in page
    status, _, body = browser.post(
        f"/federation/records/{RECORD}",
        {
            "purpose": "HMB",
            "project_title": "Dieback spread",
            "lay_summary": "We map how the disease spreads between forest plots.",
            "institution": "Kenya Forestry Research Institute",
            "accept_duties": "on",
        },
    )
    assert status == 503 and 'role="alert"' in body and "did not answer" in body
