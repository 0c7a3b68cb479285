"""Every export of every demo dataset validates: DataCite XML against the XSD; DCAT-AP against
the SHACL shapes (the catalogue graph holds every version's DCAT description); schema.org with
its required fields; every RO-Crate's structure, and the community validator on one demo crate
(it takes seconds a crate, and every crate comes from the same code;
``bench/standards_demo_exports.py`` runs it on all of them). The demo's OAI-PMH index holds
every version, and the draft imported from a DataCite record is there."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

from rdflib import Graph
from sqlalchemy import select

from accord import demo
from accord.catalog.models import DatasetVersion, VersionState
from accord.node import NodeContext
from accord.standards import exports
from accord.standards.dcat import catalogue_graph
from accord.standards.exports import ExportName
from accord.standards.oai.models import OaiRecord
from accord.standards.record import VersionRecord
from accord.standards.records import node_info, record_of
from accord.standards.ro_crate import stream_crate
from accord.standards.schema_org import to_schema_org
from accord.standards.xsd import validate_datacite
from accord.storage.blobs import blob_store_of
from tests.standards.conftest import SQLITE_ONLY
from tests.standards.crate_validation import crate_problems
from tests.standards.shacl import assert_conforms


@SQLITE_ONLY
def test_every_export_of_every_demo_dataset_validates(
    node: NodeContext, tmp_path: Path, roc_cache: Path
) -> None:
    assert demo.seed(node)
    with node.session() as session:
        versions = session.scalars(select(DatasetVersion).order_by(DatasetVersion.id)).all()
        published = [v for v in versions if v.state == VersionState.PUBLISHED]
        records = [record_of(session, v) for v in published]
        drafts = [v for v in versions if v.state == VersionState.DRAFT]
        harvest = session.scalars(select(OaiRecord)).all()
        assert len(harvest) == len(published) + sum(
            v.state == VersionState.WITHDRAWN for v in versions
        )
        crates = {r.dataset_id: _crate(r, v, node) for r, v in zip(records, published, strict=True)}
        catalogue = catalogue_graph(node_info(session), records)
    assert len(records) >= 10
    assert any(d.title.startswith("Dengue serotype surveillance") for d in drafts)
    validated = False
    for record in records:
        validate_datacite(exports.render(record, ExportName.DATACITE_XML))
        json.loads(exports.render(record, ExportName.DATACITE_JSON))
        assert_conforms(
            Graph().parse(data=exports.render(record, ExportName.DCAT_TURTLE), format="turtle")
        )
        Graph().parse(data=exports.render(record, ExportName.PROV_TURTLE), format="turtle")
        document = to_schema_org(record)
        assert document["name"] and 50 <= len(document["description"]) <= 5000
        for name in (ExportName.BIBTEX, ExportName.RIS, ExportName.CSL_JSON):
            assert exports.render(record, name)
        archive = zipfile.ZipFile(io.BytesIO(crates[record.dataset_id]))
        listed = {e["@id"] for e in json.loads(archive.read("ro-crate-metadata.json"))["@graph"]}
        assert {f.path for f in record.files} <= set(archive.namelist()) & listed
        if not validated and len(record.files) > 1:
            path = tmp_path / f"{record.dataset_id}.zip"
            path.write_bytes(crates[record.dataset_id])
            assert crate_problems(path, roc_cache) == [], record.dataset_id
            validated = True
    assert validated
    assert_conforms(catalogue)  # every published demo version, as the catalogue lists them


def _crate(record: VersionRecord, version: DatasetVersion, node: NodeContext) -> bytes:
    manifest = json.dumps({"manifest": json.loads(version.manifest or "{}")}).encode()
    return b"".join(stream_crate(record, manifest, blob_store_of(node)))
