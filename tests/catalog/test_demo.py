"""The demo catalogue: organisations in several countries, every tier, CSV and Parquet files that
are the same bytes on every node, all published through the services (and so in the ledger)."""

from __future__ import annotations

import io
from collections import Counter

import pyarrow.parquet as pq
import pytest
from sqlalchemy import func, select

from accord.catalog.demo import DATASETS, seed_catalog
from accord.catalog.models import Dataset, DatasetVersion
from accord.catalog.synthetic import to_csv, to_parquet
from accord.demo import DemoContext, seed_identity
from accord.identity.principal import Principal
from accord.ledger.models import LedgerEntry
from accord.node import NodeContext
from accord.storage.blobs import blob_store_of

SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def seeded(node: NodeContext, operator: Principal) -> DemoContext:
    context = DemoContext()
    for seeder in (seed_identity, seed_catalog):
        with node.session() as session:
            seeder(session, operator, context)
            session.commit()
    return context


@SQLITE_ONLY
def test_demo_catalogue(node: NodeContext, operator: Principal) -> None:
    context = seeded(node, operator)
    with node.session() as s:
        datasets = s.scalars(select(Dataset)).all()
        versions = s.scalars(select(DatasetVersion)).all()
        published = [v for v in versions if v.state == "published"]
        assert len(datasets) == len(DATASETS) >= 10
        assert {d.organisation_id for d in datasets} == set(context.orgs.values())
        assert len(set(context.orgs)) >= 2
        assert set(Counter(v.tier for v in published)) == {
            "open",
            "registered",
            "controlled",
            "restricted",
        }
        assert [v.state for v in versions if v.number == 1 and v.withdrawn_at] == ["withdrawn"]
        assert sum(1 for v in versions if v.number == 2) == 1
        kinds = Counter(f.media_type for v in published for f in v.files)
        assert kinds == {
            "text/csv": len(published),
            "application/vnd.apache.parquet": len(published),
        }
        logged = s.scalar(
            select(func.count())
            .select_from(LedgerEntry)
            .where(LedgerEntry.event_type == "catalog.version.published")
        )
        assert logged == len(published) + 1
        sample = next(f for f in published[0].files if f.path.endswith(".parquet"))
    data = b"".join(blob_store_of(node).read_range(sample.sha256))
    table = pq.read_table(io.BytesIO(data))
    assert table.num_rows > 100


def test_demo_files_are_the_same_bytes_on_every_node() -> None:
    spec = DATASETS[0]
    first = (
        to_csv(spec.table, spec.table.generate(1)),
        to_parquet(spec.table, spec.table.generate(1)),
    )
    again = (
        to_csv(spec.table, spec.table.generate(1)),
        to_parquet(spec.table, spec.table.generate(1)),
    )
    assert first == again
    assert first[0].startswith(b"household,canton,year,max_indoor_c,symptoms,cooling\n")
