"""The backup manifest is signed with the node key: verify checks the signature, the signer
against the sealed key (with the passphrase) and against a pinned fingerprint (``--key``); a
backup taken after a key rotation carries the retired key and restores to a verifying log."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from accord.config import Settings
from accord.errors import VerificationFailed
from accord.identity.principal import local_operator
from accord.keys import RETIRED_DIR, fingerprint
from accord.ledger import rotation
from accord.node import NodeContext, write_identity
from accord.ops.backup import MANIFEST, create_backup, sign_manifest, verify_backup
from tests.conftest import START
from tests.ledger.test_verify import fill
from tests.ops.test_backup import PASSPHRASE, accord


@pytest.fixture
def backup(node: NodeContext, tmp_path: Path) -> Path:
    write_identity(node.settings.data_dir, node.identity)
    fill(node, 5)
    dest = tmp_path / "backup"
    create_backup(node.settings, dest, PASSPHRASE, START)
    return dest


def rewrite(dest: Path, change: dict[str, object]) -> None:
    manifest = json.loads((dest / MANIFEST).read_text())
    manifest.update(change)
    (dest / MANIFEST).chmod(0o600)
    (dest / MANIFEST).write_text(json.dumps(manifest))


def test_the_manifest_is_signed_by_the_node_key(node: NodeContext, backup: Path) -> None:
    own = fingerprint(node.signing_key.public_key())
    manifest = json.loads((backup / MANIFEST).read_text())
    assert manifest["signature"]["fingerprint"] == own
    summary = verify_backup(backup, PASSPHRASE, own)
    assert summary.key_fingerprint == own
    code, output = accord(
        Settings(data_dir=backup.parent / "x"), "backup", "verify", str(backup), "--key", own
    )
    assert code == 0 and own in output


def test_a_changed_manifest_fails_its_signature(backup: Path) -> None:
    rewrite(backup, {"created_at": "2020-01-01T00:00:00Z"})
    with pytest.raises(VerificationFailed) as failed:
        verify_backup(backup)
    assert failed.value.code == "backup.bad-signature"
    code, output = accord(Settings(data_dir=backup.parent / "x"), "backup", "verify", str(backup))
    assert code == 3 and "signature does not verify" in output


def test_a_manifest_resigned_by_another_key_is_caught(backup: Path) -> None:
    manifest = json.loads((backup / MANIFEST).read_text())
    stranger = Ed25519PrivateKey.generate()
    rewrite(backup, {"signature": sign_manifest(stranger, manifest)})
    verify_backup(backup)  # self-consistent, so only a trusted key can tell
    with pytest.raises(VerificationFailed, match="sealed in the backup"):
        verify_backup(backup, PASSPHRASE)
    with pytest.raises(VerificationFailed) as failed:
        verify_backup(backup, None, "SHA256:somethingelse")
    assert failed.value.code == "backup.wrong-key"


def test_an_unsigned_manifest_is_refused(backup: Path) -> None:
    manifest = json.loads((backup / MANIFEST).read_text())
    del manifest["signature"]
    (backup / MANIFEST).chmod(0o600)
    (backup / MANIFEST).write_text(json.dumps(manifest))
    with pytest.raises(VerificationFailed, match="signature"):
        verify_backup(backup)


def test_a_backup_after_rotation_keeps_the_retired_key_and_restores(
    node: NodeContext, tmp_path: Path
) -> None:
    write_identity(node.settings.data_dir, node.identity)
    fill(node, 5)
    done = rotation.rotate(node, local_operator())
    fill(node, 5)
    dest = tmp_path / "rotated"
    assert create_backup(node.settings, dest, PASSPHRASE, START).key_fingerprint == (
        done.new.fingerprint
    )
    if not node.settings.resolved_database_url.startswith("sqlite"):
        return  # the PostgreSQL restore path is covered by test_backup
    restored = Settings(data_dir=tmp_path / "restored")
    code, output = accord(restored, "backup", "restore", str(dest))
    assert code == 0, output
    assert len(list((restored.keys_dir / RETIRED_DIR).glob("*.pem"))) == 1
    code, output = accord(restored, "log", "verify")
    assert code == 0, output
