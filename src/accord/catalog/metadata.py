"""The metadata of a dataset version, modelled on the DataCite Metadata Schema 4.5.

Property names are DataCite's in snake_case (``nameIdentifiers`` → ``name_identifiers``,
``rightsList`` → ``rights_list``), so exports to DataCite XML/JSON, DCAT-AP, schema.org and
RO-Crate map one property to one property. Mandatory DataCite properties (1 identifier,
2 creator, 3 title, 4 publisher, 5 publicationYear, 10 resourceType) are required here, except
those the node assigns: the identifier (the version's persistent id, plus an optional DOI) and
the publication year (the year of publication when not given). Recommended and optional
properties follow, then Accord's own: tier, owning organisation, stewards, keywords, country of
origin and the terms of use a registered-tier user accepts.

Validation happens once, here, and reports every bad field with its dotted location.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Literal, Self

import pycountry
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    PlainValidator,
    StringConstraints,
    TypeAdapter,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic.json_schema import WithJsonSchema

from accord import input_errors
from accord.catalog.licences import SpdxExpression, licence_url
from accord.catalog.pids import Doi, HttpUrl, check_related_identifier
from accord.errors import FieldError, InvalidInput
from accord.i18n.translate import _l
from accord.identifiers import CountryCode, RorId, normalise_orcid, normalise_ror

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
LongText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20_000)]
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
UserId = Annotated[str, StringConstraints(pattern=r"^usr_[0-9A-Z]{26}$")]
OrganisationId = Annotated[str, StringConstraints(pattern=r"^org_[0-9A-Z]{26}$")]
MediaType = Annotated[
    str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9!#$&^_.+-]*/[a-z0-9][a-z0-9!#$&^_.+-]*$")
]

_LANGUAGE = re.compile(r"^(?P<primary>[a-zA-Z]{2,3})(-[a-zA-Z0-9]{1,8})*$")
_RKMS_DATE = re.compile(r"^\d{4}(-\d{2}(-\d{2}([T ][0-9:.]+(Z|[+-]\d{2}:?\d{2})?)?)?)?$")


def normalise_language(value: str) -> str:
    """An IETF BCP 47 tag whose primary subtag is an ISO 639-1 or 639-3 language."""
    match = _LANGUAGE.match(value.strip())
    primary = match["primary"].lower() if match else ""
    known = len(primary) == 2 and pycountry.languages.get(alpha_2=primary) is not None
    known = known or (len(primary) == 3 and pycountry.languages.get(alpha_3=primary) is not None)
    if not match or not known:
        raise ValueError(f"{value!r} is not a language tag (IETF BCP 47, e.g. en, pt-BR, sw)")
    subtags = value.strip().split("-")
    return "-".join([primary, *(s.upper() if len(s) == 2 else s for s in subtags[1:])])


def check_rkms_date(value: str) -> str:
    """A DataCite date: ISO 8601 (``YYYY``, ``YYYY-MM``, ``YYYY-MM-DD``, date-time) or a range
    ``start/end`` with one open side allowed (RKMS-ISO8601, DataCite 4.5 property 8)."""
    text = value.strip()
    parts = text.split("/")
    if len(parts) > 2 or not any(parts) or not all(_is_iso_date(p) for p in parts if p):
        raise ValueError(
            f"{value!r} is not a date: use YYYY, YYYY-MM, YYYY-MM-DD or start/end ranges"
        )
    return text


def _is_iso_date(text: str) -> bool:
    if not _RKMS_DATE.match(text):
        return False
    try:
        if len(text) == 10:
            date.fromisoformat(text)
        elif len(text) > 10:
            datetime.fromisoformat(text.replace("Z", "+00:00"))
        elif len(text) == 7:
            date.fromisoformat(f"{text}-01")
    except ValueError:
        return False
    return True


LanguageTag = Annotated[str, AfterValidator(normalise_language)]
RkmsDate = Annotated[str, AfterValidator(check_rkms_date)]


class Tier(StrEnum):
    """Who may fetch the bytes (DESIGN.md, Tiers); metadata is public in every tier."""

    OPEN = "open"
    REGISTERED = "registered"
    CONTROLLED = "controlled"
    RESTRICTED = "restricted"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


# --- Accord: keywords, each in its language ------------------------------------------------


class Keyword(str):
    """A keyword: plain text wherever text is expected, which may say its language (``lang``).

    Written ``"malaria"``, or ``{"keyword": "paludisme", "lang": "fr"}`` when the language is
    known; a keyword without a language is stored and exported exactly as before.
    """

    lang: str | None

    def __new__(cls, text: str, lang: str | None = None) -> Keyword:
        keyword = super().__new__(cls, text)
        keyword.lang = lang
        return keyword


def keyword_json(keyword: str) -> str | dict[str, str]:
    """A keyword as metadata documents write it (an object only when it has a language)."""
    lang = getattr(keyword, "lang", None)
    return {"keyword": str(keyword), "lang": lang} if lang else str(keyword)


class _TaggedKeyword(_Model):
    keyword: ShortText
    lang: LanguageTag | None = None


_PLAIN_KEYWORD: TypeAdapter[str] = TypeAdapter(ShortText)


def _keyword(value: object) -> Keyword:
    if isinstance(value, Keyword):
        return value
    try:
        if isinstance(value, dict):
            tagged = _TaggedKeyword.model_validate(value)
            return Keyword(tagged.keyword, tagged.lang)
        return Keyword(_PLAIN_KEYWORD.validate_python(value))
    except ValidationError as invalid:
        first = invalid.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        message = input_errors.message(first)
        raise ValueError(
            _l("%(location)s: %(message)s", location=where, message=message) if where else message
        ) from None


KeywordItem = Annotated[
    Keyword,
    PlainValidator(_keyword),
    PlainSerializer(keyword_json),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "string", "minLength": 1, "maxLength": 200},
                {
                    "type": "object",
                    "properties": {
                        "keyword": {"type": "string", "minLength": 1, "maxLength": 200},
                        "lang": {"type": "string", "description": "BCP 47 language tag"},
                    },
                    "required": ["keyword"],
                    "additionalProperties": False,
                },
            ]
        }
    ),
]


# --- 2 creator / 7 contributor -------------------------------------------------------------


NameType = Literal["Personal", "Organizational"]
NameIdentifierScheme = Literal["ORCID", "ROR", "ISNI", "Other"]
ContributorType = Literal[
    "ContactPerson",
    "DataCollector",
    "DataCurator",
    "DataManager",
    "Distributor",
    "Editor",
    "HostingInstitution",
    "Producer",
    "ProjectLeader",
    "ProjectManager",
    "ProjectMember",
    "RegistrationAgency",
    "RegistrationAuthority",
    "RelatedPerson",
    "Researcher",
    "ResearchGroup",
    "RightsHolder",
    "Sponsor",
    "Supervisor",
    "Translator",
    "WorkPackageLeader",
    "Other",
]


class NameIdentifier(_Model):
    """2.4 nameIdentifier: ORCID iDs and ROR ids are checked (check characters) and normalised."""

    name_identifier_scheme: NameIdentifierScheme
    name_identifier: Text
    scheme_uri: HttpUrl | None = None

    @field_validator("name_identifier")
    @classmethod
    def _checked(cls, value: str, info: ValidationInfo) -> str:
        scheme = info.data.get("name_identifier_scheme")
        if scheme == "ORCID":
            return normalise_orcid(value)
        if scheme == "ROR":
            return normalise_ror(value)
        return value

    @model_validator(mode="after")
    def _scheme_uri(self) -> Self:
        self.scheme_uri = self.scheme_uri or _SCHEME_URIS.get(self.name_identifier_scheme)
        return self


_SCHEME_URIS = {"ORCID": "https://orcid.org", "ROR": "https://ror.org"}


class Affiliation(_Model):
    """2.5 affiliation, identified by ROR when known."""

    name: Text
    affiliation_identifier: RorId | None = None
    affiliation_identifier_scheme: Literal["ROR"] | None = None

    @model_validator(mode="after")
    def _scheme(self) -> Self:
        if self.affiliation_identifier is not None:
            self.affiliation_identifier_scheme = "ROR"
        return self


class Creator(_Model):
    """2 creator: a person (``Family, Given``) or an organisation."""

    name: Text
    name_type: NameType = "Personal"
    given_name: Text | None = None
    family_name: Text | None = None
    name_identifiers: list[NameIdentifier] = Field(default_factory=list, max_length=10)
    affiliation: list[Affiliation] = Field(default_factory=list, max_length=10)

    @property
    def orcid(self) -> str | None:
        return next(
            (
                i.name_identifier
                for i in self.name_identifiers
                if i.name_identifier_scheme == "ORCID"
            ),
            None,
        )


class Contributor(Creator):
    """7 contributor: a creator with a role."""

    contributor_type: ContributorType


# --- 3 title / 4 publisher / 10 resourceType --------------------------------------------


class Title(_Model):
    title: Text
    title_type: Literal["AlternativeTitle", "Subtitle", "TranslatedTitle", "Other"] | None = None
    lang: LanguageTag | None = None


class Publisher(_Model):
    """4 publisher (with 4.5's publisherIdentifier, a ROR id when known)."""

    name: Text
    publisher_identifier: RorId | None = None
    publisher_identifier_scheme: Literal["ROR"] | None = None

    @model_validator(mode="after")
    def _scheme(self) -> Self:
        if self.publisher_identifier is not None:
            self.publisher_identifier_scheme = "ROR"
        return self


ResourceTypeGeneral = Literal[
    "Audiovisual",
    "Book",
    "BookChapter",
    "Collection",
    "ComputationalNotebook",
    "ConferencePaper",
    "ConferenceProceeding",
    "DataPaper",
    "Dataset",
    "Dissertation",
    "Event",
    "Image",
    "Instrument",
    "InteractiveResource",
    "Journal",
    "JournalArticle",
    "Model",
    "OutputManagementPlan",
    "PeerReview",
    "PhysicalObject",
    "Preprint",
    "Report",
    "Service",
    "Software",
    "Sound",
    "Standard",
    "StudyRegistration",
    "Text",
    "Workflow",
    "Other",
]


class ResourceType(_Model):
    resource_type_general: ResourceTypeGeneral = "Dataset"
    resource_type: ShortText | None = None


# --- 6 subject / 8 date / 9 language / 11 alternateIdentifier / 12 relatedIdentifier -----


class Subject(_Model):
    """6 subject, with its scheme (e.g. ``Fields of Science and Technology``, MeSH)."""

    subject: ShortText
    subject_scheme: ShortText | None = None
    scheme_uri: HttpUrl | None = None
    value_uri: HttpUrl | None = None
    classification_code: ShortText | None = None
    lang: LanguageTag | None = None


DateType = Literal[
    "Accepted",
    "Available",
    "Copyrighted",
    "Collected",
    "Coverage",
    "Created",
    "Issued",
    "Submitted",
    "Updated",
    "Valid",
    "Withdrawn",
    "Other",
]


class DateEntry(_Model):
    date: RkmsDate
    date_type: DateType
    date_information: Text | None = None


class AlternateIdentifier(_Model):
    alternate_identifier: Text
    alternate_identifier_type: ShortText


RelatedIdentifierType = Literal[
    "ARK",
    "arXiv",
    "bibcode",
    "CSTR",
    "DOI",
    "EAN13",
    "EISSN",
    "Handle",
    "IGSN",
    "ISBN",
    "ISSN",
    "ISTC",
    "LISSN",
    "LSID",
    "PMID",
    "PURL",
    "RRID",
    "UPC",
    "URL",
    "URN",
    "w3id",
]
RelationType = Literal[
    "IsCitedBy",
    "Cites",
    "IsSupplementTo",
    "IsSupplementedBy",
    "IsContinuedBy",
    "Continues",
    "IsDescribedBy",
    "Describes",
    "HasMetadata",
    "IsMetadataFor",
    "HasVersion",
    "IsVersionOf",
    "IsNewVersionOf",
    "IsPreviousVersionOf",
    "IsPartOf",
    "HasPart",
    "IsPublishedIn",
    "IsReferencedBy",
    "References",
    "IsDocumentedBy",
    "Documents",
    "IsCompiledBy",
    "Compiles",
    "IsVariantFormOf",
    "IsOriginalFormOf",
    "IsIdenticalTo",
    "IsReviewedBy",
    "Reviews",
    "IsDerivedFrom",
    "IsSourceOf",
    "IsRequiredBy",
    "Requires",
    "IsObsoletedBy",
    "Obsoletes",
    "IsCollectedBy",
    "Collects",
    "HasTranslation",
    "IsTranslationOf",
]


class RelatedIdentifier(_Model):
    """12 relatedIdentifier: the identifier is checked against its declared type."""

    related_identifier_type: RelatedIdentifierType
    related_identifier: Text
    relation_type: RelationType
    resource_type_general: ResourceTypeGeneral | None = None

    @field_validator("related_identifier")
    @classmethod
    def _syntax(cls, value: str, info: ValidationInfo) -> str:
        kind = info.data.get("related_identifier_type")
        return check_related_identifier(kind, value) if isinstance(kind, str) else value


# --- 16 rights / 17 description / 18 geoLocation / 19 fundingReference -------------------


class Rights(_Model):
    """16 rights: an SPDX licence identifier or expression (``rightsIdentifierScheme`` SPDX)."""

    rights_identifier: SpdxExpression
    rights_identifier_scheme: Literal["SPDX"] = "SPDX"
    rights: Text | None = None
    rights_uri: HttpUrl | None = None
    scheme_uri: Literal["https://spdx.org/licenses/"] = "https://spdx.org/licenses/"

    @model_validator(mode="after")
    def _defaults(self) -> Self:
        self.rights = self.rights or self.rights_identifier
        self.rights_uri = self.rights_uri or licence_url(self.rights_identifier)
        return self


class Description(_Model):
    description: LongText
    description_type: Literal[
        "Abstract", "Methods", "SeriesInformation", "TableOfContents", "TechnicalInfo", "Other"
    ] = "Abstract"
    lang: LanguageTag | None = None


Longitude = Annotated[float, Field(ge=-180, le=180)]
Latitude = Annotated[float, Field(ge=-90, le=90)]


class GeoLocationPoint(_Model):
    point_longitude: Longitude
    point_latitude: Latitude


class GeoLocationBox(_Model):
    west_bound_longitude: Longitude
    east_bound_longitude: Longitude
    south_bound_latitude: Latitude
    north_bound_latitude: Latitude

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.south_bound_latitude > self.north_bound_latitude:
            raise ValueError("south_bound_latitude must not be north of north_bound_latitude")
        return self


class GeoLocation(_Model):
    geo_location_place: Text | None = None
    geo_location_point: GeoLocationPoint | None = None
    geo_location_box: GeoLocationBox | None = None

    @model_validator(mode="after")
    def _something(self) -> Self:
        if not (self.geo_location_place or self.geo_location_point or self.geo_location_box):
            raise ValueError("give a place, a point or a box")
        return self


class FundingReference(_Model):
    funder_name: Text
    funder_identifier_type: Literal["Crossref Funder ID", "GRID", "ISNI", "ROR", "Other"] | None = (
        None
    )
    funder_identifier: Text | None = None
    award_number: ShortText | None = None
    award_uri: HttpUrl | None = None
    award_title: Text | None = None

    @field_validator("funder_identifier")
    @classmethod
    def _ror(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is not None and info.data.get("funder_identifier_type") == "ROR":
            return normalise_ror(value)
        return value


# --- the whole record ------------------------------------------------------------------------


class DatasetMetadata(_Model):
    """One version's metadata, as a steward submits it (JSON or YAML)."""

    # 1 identifier (the persistent id is assigned by the node; a DOI may be given)
    doi: Doi | None = None
    alternate_identifiers: list[AlternateIdentifier] = Field(default_factory=list, max_length=20)
    # mandatory
    creators: list[Creator] = Field(min_length=1, max_length=200)
    titles: list[Title] = Field(min_length=1, max_length=10)
    publisher: Publisher
    publication_year: int | None = Field(default=None, ge=1000, le=2999)
    resource_type: ResourceType = Field(default_factory=ResourceType)
    # recommended and optional
    subjects: list[Subject] = Field(default_factory=list, max_length=50)
    contributors: list[Contributor] = Field(default_factory=list, max_length=200)
    dates: list[DateEntry] = Field(default_factory=list, max_length=20)
    languages: list[LanguageTag] = Field(default_factory=list, max_length=10)
    related_identifiers: list[RelatedIdentifier] = Field(default_factory=list, max_length=100)
    sizes: list[ShortText] = Field(default_factory=list, max_length=20)
    formats: list[ShortText] = Field(default_factory=list, max_length=20)
    rights_list: list[Rights] = Field(min_length=1, max_length=5)
    descriptions: list[Description] = Field(min_length=1, max_length=10)
    geo_locations: list[GeoLocation] = Field(default_factory=list, max_length=50)
    funding_references: list[FundingReference] = Field(default_factory=list, max_length=50)
    # Accord
    tier: Tier
    organisation_id: OrganisationId
    stewards: list[UserId] = Field(default_factory=list, max_length=20)
    keywords: list[KeywordItem] = Field(default_factory=list, max_length=50)
    country_of_origin: CountryCode | None = None
    terms_of_use: LongText | None = None

    @property
    def title(self) -> str:
        """The main title (the first without a ``title_type``, else the first)."""
        return next((t.title for t in self.titles if t.title_type is None), self.titles[0].title)

    @property
    def abstract(self) -> str:
        return next(
            (d.description for d in self.descriptions if d.description_type == "Abstract"),
            self.descriptions[0].description,
        )

    @property
    def licence(self) -> str:
        """The licence of the data: the first rights entry's SPDX expression."""
        return self.rights_list[0].rights_identifier

    def as_json(self) -> dict[str, object]:
        return self.model_dump(mode="json", exclude_none=True)


def parse_metadata(raw: object) -> DatasetMetadata:
    """Validate a metadata document; ``InvalidInput`` names every bad field (dotted locations)."""
    try:
        return DatasetMetadata.model_validate(raw)
    except ValidationError as invalid:
        errors = field_errors(invalid)
        raise InvalidInput(
            _l(
                "the dataset metadata is invalid: %(problems)s",
                problems=input_errors.listed(errors),
            ),
            code="catalog.invalid-metadata",
            hint="fix the fields listed in `errors` and send the metadata again",
            errors=errors,
        ) from None


def field_errors(invalid: ValidationError, prefix: str = "") -> list[FieldError]:
    """Pydantic errors as ``FieldError``s with dotted locations (``creators.0.name``)."""
    return [
        FieldError(
            ".".join([p for p in (prefix,) if p] + [str(part) for part in e["loc"]]) or "metadata",
            input_errors.message(e),
        )
        for e in invalid.errors()
    ]
