"""Opaque, sortable, kind-prefixed ids (``usr_01J…``): a ULID after the prefix."""

from __future__ import annotations

from ulid import ULID


def new_id(prefix: str) -> str:
    """A new id such as ``ds_01JD3…``; lexicographic order follows creation time."""
    return f"{prefix}_{ULID()}"


def has_prefix(value: str, prefix: str) -> bool:
    return value.startswith(f"{prefix}_") and len(value) == len(prefix) + 27
