"""Reports' operations: build a report for a period, publish a signed transparency report with
its log entry, verify a signed report against the key and the log, and set the equity alerts'
thresholds (node policy)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from accord import ledger
from accord.errors import FieldError, InvalidInput, NotFound, VerificationFailed
from accord.identity.principal import Principal
from accord.ids import new_id
from accord.ledger import rotation
from accord.ledger import service as ledger_service
from accord.ledger.keyring import NodeKey
from accord.node import node_of
from accord.reports import facts, figures, signing
from accord.reports.alerts import ALERT_GROUPINGS, Thresholds, equity_alerts
from accord.reports.figures import Period
from accord.reports.models import AlertThresholds, TransparencyReport
from accord.reports.report import Kind, Options, build
from accord.reports.signing import (
    SignedReport,
    canonical_report,
    sign_canonical,
    verify_envelope,
)
from accord.sandbox.policy import DisclosurePolicy

DEFAULT_SPAN = timedelta(days=365)
MAX_SPAN = timedelta(days=366 * 20)
_THRESHOLDS_ID = "equity"


def min_count() -> int:
    """The smallest count a public report shows: the sandbox's default cell threshold."""
    return int(DisclosurePolicy.model_fields["min_cell_count"].default)


def period_of(start: date | None, end: date | None, now: datetime) -> Period:
    """``[start, end)`` from calendar dates (``end`` exclusive); by default the year up to and
    including today."""
    end_at = _midnight(end) if end else _midnight(now.date() + timedelta(days=1))
    start_at = _midnight(start) if start else end_at - DEFAULT_SPAN
    if start_at >= end_at:
        raise InvalidInput(
            "the period is empty: --from must come before --to",
            code="reports.bad-period",
            errors=[FieldError("from", "must be before `to`")],
        )
    if end_at - start_at > MAX_SPAN:
        raise InvalidInput(
            "a report covers at most 20 years", code="reports.bad-period", hint="narrow the period"
        )
    return Period(start_at, end_at, min(end_at, now))


def report(
    session: Session, kind: Kind, start: date | None, end: date | None, *, public: bool
) -> dict[str, Any]:
    node = node_of(session)
    now = node.clock.now()
    options = Options(kind, period_of(start, end, now), public, min_count(), thresholds(session))
    return build(session, node.identity, options, now)


def publish_transparency(
    session: Session, actor: Principal, start: date | None, end: date | None
) -> tuple[TransparencyReport, SignedReport]:
    """Log the digest of the period's public transparency report, then sign the report with the
    key that signs the log at that entry (the log's append lock, held until commit, keeps a key
    rotation from coming in between)."""
    node = node_of(session)
    document = report(session, "transparency", start, end, public=True)
    canonical = canonical_report(document)
    sha256 = hashlib.sha256(canonical).hexdigest()
    if session.scalar(select(TransparencyReport.id).where(TransparencyReport.sha256 == sha256)):
        raise InvalidInput(
            "this exact report was published already", code="reports.already-published"
        )
    report_id = new_id("rpt")
    seq = ledger.append(
        session,
        ledger.Event(
            "reports.transparency.published",
            subjects={"actor": actor.user_id},
            public={
                "report": report_id,
                "sha256": sha256,
                "from": document["period"]["from"],
                "to": document["period"]["to"],
            },
        ),
    )
    signed = sign_canonical(node.signing_key_for(signing_key(session, seq).fingerprint), canonical)
    row = TransparencyReport(
        id=report_id,
        period_start=_parse(document["period"]["from"]),
        period_end=_parse(document["period"]["to"]),
        issued_at=node.clock.now(),
        document=canonical.decode("utf-8"),
        sha256=sha256,
        signature=signed.signature,
        ledger_seq=seq,
    )
    session.add(row)
    session.flush()
    return row, signed


def signing_key(session: Session, seq: int) -> NodeKey:
    """The node key that was signing when log entry ``seq`` was appended: the one whose
    checkpoints cover the tree of ``seq + 1`` entries (decision 1310)."""
    return rotation.keyring(session).for_size(seq + 1)


def list_published(session: Session, limit: int = 50) -> Sequence[TransparencyReport]:
    query = select(TransparencyReport).order_by(TransparencyReport.id.desc()).limit(limit)
    return session.scalars(query).all()


def get_published(session: Session, report_id: str) -> TransparencyReport:
    row = session.get(TransparencyReport, report_id)
    if row is None:
        raise NotFound(f"no transparency report {report_id}", code="reports.not-found")
    return row


def envelope_of(session: Session, row: TransparencyReport) -> dict[str, Any]:
    signed = SignedReport(row.document.encode("utf-8"), row.signature)
    return signed.envelope(signing_key(session, row.ledger_seq).public_key, row.ledger_seq)


def verify(session: Session, envelope: Any) -> dict[str, Any]:
    """Verify a signed report against this node's log: the entry it names must be a publication
    holding its digest, and the signature must be by the node key of that entry's time (the
    current key or one rotated out since, never the key the envelope names)."""
    seq = signing.envelope_of(envelope).get("ledger_seq")
    entry = (
        ledger_service.get_entry(session, seq)
        if isinstance(seq, int) and 0 <= seq < ledger_service.tree_size(session)
        else None
    )
    if entry is None or entry.event_type != "reports.transparency.published":
        raise _not_in_log()
    key = signing_key(session, entry.seq)
    signed = verify_envelope(envelope, key.public_key)
    if _entry_public(entry.entry).get("sha256") != signed.sha256:
        raise _not_in_log()
    return {
        "verified": True,
        "sha256": signed.sha256,
        "ledger_seq": entry.seq,
        "report": _entry_public(entry.entry).get("report"),
        "period": signed.document.get("period"),
        "key": key.fingerprint,
    }


def _not_in_log() -> VerificationFailed:
    return VerificationFailed(
        "the report's digest is not in this node's log at the entry it names",
        code="reports.not-in-log",
    )


def thresholds(session: Session) -> Thresholds:
    row = session.get(AlertThresholds, _THRESHOLDS_ID)
    if row is None:
        return Thresholds()
    return Thresholds(row.ratio, row.min_requests, row.small_actor_requests)


def set_thresholds(session: Session, actor: Principal, value: Thresholds) -> Thresholds:
    now = node_of(session).clock.now()
    row = session.get(AlertThresholds, _THRESHOLDS_ID)
    if row is None:
        row = AlertThresholds(id=_THRESHOLDS_ID)
        session.add(row)
    row.ratio = value.ratio
    row.min_requests = value.min_requests
    row.small_actor_requests = value.small_actor_requests
    row.updated_at = now
    ledger.append(
        session,
        ledger.Event(
            "reports.thresholds.updated", subjects={"actor": actor.user_id}, public=value.as_json()
        ),
    )
    session.flush()
    return value


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=UTC)


def _parse(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _entry_public(entry: bytes) -> dict[str, Any]:
    value = json.loads(entry)
    public = value.get("public", {}) if isinstance(value, dict) else {}
    return public if isinstance(public, dict) else {}


def current_alerts(session: Session) -> list[dict[str, Any]]:
    """The equity alerts of the last year, from the unsuppressed figures (committee dashboard)."""
    now = node_of(session).clock.now()
    requests = facts.read(session, period_of(None, None, now))
    (total,) = facts.request_counts(requests, None) or [_EMPTY]
    breakdowns: dict[str, list[dict[str, Any]]] = {
        g: _labelled(session, g, facts.request_counts(requests, g)) for g in ALERT_GROUPINGS
    }
    return equity_alerts(total, breakdowns, thresholds(session))


_EMPTY: dict[str, Any] = {"approved": 0, "denied": 0}


def _labelled(
    session: Session, grouping: figures.Dimension, rows: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    names = figures.labels(session, grouping, [str(r["key"]) for r in rows])
    return [{**r, "label": names.get(str(r["key"]), str(r["key"]))} for r in rows]
