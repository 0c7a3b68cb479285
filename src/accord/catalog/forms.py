"""The steward's "new dataset" form and the metadata document it stands for.

The form asks for the properties a person types (title, description, creators, licence, tier,
subjects…); everything else keeps its default and can be refined later through the API or a
metadata file. Errors from validation come back keyed by form field, not by metadata path.
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
