"""What a domain hands to the ledger: one ``Event`` per state change."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

JSONValue = Any


@dataclass(frozen=True)
class Event:
    """A state change to log.

    - ``type``: ``<domain>.<noun>.<past participle>`` (``identity.user.created``).
    - ``subjects``: role → person id (``{"actor": "usr_…", "user": "usr_…"}``); the log shows
      only keyed pseudonyms of these ids.
    - ``public``: fields safe to publish (object ids, tiers, codes; no free text, no personal data).
    - ``record``: the full private record; the log carries only its SHA-256 digest.
    """

    type: str
    subjects: Mapping[str, str] = field(default_factory=dict)
    public: Mapping[str, JSONValue] = field(default_factory=dict)
    record: Mapping[str, JSONValue] = field(default_factory=dict)
