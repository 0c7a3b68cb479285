"""How a derived version says where it came from.

- In its DataCite metadata (DataCite 4.5 property 12): ``relatedIdentifier`` with
  ``relationType`` ``IsDerivedFrom`` naming the source version (and the source's DOI when it
  has one), plus a ``Methods`` description summarising the derivation and its report, which
  the version's page shows.
- As W3C PROV-O (``prov_document``): the derived version is a ``prov:Entity`` that
  ``prov:wasDerivedFrom`` the source version and ``prov:wasGeneratedBy`` the derivation, a
  ``prov:Activity`` that ``prov:used`` the source and the spec (identified by its SHA-256) and
  ``prov:wasAssociatedWith`` the software (a ``prov:SoftwareAgent``, with its version) acting
  for the steward (by the ledger's keyed pseudonym of their user id); the activity also
  generated the report. Spec and report are identified by their SHA-256, as in the ledger.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from accord.catalog.metadata import (
    DatasetMetadata,
    DateEntry,
    Description,
    RelatedIdentifier,
    Rights,
    Title,
)
from accord.clock import rfc3339
from accord.deid.report import Report
from accord.deid.spec import Spec

PROV_CONTEXT = {
    "prov": "http://www.w3.org/ns/prov#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "dcterms": "http://purl.org/dc/terms/",
}
KEYWORD = "de-identified"


def derived_metadata(
    source: dict[str, Any],
    *,
    source_url: str,
    spec: Spec,
    report: Report,
    derivation_url: str,
    derivation_id: str,
    media_type: str,
    created_on: date,
) -> DatasetMetadata:
    """The derived version's metadata: the source's, with its own title, tier, licence,
    description of the method, and the ``IsDerivedFrom`` link."""
    original = DatasetMetadata.model_validate(source)
    release = spec.release
    title = release.title or f"{original.title} (de-identified, k = {report.k_achieved})"
    related = [
        RelatedIdentifier(
            related_identifier_type="URL",
            related_identifier=source_url,
            relation_type="IsDerivedFrom",
            resource_type_general="Dataset",
        )
    ]
    if original.doi:
        related.append(
            RelatedIdentifier(
                related_identifier_type="DOI",
                related_identifier=original.doi,
                relation_type="IsDerivedFrom",
                resource_type_general="Dataset",
            )
        )
    abstract = release.description or original.abstract
    created = DateEntry(date=created_on.isoformat(), date_type="Created", date_information=KEYWORD)
    return original.model_copy(
        update={
            "doi": None,
            "alternate_identifiers": [],
            "titles": [Title(title=title[:500])],
            "publication_year": None,
            "tier": release.tier,
            "rights_list": [Rights(rights_identifier=release.licence)]
            if release.licence
            else original.rights_list,
            "descriptions": [
                Description(description=abstract),
                Description(
                    description=method_summary(spec, report, derivation_url, derivation_id),
                    description_type="Methods",
                ),
            ],
            "related_identifiers": [*related, *original.related_identifiers][:100],
            "keywords": _with_keyword(original.keywords),
            "sizes": [f"{report.records_out} records"],
            "formats": [media_type],
            "dates": [*[d for d in original.dates if d.date_type != "Created"][:19], created],
        }
    )


def method_summary(spec: Spec, report: Report, derivation_url: str, derivation_id: str) -> str:
    """Plain words for the version's page: what was done and what it achieved."""
    treatment = report.columns
    parts = [
        f"De-identified derivative (derivation {derivation_id}).",
        _listed("Dropped", treatment.dropped),
        _listed("Pseudonymised with a keyed HMAC", treatment.pseudonymised),
        _listed("Generalised quasi-identifiers", treatment.generalised),
        f"{report.algorithm}: every combination of quasi-identifier values is shared by at "
        f"least {report.k_achieved} records (k = {spec.k} requested)"
        + (
            f"; each class holds at least {min(report.l_achieved.values())} distinct values of "
            f"{', '.join(spec.sensitive)} (l = {spec.l} requested)"
            if spec.l
            else ""
        )
        + ".",
        f"{report.records_suppressed} of {report.records_in} records suppressed; "
        f"{report.classes} equivalence classes; information loss: mean NCP "
        f"{report.information_loss.ncp:.3f}, discernibility "
        f"{report.information_loss.discernibility}.",
        "Equivalence-class sizes (size: classes): "
        + ", ".join(
            f"{b.smallest}: {b.classes}"
            if b.smallest == b.largest
            else f"{b.smallest}-{b.largest}: {b.classes}"
            for b in report.class_sizes.buckets
        )
        + ".",
        f"Report and provenance: {derivation_url}",
    ]
    return " ".join(p for p in parts if p)


def prov_document(
    *,
    derivation_id: str,
    derivation_url: str,
    source_url: str,
    derived_url: str,
    spec_sha256: str,
    report_sha256: str,
    software: str,
    actor: str,
    created_at: datetime,
) -> dict[str, Any]:
    """The derivation as PROV-O in JSON-LD (W3C PROV-O §3.1 starting-point terms)."""
    activity = f"{derivation_url}#activity"
    spec = f"{derivation_url}#spec"
    agent = f"{derivation_url}#software"
    return {
        "@context": PROV_CONTEXT,
        "@graph": [
            {
                "@id": derived_url,
                "@type": "prov:Entity",
                "prov:wasDerivedFrom": {"@id": source_url},
                "prov:wasGeneratedBy": {"@id": activity},
                "prov:generatedAtTime": _when(created_at),
            },
            {
                "@id": f"{derivation_url}#report",
                "@type": "prov:Entity",
                "dcterms:identifier": f"sha256:{report_sha256}",
                "dcterms:title": f"Report of {derivation_id}",
                "prov:wasGeneratedBy": {"@id": activity},
            },
            {"@id": source_url, "@type": "prov:Entity"},
            {
                "@id": spec,
                "@type": "prov:Entity",
                "dcterms:identifier": f"sha256:{spec_sha256}",
                "dcterms:title": f"Transformation spec of {derivation_id}",
            },
            {
                "@id": activity,
                "@type": "prov:Activity",
                "dcterms:identifier": derivation_id,
                "prov:used": [{"@id": source_url}, {"@id": spec}],
                "prov:wasAssociatedWith": {"@id": agent},
                "prov:startedAtTime": _when(created_at),
                "prov:endedAtTime": _when(created_at),
            },
            {
                "@id": agent,
                "@type": "prov:SoftwareAgent",
                "dcterms:title": software,
                "prov:actedOnBehalfOf": {"@id": f"{derivation_url}#steward"},
            },
            {
                "@id": f"{derivation_url}#steward",
                "@type": "prov:Agent",
                "dcterms:identifier": actor,
            },
        ],
    }


def _when(moment: datetime) -> dict[str, str]:
    return {"@value": rfc3339(moment), "@type": "xsd:dateTime"}


def _listed(label: str, columns: list[str]) -> str:
    return f"{label}: {', '.join(columns)}." if columns else ""


def _with_keyword(keywords: Sequence[str]) -> list[str]:
    return list(keywords) if KEYWORD in keywords else [*keywords[:49], KEYWORD]
