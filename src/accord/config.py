"""Node settings: ``ACCORD_*`` environment variables, an optional ``accord.toml``, then defaults.

Settings are built once (by the CLI entry or ``create_app``) and passed down; nothing here reads
the environment at import time.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from pydantic import Field, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

DEFAULT_DATA_DIR = Path("accord-data")


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
    max_body_bytes: int = Field(default=1_048_576, ge=1024, description="Largest request body")
    max_upload_bytes: int = Field(
        default=50 * 1024**3,
        ge=1024,
        description="Largest file accepted by upload endpoints",
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
