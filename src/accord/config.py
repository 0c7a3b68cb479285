"""Node settings: ``ACCORD_*`` environment variables, an optional ``accord.toml``, then defaults.

Settings are built once (by the CLI entry or ``create_app``) and passed down; nothing here reads
the environment at import time.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from accord.identity.permissions import Role

DEFAULT_DATA_DIR = Path("accord-data")


class ClaimMapping(BaseModel):
    """Which ID token / userinfo claim carries each user field (``None``: the IdP has none)."""

    model_config = ConfigDict(extra="forbid")

    name: str = "name"
    email: str | None = "email"
    email_verified: str = "email_verified"
    orcid: str | None = None
    ror: str | None = None
    affiliation: str | None = None
    country: str | None = None
    entitlements: str | None = None


class OidcProvider(BaseModel):
    """One OpenID Provider (``[[oidc_providers]]`` in accord.toml); see decision 1300."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,39}$", description="Slug used in URLs")
    name: str = Field(min_length=1, max_length=100, description="Shown on the sign-in button")
    issuer: str = Field(description="Issuer URL; discovery is read from its well-known document")
    client_id: str = Field(min_length=1)
    client_secret_file: Path | None = Field(default=None, description="File holding the secret")
    client_secret_env: str | None = Field(default=None, description="Variable holding the secret")
    scopes: list[str] = Field(default_factory=lambda: ["openid", "email", "profile"])
    claims: ClaimMapping = Field(default_factory=ClaimMapping)
    roles: dict[str, Role] = Field(
        default_factory=dict, description="Entitlement value → role granted while asserted"
    )
    default_roles: list[Role] = Field(default_factory=lambda: [Role.RESEARCHER])
    link_on: list[Literal["email", "orcid"]] = Field(
        default_factory=list,
        description="Claims this IdP is trusted for when linking a first sign-in to an account",
    )
    create_accounts: bool = Field(default=True, description="Create an account on first sign-in")
    default_country: str | None = Field(default=None, pattern=r"^[A-Z]{2}$")

    @field_validator("issuer")
    @classmethod
    def _issuer_url(cls, value: str) -> str:
        parts = urlsplit(value)
        loopback = parts.hostname in {"127.0.0.1", "::1", "localhost"}
        if parts.scheme != "https" and not (parts.scheme == "http" and loopback):
            raise ValueError("the issuer must be an https URL (http only on a loopback address)")
        return value.rstrip("/")


class Settings(BaseSettings):
    """What a node needs to start. Precedence: arguments > environment > accord.toml > defaults."""

    model_config = SettingsConfigDict(env_prefix="ACCORD_", extra="ignore", toml_file=None)

    data_dir: Path = Field(default=DEFAULT_DATA_DIR, description="Where the node keeps its files")
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL; default is a SQLite file in the data dir",
    )
    storage_url: str | None = Field(
        default=None,
        description="Blob store; default is the blobs/ folder of the data dir",
    )
    base_url: str = Field(default="http://127.0.0.1:8000", description="Public URL of this node")
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    access_log: bool = Field(default=True, description="Log one line per HTTP request")
    max_body_bytes: int = Field(default=1_048_576, ge=1024, description="Largest request body")
    max_upload_bytes: int = Field(
        default=50 * 1024**3,
        ge=1024,
        description="Largest file accepted by upload endpoints",
    )
    upload_expiry_hours: int = Field(
        default=7 * 24,
        ge=1,
        description="Hours an unfinished upload may live before the storage sweep drops it",
    )
    upload_quota_user_bytes: int | None = Field(
        default=None, ge=0, description="Bytes each user may hold in uploads (unset: no quota)"
    )
    upload_quota_organisation_bytes: int | None = Field(
        default=None,
        ge=0,
        description="Bytes the users of one organisation may hold in uploads (unset: no quota)",
    )
    session_hours: int = Field(default=12, ge=1, le=24 * 30)
    secure_cookies: bool = Field(default=False, description="Mark cookies Secure (set behind TLS)")
    workers: int = Field(default=1, ge=0, description="Sandbox workers started by `accord serve`")
    signin_max_failures: int = Field(
        default=5, ge=1, description="Failed sign-ins for one account before it is locked"
    )
    signin_lockout_minutes: int = Field(
        default=15, ge=1, description="How long the lock (and the failure window) lasts"
    )
    signin_per_address: int = Field(
        default=30, ge=1, description="Sign-in attempts per client address per 5 minutes"
    )
    api_requests_per_minute: int = Field(
        default=1200, ge=1, description="Requests per minute per API token holder (per process)"
    )
    password_sign_in: bool = Field(
        default=True, description="Offer local email + password sign-in (off: IdPs only)"
    )
    oidc_providers: list[OidcProvider] = Field(
        default_factory=list, description="OpenID Providers offered on the sign-in page"
    )
    totp_required_roles: list[Role] = Field(
        default_factory=list,
        description="Roles whose holders must pass a TOTP second step at every sign-in",
    )
    security_contact: str | None = Field(
        default=None,
        pattern=r"^(mailto:|https://|tel:)\S+$",
        description="security.txt Contact URI; default mailto:security@<host of base_url>",
    )
    oai_admin_email: str | None = Field(
        default=None,
        pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$",
        description="OAI-PMH Identify adminEmail; default repository@<host of base_url>",
    )
    security_languages: str = Field(
        default="en", description="security.txt Preferred-Languages (comma-separated tags)"
    )
    log_checkpoint_entries: int = Field(
        default=1000, ge=1, description="Sign a log checkpoint after this many new entries"
    )
    log_checkpoint_seconds: int = Field(
        default=60, ge=1, description="...or once the last one is this old and entries are new"
    )

    @field_validator("base_url")
    @classmethod
    def _strip_slash(cls, value: str) -> str:
        return value.rstrip("/")

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        toml = TomlConfigSettingsSource(settings_cls, toml_file=_toml_path(init_settings))
        return (init_settings, env_settings, toml)

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'accord.db').resolve()}"

    @field_validator("oidc_providers")
    @classmethod
    def _unique_providers(cls, value: list[OidcProvider]) -> list[OidcProvider]:
        ids = [p.id for p in value]
        if len(ids) != len(set(ids)):
            raise ValueError("two identity providers share one id")
        return value

    @property
    def keys_dir(self) -> Path:
        return self.data_dir / "keys"


def _toml_path(init_settings: PydanticBaseSettingsSource) -> list[Path]:
    """``accord.toml`` in the data dir, then in the working directory (both optional)."""
    init: dict[str, Any] = init_settings()
    data_dir = Path(init.get("data_dir") or os.environ.get("ACCORD_DATA_DIR") or DEFAULT_DATA_DIR)
    return [p for p in (Path("accord.toml"), data_dir / "accord.toml") if p.is_file()]


def load_settings(**overrides: Any) -> Settings:
    """Build settings, dropping ``None`` overrides so that they do not mask the environment."""
    return Settings(**{k: v for k, v in overrides.items() if v is not None})
