"""The steward's metadata form (a new dataset, or a draft's edit page) and the metadata
document it stands for.

The form asks for the properties a person types (title, description, creators, licence, tier,
subjects…); everything else keeps its default and can be refined later through the API or a
metadata file. Editing a draft changes only what the form shows: the draft's other properties
(dates, related identifiers, places, funding, further titles and descriptions) and the details
of creators and subjects left as they were (affiliations, schemes) are kept. Errors from
validation come back keyed by form field, not by metadata path.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from accord.errors import FieldError

FIELDS = (
    "title",
    "description",
    "creators",
    "organisation_id",
    "publisher",
    "tier",
    "licence",
    "subjects",
    "keywords",
    "language",
    "country_of_origin",
    "publication_year",
    "doi",
    "terms_of_use",
)
_FIELD_OF_PROPERTY = {
    "titles": "title",
    "descriptions": "description",
    "rights_list": "licence",
    "languages": "language",
}


def metadata_from_form(form: Mapping[str, str], *, default_publisher: str) -> dict[str, Any]:
    """A metadata document (to be validated) from the form's fields."""
    document: dict[str, Any] = {
        "titles": [{"title": form.get("title", "")}],
        "descriptions": [
            {"description": form.get("description", ""), "description_type": "Abstract"}
        ],
        "creators": creators_from_lines(form.get("creators", "")),
        "publisher": {"name": form.get("publisher", "").strip() or default_publisher},
        "rights_list": [{"rights_identifier": form.get("licence", "")}],
        "tier": form.get("tier", ""),
        "organisation_id": form.get("organisation_id", ""),
        "subjects": [{"subject": s} for s in split(form.get("subjects", ""), ";")],
        "keywords": split(form.get("keywords", ""), ","),
        "languages": split(form.get("language", ""), ","),
    }
    optional = {
        "country_of_origin": form.get("country_of_origin", "").strip(),
        "publication_year": form.get("publication_year", "").strip(),
        "doi": form.get("doi", "").strip(),
        "terms_of_use": form.get("terms_of_use", "").strip(),
    }
    document.update({k: v for k, v in optional.items() if v})
    return document


def form_from_metadata(document: Mapping[str, Any]) -> dict[str, str]:
    """The form's fields showing a metadata document (the inverse of ``metadata_from_form``)."""
    first = _first(document.get("titles")).get("title", "")
    return {
        "title": str(first),
        "description": str(_first(document.get("descriptions")).get("description", "")),
        "creators": "\n".join(creator_line(c) for c in document.get("creators") or []),
        "organisation_id": str(document.get("organisation_id", "")),
        "publisher": str((document.get("publisher") or {}).get("name", "")),
        "tier": str(document.get("tier", "")),
        "licence": str(_first(document.get("rights_list")).get("rights_identifier", "")),
        "subjects": "; ".join(s["subject"] for s in document.get("subjects") or []),
        "keywords": ", ".join(document.get("keywords") or []),
        "language": ", ".join(document.get("languages") or []),
        "country_of_origin": str(document.get("country_of_origin") or ""),
        "publication_year": str(document.get("publication_year") or ""),
        "doi": str(document.get("doi") or ""),
        "terms_of_use": str(document.get("terms_of_use") or ""),
    }


def edited_metadata(document: Mapping[str, Any], form: Mapping[str, str]) -> dict[str, Any]:
    """``document`` with the form's properties changed, everything else kept."""
    typed = metadata_from_form(form, default_publisher=str(document["publisher"]["name"]))
    edited = dict(document)
    edited["titles"] = _replace_first(document.get("titles"), typed["titles"][0], "title")
    edited["descriptions"] = _replace_first(
        document.get("descriptions"), typed["descriptions"][0], "description"
    )
    kept_creators = {creator_line(c): c for c in document.get("creators") or []}
    edited["creators"] = [kept_creators.get(creator_line(c), c) for c in typed["creators"]]
    kept_subjects = {s["subject"]: s for s in document.get("subjects") or []}
    edited["subjects"] = [kept_subjects.get(s["subject"], s) for s in typed["subjects"]]
    edited["publisher"] = {**document["publisher"], **typed["publisher"]}
    if form.get("licence", "") != form_from_metadata(document)["licence"]:
        edited["rights_list"] = typed["rights_list"]
    for name in ("tier", "keywords", "languages"):
        edited[name] = typed[name]
    for name in ("country_of_origin", "publication_year", "doi", "terms_of_use"):
        edited[name] = typed.get(name) or None
    edited["organisation_id"] = document["organisation_id"]
    return edited


def creator_line(creator: Mapping[str, Any]) -> str:
    """A creator as one line of the form: the name, then ``| ORCID iD`` when there is one."""
    orcid = next(
        (
            str(i.get("name_identifier", ""))
            for i in creator.get("name_identifiers") or []
            if i.get("name_identifier_scheme") == "ORCID"
        ),
        "",
    )
    return f"{creator['name']} | {orcid}" if orcid else str(creator["name"])


def _first(items: Any) -> Mapping[str, Any]:
    return items[0] if items else {}


def _replace_first(items: Any, replacement: dict[str, Any], key: str) -> list[dict[str, Any]]:
    """The first item with ``key`` taken from ``replacement``; the others as they were."""
    if not items:
        return [replacement]
    return [{**items[0], key: replacement[key]}, *items[1:]]


def creators_from_lines(text: str) -> list[dict[str, Any]]:
    """One creator per line: ``Family, Given`` or an organisation, optionally ``| ORCID``."""
    creators = []
    for line in text.splitlines():
        name, _, orcid = (part.strip() for part in line.partition("|"))
        if not name:
            continue
        creator: dict[str, Any] = {"name": name}
        if "," in name:
            family, _, given = (part.strip() for part in name.partition(","))
            creator |= {"family_name": family, "given_name": given}
        if orcid:
            creator["name_identifiers"] = [
                {"name_identifier_scheme": "ORCID", "name_identifier": orcid}
            ]
        creators.append(creator)
    return creators


def split(text: str, separator: str) -> list[str]:
    return [part.strip() for part in text.split(separator) if part.strip()]


def form_errors(errors: Sequence[FieldError]) -> dict[str, str]:
    """Metadata errors keyed by the form field that holds the property (first message wins)."""
    keyed: dict[str, str] = {}
    for error in errors:
        head = error.location.split(".", 1)[0]
        field = _FIELD_OF_PROPERTY.get(head, head)
        keyed.setdefault(field if field in FIELDS else "form", error.message)
    return keyed
