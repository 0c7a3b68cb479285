"""Rows to response documents, shared by the API, the pages and the CLI."""

from __future__ import annotations

from sqlalchemy.orm import Session

from accord.catalog.pids import version_pid
from accord.deid import schemas
from accord.deid.models import Derivation
from accord.deid.provenance import prov_document
from accord.deid.report import Report
from accord.deid.service import Source, derived_version_state
from accord.ledger.service import pseudonym
from accord.node import node_of


def source_out(source: Source) -> schemas.SourceOut:
    return schemas.SourceOut(
        dataset_id=source.dataset_id,
        version=source.number,
        pid=source.pid,
        file_id=source.file_id,
        path=source.path,
        format=source.fmt,
    )


def derivation_out(session: Session, row: Derivation) -> schemas.DerivationOut:
    node_id = node_of(session).identity.node_id
    return schemas.DerivationOut(
        id=row.id,
        source=schemas.SourceOut(
            dataset_id=row.source_dataset_id,
            version=row.source_number,
            pid=version_pid(node_id, row.source_dataset_id, row.source_number),
            file_id=row.source_file_id,
            path=row.source_path,
            format=str(row.report.get("output_format", "csv")),
        ),
        derived=schemas.DerivedOut(
            dataset_id=row.derived_dataset_id,
            version=row.derived_number,
            state=derived_version_state(session, row),
            file_id=row.derived_file_id,
            path=row.derived_path,
            sha256=row.derived_sha256,
            tier=row.tier,
            href=f"/datasets/{row.derived_dataset_id}/versions/{row.derived_number}",
        ),
        spec=row.spec,
        spec_sha256=row.spec_sha256,
        report=Report.model_validate(row.report),
        report_sha256=row.report_sha256,
        k=row.k,
        l=row.l_diversity,
        records_in=row.records_in,
        records_out=row.records_out,
        records_suppressed=row.records_suppressed,
        software=row.software,
        key_state=row.key_state,
        key_destroyed_at=row.key_destroyed_at,
        created_at=row.created_at,
        provenance_href=f"/api/v1/derivations/{row.id}/provenance",
    )


def provenance_of(session: Session, row: Derivation) -> dict[str, object]:
    node = node_of(session)
    base = node.identity.base_url
    return prov_document(
        derivation_id=row.id,
        derivation_url=f"{base}/derivations/{row.id}",
        source_url=f"{base}/datasets/{row.source_dataset_id}/versions/{row.source_number}",
        derived_url=f"{base}/datasets/{row.derived_dataset_id}/versions/{row.derived_number}",
        spec_sha256=row.spec_sha256,
        report_sha256=row.report_sha256,
        software=row.software,
        actor=pseudonym(node.pseudonym_key, row.created_by),
        created_at=row.created_at,
    )
