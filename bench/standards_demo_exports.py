"""Every export of every demo dataset, made and validated, with the time each export takes.

Seeds a demo node (SQLite, temporary data dir), then for every published version renders each
export and checks it: DataCite XML against the DataCite 4.7 XSD, DCAT-AP (each version, then the
whole catalogue) against the DCAT-AP 3.0.1 SHACL shapes, schema.org's required fields, and every
RO-Crate ZIP with roc-validator (offline, as the tests run it). Timing: exports rendered per
second, beside the catalog's own JSON document of the same versions (the baseline, measured in
the same run), and the ratio.

    .venv/bin/python bench/standards_demo_exports.py
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path

from rdflib import Graph
from sqlalchemy import select

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from accord import demo
from accord.catalog import documents
from accord.catalog.models import DatasetVersion, VersionState
from accord.config import Settings
from accord.db import migrate
from accord.keys import ensure_keys
from accord.node import NodeContext, NodeIdentity
from accord.standards import exports
from accord.standards.dcat import catalogue_graph
from accord.standards.exports import ExportName
from accord.standards.records import node_info, record_of
from accord.standards.ro_crate import stream_crate
from accord.standards.xsd import validate_datacite
from accord.storage.blobs import blob_store_of
from tests.standards.crate_validation import crate_problems
from tests.standards.shacl import assert_conforms


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        settings = Settings(data_dir=Path(folder) / "node")
        settings.data_dir.mkdir(parents=True)
        ensure_keys(settings.keys_dir)
        node = NodeContext(
            settings, NodeIdentity("demo", "Demo node", "CH", "https://demo.example")
        )
        migrate(node.engine)
        demo.seed(node)
        with node.session() as session:
            versions = session.scalars(
                select(DatasetVersion).where(DatasetVersion.state == VersionState.PUBLISHED)
            ).all()
            records = [record_of(session, v) for v in versions]

            began = time.perf_counter()
            for version in versions:
                documents.version_out(session, version)
            baseline = len(versions) / (time.perf_counter() - began)

            rendered: dict[tuple[str, ExportName], bytes] = {}
            began = time.perf_counter()
            for record in records:
                for name in ExportName:
                    if name is not ExportName.RO_CRATE:
                        rendered[(record.dataset_id, name)] = exports.render(record, name)
            rate = len(rendered) / (time.perf_counter() - began)

            store = blob_store_of(node)
            crates = {
                r.dataset_id: b"".join(stream_crate(r, _manifest(v), store))
                for r, v in zip(records, versions, strict=True)
            }
            catalogue = catalogue_graph(node_info(session), records)
        for record in records:
            validate_datacite(rendered[(record.dataset_id, ExportName.DATACITE_XML)])
            turtle = rendered[(record.dataset_id, ExportName.DCAT_TURTLE)]
            assert_conforms(Graph().parse(data=turtle, format="turtle"))
            schema = json.loads(rendered[(record.dataset_id, ExportName.SCHEMA_ORG)])
            assert schema["name"]
            assert 50 <= len(schema["description"]) <= 5000
        assert_conforms(catalogue)
        problems = {}
        roc_time = time.perf_counter()
        for dataset_id, crate in crates.items():
            path = Path(folder) / f"{dataset_id}.zip"
            path.write_bytes(crate)
            problems[dataset_id] = crate_problems(path, Path(folder))
        roc_time = time.perf_counter() - roc_time
    failed = {k: v for k, v in problems.items() if v}
    print(f"demo versions: {len(records)}; exports made: {len(rendered)} + {len(crates)} crates")
    print("DataCite XML (XSD), DCAT-AP (SHACL, each version and the catalogue), schema.org: valid")
    print(f"RO-Crates passing roc-validator: {len(crates) - len(failed)}/{len(crates)} "
          f"({roc_time / len(crates):.1f} s a crate)")  # fmt: skip
    for dataset_id, found in failed.items():
        print(f"  {dataset_id}: {found}")
    print(
        f"exports rendered: {rate:,.0f}/s; baseline, catalog version documents: {baseline:,.0f}/s"
    )
    print(f"ratio exports / catalog documents: {rate / baseline:.2f}")
    if failed:
        raise SystemExit(1)


def _manifest(version: DatasetVersion) -> bytes:
    """The manifest file a crate carries (the signature is checked in the tests, not here)."""
    return json.dumps({"manifest": json.loads(version.manifest or "{}")}).encode()


if __name__ == "__main__":
    main()
