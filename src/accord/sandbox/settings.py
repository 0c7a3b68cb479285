"""Sandbox limits and worker timing (``ACCORD_SANDBOX_*``), built once per node and passed down."""

from __future__ import annotations

import threading
import weakref

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from accord.node import NodeContext
from accord.sandbox.policy import DisclosurePolicy


class SandboxSettings(BaseSettings):
    """What one job may use, and how workers look for work."""

    model_config = SettingsConfigDict(
        env_prefix="ACCORD_SANDBOX_", env_nested_delimiter="__", extra="ignore"
    )

    time_limit_seconds: float = Field(default=300.0, gt=0, description="Wall time of one query")
    memory_limit_mb: int = Field(
        default=2048, ge=64, description="Memory one query process may hold (resident)"
    )
    threads: int = Field(default=2, ge=1, le=64, description="DuckDB threads of one query")
    temp_limit_mb: int = Field(default=4096, ge=0, description="Spill space of one query")
    max_result_rows: int = Field(default=10_000, ge=1, le=1_000_000)
    max_result_columns: int = Field(default=200, ge=1, le=2000)
    poll_seconds: float = Field(
        default=0.2, gt=0, le=60, description="How often an idle worker looks for a queued job"
    )
    lease_seconds: float = Field(
        default=60.0, ge=15, description="A running job whose worker is silent this long is lost"
    )

    disclosure: DisclosurePolicy = Field(
        default=DisclosurePolicy(),
        description="The node's disclosure settings, for what an agreement's disclosure "
        "section leaves out (ACCORD_SANDBOX_DISCLOSURE__MIN_CELL_COUNT=10, …)",
    )

    @property
    def duckdb_memory_limit(self) -> str:
        """DuckDB's own buffer limit: three quarters of the process limit, the rest for Python."""
        return f"{max(32, self.memory_limit_mb * 3 // 4)}MB"


_SETTINGS: weakref.WeakKeyDictionary[NodeContext, SandboxSettings] = weakref.WeakKeyDictionary()
_LOCK = threading.Lock()


def sandbox_settings_of(node: NodeContext) -> SandboxSettings:
    """The node's sandbox settings, read from the environment once per node."""
    with _LOCK:
        settings = _SETTINGS.get(node)
        if settings is None:
            settings = _SETTINGS[node] = SandboxSettings()
        return settings


def configure_sandbox(node: NodeContext, settings: SandboxSettings) -> None:
    """Set the node's sandbox settings explicitly (embedding, tests, benchmarks)."""
    with _LOCK:
        _SETTINGS[node] = settings
