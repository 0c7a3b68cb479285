"""A peer's key rotation, as this node sees it through the peer's descriptor: the history is
accepted only from the key trusted now, through signed rotations; the peer row moves to the new
key (logged); checkpoints open with the key valid for their size, and one signed by the retired
key after its retirement is refused."""

from __future__ import annotations

import base64
import copy
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.errors import VerificationFailed
from accord.federation.models import Peer
from accord.federation.peer_keys import accept_history, open_peer_checkpoint
from accord.identity.principal import local_operator
from accord.keys import fingerprint, public_key_b64
from accord.ledger import rotation, service
from accord.ledger.checkpoint import Checkpoint, sign_checkpoint
from accord.ledger.models import LedgerCheckpoint, LedgerEntry
from accord.ledger.note import Signer, Verifier
from accord.node import NodeContext
from tests.conftest import START
from tests.ledger.test_verify import fill


def peer_row(node: NodeContext) -> Peer:
    """This very node, as a peer that added it before its rotation would hold it."""
    key = node.signing_key.public_key()
    return Peer(
        id="peer_self",
        node_id=node.identity.node_id,
        name="The rotating node",
        jurisdiction="CH",
        base_url="http://127.0.0.1:9",
        public_key=public_key_b64(key),
        fingerprint=fingerprint(key),
        log_origin=service.log_origin(node),
        log_key=Verifier(service.log_origin(node), key).vkey(),
        confirmed=True,
        suspended=False,
        added_by="operator",
        added_at=START,
    )


def descriptor(session: Session) -> dict[str, Any]:
    return {"keys": rotation.keyring(session).as_json()}


@pytest.fixture
def rotated(node: NodeContext) -> tuple[NodeContext, Peer, rotation.Rotation]:
    node.settings.log_checkpoint_entries = 10
    peer = peer_row(node)
    fill(node, 15)
    done = rotation.rotate(node, local_operator())
    fill(node, 15)
    return node, peer, done


def test_the_peer_moves_to_the_new_key_and_old_and_new_checkpoints_open(
    rotated: tuple[NodeContext, Peer, rotation.Rotation], client: TestClient
) -> None:
    node, peer, done = rotated
    with node.session() as s:
        s.add(peer)
        history = accept_history(s, peer, descriptor(s), client)
        s.commit()
        assert (peer.fingerprint, peer.public_key) == (done.new.fingerprint, done.new.key_b64)
        assert peer.log_key == service.verifier(node).vkey()
        logged = s.scalars(
            select(LedgerEntry.event_type).order_by(LedgerEntry.seq.desc()).limit(1)
        ).one()
        assert logged == "federation.peer_key.accepted"
        for row in s.scalars(select(LedgerCheckpoint)):
            assert open_peer_checkpoint(row.note, peer, history).size == row.size
        root = service.root_hash(s, 30)
    retired = Signer(service.log_origin(node), node.signing_key_for(done.old.fingerprint))
    forged = sign_checkpoint(Checkpoint(service.log_origin(node), 30, root), retired)
    with pytest.raises(VerificationFailed) as refused:
        open_peer_checkpoint(forged, peer, history)
    assert "rotated out" in refused.value.message


def test_a_second_look_changes_nothing(
    rotated: tuple[NodeContext, Peer, rotation.Rotation], client: TestClient
) -> None:
    node, peer, _ = rotated
    with node.session() as s:
        s.add(peer)
        accept_history(s, peer, descriptor(s), client)
        s.commit()
        size = service.tree_size(s)
        accept_history(s, peer, descriptor(s))  # nothing new: the log is not asked again
        assert service.tree_size(s) == size


def test_a_rotation_not_proved_in_the_peers_log_is_refused(
    rotated: tuple[NodeContext, Peer, rotation.Rotation], client: TestClient
) -> None:
    node, peer, done = rotated
    with node.session() as s:
        s.add(peer)
        s.flush()
        shown = descriptor(s)
        with pytest.raises(VerificationFailed, match="not proved in the log"):
            accept_history(s, peer, shown)  # the peer's log does not answer
        moved = copy.deepcopy(shown)
        moved["keys"][-1]["rotation"]["seq"] = done.seq - 1
        moved["keys"][0]["until_size"] -= 1
        moved["keys"][-1]["from_size"] -= 1
        with pytest.raises(VerificationFailed):
            accept_history(s, peer, moved, client)  # claims the rotation one entry earlier
        assert peer.public_key == done.old.key_b64
        s.rollback()


def forged_key(items: list[dict[str, Any]]) -> None:
    items[-1]["key"] = public_key_b64(Ed25519PrivateKey.generate().public_key())


def forged_signature(items: list[dict[str, Any]]) -> None:
    items[-1]["rotation"]["signature"] = base64.b64encode(b"\x00" * 64).decode()


def anchor_dropped(items: list[dict[str, Any]]) -> None:
    del items[0]


@pytest.mark.parametrize("forge", [forged_key, forged_signature, anchor_dropped])
def test_a_history_not_signed_by_the_trusted_key_is_refused(
    rotated: tuple[NodeContext, Peer, rotation.Rotation], forge: Any
) -> None:
    node, peer, _ = rotated
    with node.session() as s:
        s.add(peer)
        s.flush()
        shown = copy.deepcopy(descriptor(s))
        forge(shown["keys"])
        before = peer.public_key
        with pytest.raises(VerificationFailed) as refused:
            accept_history(s, peer, shown)
        assert refused.value.code == "federation.bad-key-history"
        assert peer.public_key == before
        s.rollback()
