"""De-identification operations: scan a source, plan a derivation, run it, read and list
derivations, destroy a derivation's key.

A run works in three steps so that the long part holds no database lock: it reads the source's
record (and checks the actor's rights) in a short transaction and ends it (so callers commit
their own changes before calling); reads the file and
derives the released table with no transaction open; then, in one transaction, creates the
derived dataset through the catalog's service, attaches the stored file, records the
derivation and its wrapped key, and logs the spec and the report to the ledger (DESIGN.md
rule 1). Callers commit. The source is only ever read.
"""

from __future__ import annotations

import hashlib
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa  # type: ignore[import-untyped]
from sqlalchemy import select
from sqlalchemy.orm import Session

from accord import ledger
from accord.agreements import service as agreements
from accord.catalog import service as catalog
from accord.catalog.access import is_steward
from accord.catalog.models import DatasetVersion, VersionState
from accord.deid.derive import Derived, derive
from accord.deid.keys import wrap
from accord.deid.models import Derivation, DerivationKey, KeyState
from accord.deid.provenance import derived_metadata
from accord.deid.pseudonyms import new_key
from accord.deid.report import Report
from accord.deid.scan import Finding, require_handled, scan, starter_spec
from accord.deid.source import MEDIA_TYPES, Format, format_of, local_copy, read_table, write_table
from accord.deid.spec import Spec, check_columns, parse_spec
from accord.errors import Conflict, FieldError, Forbidden, InvalidInput, NotFound
from accord.identity.permissions import ROLE_PERMISSIONS, Permission, ScopeKind
from accord.identity.principal import Principal
from accord.ids import new_id
from accord.ledger.canonical import canonical_json
from accord.node import NodeContext, node_of
from accord.paging import fetch_page
from accord.storage.blobs import BlobInfo, blob_store_of
from accord.storage.ingest import ingest_file


@dataclass(frozen=True)
class SourceRef:
    """Which file to derive from: a dataset, a version (newest published when None), and a
    file path or id (the only tabular file when None)."""

    dataset_id: str
    version: int | None = None
    file: str | None = None


@dataclass(frozen=True)
class Source:
    """A resolved source file, as plain values (usable after its transaction ended)."""

    dataset_id: str
    version_id: str
    number: int
    organisation_id: str
    file_id: str
    path: str
    sha256: str
    fmt: Format
    pid: str
    document: dict[str, Any]


@dataclass(frozen=True)
class ScanResult:
    source: Source
    rows: int
    columns: list[str]
    findings: list[Finding]
    starter_spec: dict[str, object]


@dataclass(frozen=True)
class Plan:
    source: Source
    findings: list[Finding]
    report: Report


# --- scan and plan (nothing stored) ------------------------------------------------------------


def scan_source(session: Session, actor: Principal, ref: SourceRef) -> ScanResult:
    """Flag likely direct identifiers in a source file (findings carry no values)."""
    source = _resolve(session, actor, ref, Permission.DERIVATION_PLAN)
    _end_reading(session)
    table = _load(node_of(session), source)
    findings = scan(table)
    return ScanResult(
        source=source,
        rows=table.num_rows,
        columns=list(table.column_names),
        findings=findings,
        starter_spec=starter_spec(table.column_names, findings),
    )


def plan(session: Session, actor: Principal, ref: SourceRef, raw_spec: object) -> Plan:
    """Everything ``run`` does short of storing: the report the derivation would have."""
    spec = parse_spec(raw_spec)
    source = _resolve(session, actor, ref, Permission.DERIVATION_PLAN)
    _end_reading(session)
    node = node_of(session)
    table = _load(node, source)
    findings = _checked(spec, table)
    derived = derive(table, spec, new_key(), output_format=source.fmt, software=_software(node))
    return Plan(source=source, findings=findings, report=derived.report)


# --- run ---------------------------------------------------------------------------------------


def run(
    session: Session,
    actor: Principal,
    ref: SourceRef,
    raw_spec: object,
    *,
    publish: bool = False,
) -> Derivation:
    """Derive, store and record a de-identified version (see the module docstring)."""
    spec = parse_spec(raw_spec)
    source = _resolve(session, actor, ref, Permission.DERIVATION_CREATE)
    _check_agreement(session, actor, spec, source.organisation_id)
    _end_reading(session)
    node = node_of(session)
    table = _load(node, source)
    _checked(spec, table)
    key = new_key()
    derived = derive(table, spec, key, output_format=source.fmt, software=_software(node))
    del table
    blob = _store(node, derived, source.fmt)
    return _record(session, actor, source, spec, derived, blob, key, publish=publish)


def _record(
    session: Session,
    actor: Principal,
    source: Source,
    spec: Spec,
    derived: Derived,
    blob: BlobInfo,
    key: bytes,
    *,
    publish: bool,
) -> Derivation:
    node = node_of(session)
    derivation_id = new_id("drv")
    metadata = derived_metadata(
        source.document,
        source_url=_version_url(node, source.dataset_id, source.number),
        spec=spec,
        report=derived.report,
        derivation_url=f"{node.identity.base_url}/derivations/{derivation_id}",
        derivation_id=derivation_id,
        media_type=MEDIA_TYPES[source.fmt],
        created_on=node.clock.now().date(),
    )
    version = catalog.create_dataset(session, actor, metadata)
    file = catalog.add_file(
        session,
        actor,
        version.dataset_id,
        version.number,
        path=source.path,
        blob=blob,
        media_type=MEDIA_TYPES[source.fmt],
    )
    _attach_agreement(session, actor, spec, version)
    row = _derivation_row(derivation_id, actor, source, spec, derived.report, version)
    row.derived_file_id, row.derived_path, row.derived_sha256 = file.id, file.path, blob.sha256
    session.add(row)
    session.flush()
    session.add(
        DerivationKey(
            derivation_id=row.id,
            wrapped=wrap(node.pseudonym_key, row.id, key),
            created_at=row.created_at,
        )
    )
    _log_run(session, actor, row)
    if publish:
        catalog.publish(session, actor, version.dataset_id, version.number)
    return row


def _attach_agreement(
    session: Session, actor: Principal, spec: Spec, version: DatasetVersion
) -> None:
    """Let the spec's agreement govern the derived version (checked again, then attached)."""
    wanted = spec.release.agreement_version
    if wanted is not None:
        _check_agreement(session, actor, spec, version.dataset.organisation_id)
        agreements.attach(session, actor, wanted[0], wanted[1], version.id)


def _check_agreement(session: Session, actor: Principal, spec: Spec, organisation_id: str) -> None:
    """The spec's agreement exists, is published, and is written for the release tier."""
    wanted = spec.release.agreement_version
    if wanted is None:
        return
    if not actor.can(Permission.AGREEMENT_PUBLISH, organisation_id=organisation_id):
        raise Forbidden(
            "you may not attach agreements to this organisation's datasets",
            code="deid.not-steward",
        )
    agreement = agreements.get_version(session, wanted[0], wanted[1], actor)
    if agreement.state != agreements.PUBLISHED:
        raise Conflict(
            f"{spec.release.agreement} is a draft; only published agreements govern data",
            code="agreements.not-published",
            hint="publish the agreement version first",
        )
    tier = agreements.document_of(agreement).tier.value
    if tier != spec.release.tier.value:
        raise InvalidInput(
            f"{spec.release.agreement} is for {tier} data, but the release tier is "
            f"{spec.release.tier.value}",
            code="deid.agreement-tier-mismatch",
            hint="choose an agreement written for the release tier, or change the tier",
            errors=[FieldError("spec.release.agreement", "agreement tier differs")],
        )


def _derivation_row(
    derivation_id: str,
    actor: Principal,
    source: Source,
    spec: Spec,
    report: Report,
    version: DatasetVersion,
) -> Derivation:
    spec_json = spec.as_json()
    report_json = report.as_json()
    return Derivation(
        id=derivation_id,
        organisation_id=source.organisation_id,
        source_dataset_id=source.dataset_id,
        source_version_id=source.version_id,
        source_number=source.number,
        source_file_id=source.file_id,
        source_path=source.path,
        source_sha256=source.sha256,
        derived_dataset_id=version.dataset_id,
        derived_version_id=version.id,
        derived_number=version.number,
        tier=spec.release.tier.value,
        spec=spec_json,
        spec_sha256=_digest(spec_json),
        report=report_json,
        report_sha256=_digest(report_json),
        k=report.k_achieved,
        l_diversity=min(report.l_achieved.values()) if spec.l else None,
        records_in=report.records_in,
        records_out=report.records_out,
        records_suppressed=report.records_suppressed,
        software=report.software,
        key_state=KeyState.HELD.value,
        created_by=actor.user_id,
        created_at=version.created_at,
    )


def _log_run(session: Session, actor: Principal, row: Derivation) -> None:
    ledger.append(
        session,
        ledger.Event(
            "deid.spec.recorded",
            subjects={"actor": actor.user_id},
            public={
                "derivation": row.id,
                "source_dataset": row.source_dataset_id,
                "source_version": row.source_number,
                "spec_sha256": row.spec_sha256,
            },
            record={"spec": row.spec},
        ),
    )
    ledger.append(
        session,
        ledger.Event(
            "deid.derivation.created",
            subjects={"actor": actor.user_id},
            public={
                "derivation": row.id,
                "source_dataset": row.source_dataset_id,
                "source_version": row.source_number,
                "source_sha256": row.source_sha256,
                "derived_dataset": row.derived_dataset_id,
                "derived_version": row.derived_number,
                "derived_sha256": row.derived_sha256,
                "tier": row.tier,
                "k": row.k,
                "l": row.l_diversity,
                "records_in": row.records_in,
                "records_out": row.records_out,
                "records_suppressed": row.records_suppressed,
                "spec_sha256": row.spec_sha256,
                "report_sha256": row.report_sha256,
                "software": row.software,
            },
            record={"report": row.report},
        ),
    )


# --- reading -----------------------------------------------------------------------------------


def get_derivation(session: Session, viewer: Principal | None, derivation_id: str) -> Derivation:
    """A derivation as ``viewer`` may see it: everyone once its version is public, else only
    the stewards of its organisation (``NotFound`` to others: no existence leak)."""
    row = session.get(Derivation, derivation_id) if len(derivation_id) <= 40 else None
    if row is None or not _visible(session, viewer, row):
        raise NotFound(f"no derivation {derivation_id[:60]!r}", code="deid.derivation-not-found")
    return row


def list_derivations(
    session: Session,
    viewer: Principal,
    *,
    limit: int,
    cursor: str | None,
    dataset_id: str | None = None,
) -> tuple[Sequence[Derivation], str | None]:
    """Derivations of the organisations and datasets ``viewer`` stewards, oldest first."""
    stmt = select(Derivation)
    if dataset_id:
        stmt = stmt.where(
            (Derivation.source_dataset_id == dataset_id)
            | (Derivation.derived_dataset_id == dataset_id)
        )
    scope = _stewarded_scope(viewer)
    if scope is not None:
        organisations, datasets = scope
        stmt = stmt.where(
            Derivation.organisation_id.in_(organisations)
            | Derivation.source_dataset_id.in_(datasets)
        )
    return fetch_page(session, stmt, Derivation.id, limit=limit, cursor=cursor)


def derivations_of_version(session: Session, version_id: str) -> Sequence[Derivation]:
    """Derivations made from, or producing, a dataset version."""
    return session.scalars(
        select(Derivation)
        .where(
            (Derivation.source_version_id == version_id)
            | (Derivation.derived_version_id == version_id)
        )
        .order_by(Derivation.id)
    ).all()


def derived_version_state(session: Session, row: Derivation) -> str:
    version = session.get(DatasetVersion, row.derived_version_id)
    return version.state if version is not None else VersionState.DRAFT.value


# --- the key -----------------------------------------------------------------------------------


def destroy_key(session: Session, actor: Principal, derivation_id: str, reason: str) -> Derivation:
    """Destroy the pseudonym key: nobody can recompute or link its pseudonyms afterwards."""
    row = get_derivation(session, actor, derivation_id)
    _require(actor, Permission.DERIVATION_KEY_DESTROY, row.organisation_id, row.source_dataset_id)
    if row.key_state == KeyState.DESTROYED:
        raise Conflict(f"the key of {row.id} was destroyed already", code="deid.key-destroyed")
    text = reason.strip()
    if len(text) < 10:
        raise InvalidInput(
            "say why in at least 10 characters",
            code="deid.invalid-reason",
            errors=[FieldError("reason", "at least 10 characters")],
        )
    key = session.get(DerivationKey, row.id)
    if key is not None:
        key.wrapped = None
    now = node_of(session).clock.now()
    row.key_state = KeyState.DESTROYED.value
    row.key_destroyed_at = now
    session.flush()
    ledger.append(
        session,
        ledger.Event(
            "deid.key.destroyed",
            subjects={"actor": actor.user_id},
            public={"derivation": row.id},
            record={"reason": text},
        ),
    )
    return row


# --- internals ---------------------------------------------------------------------------------


def _resolve(session: Session, actor: Principal, ref: SourceRef, permission: Permission) -> Source:
    version = catalog.get_version(session, ref.dataset_id, ref.version, actor)
    dataset = version.dataset
    _require(actor, permission, dataset.organisation_id, dataset.id)
    if not is_steward(actor, version):
        raise _not_steward(dataset.id)
    if version.state != VersionState.PUBLISHED:
        raise Conflict(
            f"{dataset.id}@v{version.number} is {version.state}: derive from a published version",
            code="deid.source-not-published",
            hint="publish the source version first; its bytes then never change",
        )
    tabular = [f for f in version.files if format_of(f.path, f.media_type) is not None]
    chosen = _pick_file(tabular, ref, f"{dataset.id}@v{version.number}")
    fmt = format_of(chosen.path, chosen.media_type)
    assert fmt is not None
    return Source(
        dataset_id=dataset.id,
        version_id=version.id,
        number=version.number,
        organisation_id=dataset.organisation_id,
        file_id=chosen.id,
        path=chosen.path,
        sha256=chosen.sha256,
        fmt=fmt,
        pid=catalog.pid_of(session, version),
        document=dict(version.document),
    )


def _pick_file(files: Sequence[Any], ref: SourceRef, label: str) -> Any:
    if ref.file:
        found = next((f for f in files if ref.file in (f.id, f.path)), None)
        if found is None:
            raise NotFound(
                f"{label} has no CSV or Parquet file {ref.file[:200]!r}",
                code="deid.source-file-not-found",
                hint="name a file by its path or id; `accord deid scan` lists them",
            )
        return found
    if len(files) != 1:
        names = ", ".join(f.path for f in files[:20]) or "none"
        raise InvalidInput(
            f"{label} has {len(files)} CSV or Parquet files ({names}): say which one",
            code="deid.source-file-ambiguous",
            errors=[FieldError("file", "name the file to derive from")],
        )
    return files[0]


def _require(
    actor: Principal, permission: Permission, organisation_id: str, dataset_id: str
) -> None:
    if not actor.can(permission, organisation_id=organisation_id, dataset_id=dataset_id):
        raise _not_steward(dataset_id)


def _not_steward(dataset_id: str) -> Forbidden:
    return Forbidden(
        f"you may not derive from {dataset_id}",
        code="deid.not-steward",
        hint="only stewards of the dataset's organisation derive de-identified versions",
    )


def _end_reading(session: Session) -> None:
    """End the read transaction so the long work holds no lock; callers must have committed
    their own changes first (pending ones would be lost, so they are refused)."""
    if session.new or session.dirty or session.deleted:
        raise RuntimeError("commit pending changes before reading a source for derivation")
    session.rollback()


def _load(node: NodeContext, source: Source) -> pa.Table:
    with local_copy(blob_store_of(node), source.sha256) as path:
        return read_table(path, source.fmt)


def _checked(spec: Spec, table: pa.Table) -> list[Finding]:
    check_columns(spec, table.column_names)
    findings = scan(table)
    require_handled(spec, table.column_names, findings)
    return findings


def _store(node: NodeContext, derived: Derived, fmt: Format) -> BlobInfo:
    with tempfile.TemporaryDirectory(prefix="accord-deid-") as folder:
        path = Path(folder) / f"derived.{fmt}"
        write_table(derived.table, fmt, path)
        return ingest_file(blob_store_of(node), path, max_size=node.settings.max_upload_bytes)


def _visible(session: Session, viewer: Principal | None, row: Derivation) -> bool:
    if viewer is not None and viewer.can(
        Permission.DATASET_UPDATE,
        organisation_id=row.organisation_id,
        dataset_id=row.source_dataset_id,
    ):
        return True
    return derived_version_state(session, row) != VersionState.DRAFT


def _stewarded_scope(viewer: Principal) -> tuple[set[str], set[str]] | None:
    """None when ``viewer`` stewards node-wide; else the organisations and datasets they do."""
    organisations: set[str] = set()
    datasets: set[str] = set()
    for grant in viewer.roles:
        if Permission.DATASET_UPDATE not in ROLE_PERMISSIONS[grant.role]:
            continue
        if grant.scope_kind is ScopeKind.NODE:
            return None
        if grant.scope_kind is ScopeKind.ORGANISATION:
            organisations.add(grant.scope_id)
        elif grant.scope_kind is ScopeKind.DATASET:
            datasets.add(grant.scope_id)
    return organisations, datasets


def _version_url(node: NodeContext, dataset_id: str, number: int) -> str:
    return f"{node.identity.base_url}/datasets/{dataset_id}/versions/{number}"


def _software(node: NodeContext) -> str:
    return f"accord {node.software_version}"


def _digest(document: dict[str, Any]) -> str:
    return hashlib.sha256(canonical_json(document)).hexdigest()
