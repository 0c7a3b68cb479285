"""Transparency ledger: every state change of the node, in a verifiable Merkle log."""

from accord.ledger.events import Event
from accord.ledger.service import append

__all__ = ["Event", "append"]
