"""Rows the in-process federation tests seed: a peer that is never reachable."""

from __future__ import annotations

from datetime import datetime

from accord.federation.models import Peer


def unreachable_peer(now: datetime) -> Peer:
    """An active peer, ``peer_far`` in NZ, whose address refuses every connection."""
    return Peer(
        id="peer_far",
        node_id="far",
        name="Far node",
        jurisdiction="NZ",
        base_url="http://127.0.0.1:9",
        public_key="AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
        fingerprint="SHA256:far",
        log_origin="far/log",
        log_key="far/log+00000000+AAAA",
        confirmed=True,
        suspended=False,
        added_by="operator",
        added_at=now,
    )
