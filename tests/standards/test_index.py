"""The harvest index follows the catalog in the same transaction: publication adds a record,
withdrawal turns it into a deleted record with a later ``seq``; a rebuild rewrites every record
(and is logged); a lost counter row is recovered from the records."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from lxml import etree
from sqlalchemy import delete, select

from accord.catalog import service as catalog_service
from accord.clock import SettableClock
from accord.identity.principal import Principal
from accord.ledger.models import LedgerEntry
from accord.node import NodeContext
from accord.standards.oai.models import OaiCounter, OaiRecord
from accord.standards.xsd import validate_datacite
from tests.catalog.conftest import assert_problem
from tests.conftest import Account, MakeAccount
from tests.standards.conftest import PublishMany


def rows(node: NodeContext) -> dict[str, OaiRecord]:
    with node.session() as session:
        return {r.dataset_id: r for r in session.scalars(select(OaiRecord)).all()}


def test_publication_and_withdrawal_write_the_index(
    node: NodeContext, publish_many: PublishMany, operator: Principal, clock: SettableClock
) -> None:
    (first, _), (second, _) = publish_many(2)
    before = rows(node)
    assert before[first].seq < before[second].seq
    assert before[first].identifier == f"oai:testserver:test-node/{first}@v1"
    assert not before[first].deleted and before[first].datestamp == clock.now()
    assert before[first].oai_dc and "<dc:title>Survey number" in before[first].oai_dc
    validate_datacite(etree.fromstring(before[first].datacite or ""))

    clock.advance(timedelta(minutes=3))
    with node.session() as session:
        catalog_service.withdraw(session, operator, first, 1, "consent was withdrawn")
        session.rollback()  # nothing committed: the index is untouched too
    assert rows(node)[first].seq == before[first].seq
    with node.session() as session:
        catalog_service.withdraw(session, operator, first, 1, "consent was withdrawn")
        session.commit()
    after = rows(node)
    assert after[first].deleted and after[first].oai_dc is None and after[first].datacite is None
    assert after[first].seq > after[second].seq
    assert after[first].datestamp == clock.now()


def test_a_rebuild_rewrites_every_record_and_the_counter_recovers(
    client: TestClient, node: NodeContext, publish_many: PublishMany, make_account: MakeAccount,
    admin: Account,
) -> None:  # fmt: skip
    publish_many(3)
    with node.engine.begin() as connection:  # as a TRUNCATE of every table leaves it
        connection.execute(delete(OaiCounter))
    publish_many(1)  # the next seq comes from the records when the counter row is gone
    seqs = sorted(r.seq for r in rows(node).values())
    assert seqs == sorted(set(seqs)) and len(seqs) == 4

    researcher = make_account()
    denied = client.post("/api/v1/harvest-index/rebuilds", headers=researcher.headers)
    assert_problem(denied, 403, "forbidden")
    rebuilt = client.post("/api/v1/harvest-index/rebuilds", headers=admin.headers)
    assert rebuilt.status_code == 201 and rebuilt.json() == {"records": 4}
    assert min(r.seq for r in rows(node).values()) > max(seqs)
    with node.session() as session:
        kinds = session.scalars(select(LedgerEntry.event_type)).all()
    assert "standards.harvest-index.rebuilt" in kinds
