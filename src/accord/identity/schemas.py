"""Request and response bodies of the identity API (the CLI's ``--json`` prints the same)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, EmailStr, Field, StringConstraints

from accord.i18n.locales import CODES
from accord.i18n.translate import _l
from accord.identifiers import CountryCode, OrcidId, RorId
from accord.identity.permissions import Permission, Role, ScopeKind

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class OrganisationCreate(Strict):
    name: Name
    ror_id: RorId | None = None
    country: CountryCode


class OrganisationOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    name: str
    ror_id: str | None
    country: str
    created_at: datetime


class UserCreate(Strict):
    name: Name
    email: EmailStr
    orcid: OrcidId | None = None
    organisation_id: str | None = None
    country: CountryCode
    roles: list[Role] = Field(default_factory=lambda: [Role.RESEARCHER])
    password: Annotated[str, StringConstraints(min_length=12, max_length=200)] | None = Field(
        default=None,
        description="Leave out to have a password generated and returned once",
    )


class RoleOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    role: Role
    scope_kind: ScopeKind
    scope_id: str


class RoleAdd(Strict):
    role: Role
    scope_kind: ScopeKind = ScopeKind.NODE
    scope_id: Annotated[str, StringConstraints(max_length=40)] = ""


class AccreditationCreate(Strict):
    kind: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
    issuer: Name
    issued_on: date
    expires_on: date | None = None


class AccreditationOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    kind: str
    issuer: str
    issued_on: date
    expires_on: date | None


class UserOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    name: str
    email: str
    orcid: str | None
    organisation_id: str | None
    country: str
    status: str
    language: str | None = None
    roles: list[RoleOut]
    created_at: datetime


class UserCreated(BaseModel):
    user: UserOut
    password: str | None = Field(description="The generated password, shown this once")


class Me(UserOut):
    accreditations: list[AccreditationOut]
    permissions: list[str]


def _shipped_language(code: str) -> str:
    if code not in CODES:
        raise ValueError(_l("this node speaks %(languages)s", languages=", ".join(sorted(CODES))))
    return code


ShippedLanguage = Annotated[str, AfterValidator(_shipped_language)]


class Preferences(Strict):
    language: ShippedLanguage | None = Field(
        description="The language you read (emails; pages after sign-in); null: your browser's"
    )


class Suspension(Strict):
    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=2000)]


class TokenCreate(Strict):
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
    scopes: list[Permission] | None = Field(
        default=None, description="Permissions the token may use; default: all of yours"
    )
    expires_in_days: int = Field(default=90, ge=1, le=365)


class TokenOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    name: str
    scopes: list[str]
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None


class TokenCreated(TokenOut):
    token: str = Field(description="The secret, shown this once; send as `Authorization: Bearer`")


class SignIn(Strict):
    email: Annotated[str, StringConstraints(max_length=320)]
    password: Annotated[str, StringConstraints(max_length=200)]


class TotpStatusOut(BaseModel):
    enrolled: bool
    enrolled_at: datetime | None
    recovery_codes_left: int


class TotpEnrolled(BaseModel):
    """A key handed over by an administrator: shown once, with the recovery codes."""

    secret: str
    otpauth_uri: str
    recovery_codes: list[str]


class TotpReplacementIn(BaseModel):
    """Your password and a current code, or a recovery code if the device is lost."""

    password: str = Field(max_length=1024)
    code: str = Field(max_length=40)


class TotpReplacementOut(BaseModel):
    """A new key, shown once; send ``replacement`` back with a code from the new app."""

    secret: str
    otpauth_uri: str
    replacement: str
    expires_at: datetime


class TotpReplacementConfirm(BaseModel):
    replacement: str = Field(max_length=400)
    code: str = Field(max_length=40)


class TotpReplaced(BaseModel):
    """The new key is in use; the old one and its recovery codes no longer work."""

    recovery_codes: list[str]


class IdentityLinkOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    provider: str
    issuer: str
    subject: str
    linked_by: str
    created_at: datetime
