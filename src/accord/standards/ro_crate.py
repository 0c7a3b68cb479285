"""RO-Crate 1.1 (https://w3id.org/ro/crate/1.1): a version packaged with its metadata.

``crate_metadata`` builds ``ro-crate-metadata.json`` with ro-crate-py: the root ``Dataset``
(name, description, dates, licence, identifier, version, creators, publisher, keywords), one
``File`` per data file, and ``accord-manifest.json``, the node's signed manifest of every file's
SHA-256. ``stream_crate`` writes the crate as a ZIP archive in chunks, reading each file from the
blob store, so no copy of the data is staged on disk. ``metadata_from_crate`` and ``crate_files``
read a crate (any RO-Crate 1.x) back into catalog metadata and a list of files to import.
"""

from __future__ import annotations

import json
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from rocrate.model.contextentity import ContextEntity
from rocrate.rocrate import ROCrate

from accord.catalog.metadata import Creator
from accord.standards.datacite_json import ImportedMetadata
from accord.standards.record import VersionRecord
from accord.storage.blobs import BlobStore

RO_CRATE_VERSION = "1.1"
METADATA_NAME = "ro-crate-metadata.json"
MANIFEST_NAME = "accord-manifest.json"
CHUNK = 1 << 16
Json = dict[str, Any]


def crate_metadata(record: VersionRecord, *, with_manifest: bool = True) -> Json:
    """The RO-Crate metadata document (JSON-LD) of a version; it lists the signed manifest
    when the crate carries one (``with_manifest``) and the version has one."""
    crate = ROCrate(version=RO_CRATE_VERSION, gen_preview=False)
    m = record.metadata
    root = crate.root_dataset
    root["name"] = m.title
    root["description"] = m.abstract
    root["datePublished"] = (
        record.published_at.date().isoformat() if record.published_at else str(m.publication_year)
    )
    root["identifier"] = record.identifier_url
    root["url"] = record.landing_url
    root["version"] = str(record.number)
    root["license"] = [_licence(crate, r.rights_uri, r.rights_identifier) for r in m.rights_list]
    root["author"] = [_person(crate, c, i) for i, c in enumerate(m.creators)]
    root["publisher"] = _organisation(crate, m.publisher.name, m.publisher.publisher_identifier)
    keywords = [*m.keywords, *(s.subject for s in m.subjects)]
    if keywords:
        root["keywords"] = keywords
    if m.languages:
        root["inLanguage"] = m.languages[0]
    for file in record.files:
        crate.add_file(
            dest_path=file.path,
            properties={
                "name": file.path.rsplit("/", 1)[-1],
                "contentSize": str(file.size),
                "encodingFormat": file.media_type,
                "url": file.content_url,
            },
        )
    if with_manifest and record.manifest_sha256:
        crate.add_file(
            dest_path=MANIFEST_NAME,
            properties={
                "name": "Signed manifest",
                "description": "The node's Ed25519-signed manifest (RFC 8785 canonical JSON) of "
                "every file's path, size, media type and SHA-256.",
                "encodingFormat": "application/json",
            },
        )
    document: Json = crate.metadata.generate()
    return document


def stream_crate(
    record: VersionRecord, manifest: bytes | None, store: BlobStore
) -> Iterator[bytes]:
    """The crate as a ZIP archive, chunk by chunk: metadata, manifest, then every file."""
    metadata = crate_metadata(record, with_manifest=manifest is not None)
    sink = _Sink()
    with zipfile.ZipFile(sink, mode="w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(METADATA_NAME, json.dumps(metadata, indent=2, ensure_ascii=False))
        if manifest is not None:
            archive.writestr(MANIFEST_NAME, manifest)
        yield sink.take()
        for file in record.files:
            with archive.open(file.path, mode="w", force_zip64=True) as entry:
                for chunk in store.read_range(file.sha256, chunk_size=CHUNK):
                    entry.write(chunk)
                    yield sink.take()
    yield sink.take()


def _licence(crate: ROCrate, url: str | None, expression: str) -> ContextEntity:
    identifier = url or f"https://spdx.org/licenses/{expression}"
    entity = ContextEntity(
        crate,
        identifier,
        properties={"@type": "CreativeWork", "name": expression, "identifier": expression},
    )
    crate.add(entity)
    return entity


def _person(crate: ROCrate, creator: Creator, index: int) -> ContextEntity:
    kind = "Person" if creator.name_type == "Personal" else "Organization"
    identifier = f"https://orcid.org/{creator.orcid}" if creator.orcid else f"#creator-{index + 1}"
    properties: Json = {"@type": kind, "name": creator.name}
    if creator.given_name:
        properties["givenName"] = creator.given_name
    if creator.family_name:
        properties["familyName"] = creator.family_name
    affiliations = [
        _organisation(crate, a.name, a.affiliation_identifier) for a in creator.affiliation
    ]
    if affiliations:
        properties["affiliation"] = affiliations
    entity = ContextEntity(crate, identifier, properties=properties)
    crate.add(entity)
    return entity


def _organisation(crate: ROCrate, name: str, ror_id: str | None) -> ContextEntity:
    identifier = f"https://ror.org/{ror_id}" if ror_id else f"#{_slug(name)}"
    entity = ContextEntity(crate, identifier, properties={"@type": "Organization", "name": name})
    crate.add(entity)
    return entity


def _slug(name: str) -> str:
    return "-".join("".join(ch if ch.isalnum() else " " for ch in name.lower()).split())


class _Sink:
    """A write-only, non-seekable file that hands over what was written (``take``)."""

    def __init__(self) -> None:
        self._parts: list[bytes] = []
        self._offset = 0

    def write(self, data: bytes) -> int:
        self._parts.append(bytes(data))
        self._offset += len(data)
        return len(data)

    def tell(self) -> int:
        return self._offset

    def seekable(self) -> bool:
        return False

    def flush(self) -> None:
        return None

    def close(self) -> None:
        return None

    def take(self) -> bytes:
        data = b"".join(self._parts)
        self._parts.clear()
        return data


# --- reading a crate ------------------------------------------------------------------------


@dataclass(frozen=True)
class CrateFile:
    """A data file a crate lists: its path inside the crate and declared media type."""

    path: str
    media_type: str | None


def metadata_from_crate(crate: ROCrate) -> ImportedMetadata:
    """Catalog metadata fields from a crate's root ``Dataset`` (schema.org properties)."""
    root = crate.root_dataset
    doc: Json = {
        "titles": [{"title": t} for t in _texts(root.get("name"))[:1]],
        "descriptions": [{"description": d} for d in _texts(root.get("description"))[:1]],
        "creators": [_creator_from(e) for e in _values(root.get("author") or root.get("creator"))],
        "publisher": _publisher_from(root.get("publisher")),
        "rights_list": [
            {"rights_identifier": spdx}
            for value in _values(root.get("license"))
            if (spdx := _spdx_from(value))
        ],
        "keywords": _keywords(root.get("keywords")),
        "languages": _texts(root.get("inLanguage"))[:1],
    }
    published = _texts(root.get("datePublished"))
    if published and published[0][:4].isdigit():
        doc["publication_year"] = int(published[0][:4])
    doi = next((i for i in _texts(root.get("identifier")) if DOI_URL.match(i)), None)
    if doi:
        doc["doi"] = doi
    return ImportedMetadata({k: v for k, v in doc.items() if v not in (None, [], {})}, None)


def crate_files(crate: ROCrate) -> list[CrateFile]:
    """The local data files of a crate (remote ``@id``s and Accord's manifest are left out)."""
    files: list[CrateFile] = []
    for entity in crate.data_entities:
        types = entity.type if isinstance(entity.type, list) else [entity.type]
        if "File" not in types or "://" in entity.id or entity.id in (MANIFEST_NAME, METADATA_NAME):
            continue
        media = entity.get("encodingFormat")
        path = entity.id.removeprefix("./")
        files.append(CrateFile(path, media if isinstance(media, str) else None))
    return files


DOI_URL = re.compile(r"^https?://(dx\.)?doi\.org/10\.\d{4,9}/\S+$")
_SPDX_URL = re.compile(r"^https?://spdx\.org/licenses/(?P<id>[A-Za-z0-9.+-]+?)(\.html|\.json)?/?$")


def _values(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def _texts(value: Any) -> list[str]:
    return [v.strip() for v in _values(value) if isinstance(v, str) and v.strip()]


def _keywords(value: Any) -> list[str]:
    words: list[str] = []
    for text in _texts(value):
        words += [w.strip() for w in text.split(",") if w.strip()]
    return words


def _props(value: Any) -> Json:
    if isinstance(value, str):
        return {"name": value}
    properties = getattr(value, "properties", None)
    return dict(properties()) if callable(properties) else {}


def _creator_from(value: Any) -> Json:
    props = _props(value)
    types = _values(props.get("@type"))
    identifier = str(props.get("@id", ""))
    creator: Json = {"name": props.get("name") or identifier or "unknown"}
    if "Organization" in types:
        creator["name_type"] = "Organizational"
    for part, key in (("givenName", "given_name"), ("familyName", "family_name")):
        if isinstance(props.get(part), str):
            creator[key] = props[part]
    if identifier.startswith("https://orcid.org/"):
        creator["name_identifiers"] = [
            {"name_identifier_scheme": "ORCID", "name_identifier": identifier}
        ]
    affiliations = [
        _props(a) for a in _values(getattr(value, "get", lambda _: None)("affiliation"))
    ]
    if affiliations:
        creator["affiliation"] = [_affiliation_from(a) for a in affiliations if a.get("name")]
    return creator


def _affiliation_from(props: Json) -> Json:
    identifier = str(props.get("@id", ""))
    affiliation: Json = {"name": props["name"]}
    if identifier.startswith("https://ror.org/"):
        affiliation["affiliation_identifier"] = identifier
    return affiliation


def _publisher_from(value: Any) -> Json | None:
    if value is None:
        return None
    props = _props(value)
    if not props.get("name"):
        return None
    publisher: Json = {"name": props["name"]}
    identifier = str(props.get("@id", ""))
    if identifier.startswith("https://ror.org/"):
        publisher["publisher_identifier"] = identifier
    return publisher


def _spdx_from(value: Any) -> str | None:
    """An SPDX identifier from a licence given as an SPDX URL, an entity or a plain id."""
    props = _props(value)
    for candidate in (props.get("@id"), props.get("identifier"), props.get("name")):
        if not isinstance(candidate, str):
            continue
        match = _SPDX_URL.match(candidate)
        if match:
            return match["id"]
        if "://" not in candidate and candidate.strip():
            return candidate.strip()
    return None
