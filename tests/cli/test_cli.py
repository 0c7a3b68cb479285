"""The CLI: init is idempotent, commands talk to the data dir, mistakes are one line + exit 1.

Commands run in-process through the console entry (``tests.live.run_accord``); one test runs
``python -m accord`` as a program, to show the entry point itself behaves the same.
"""

from __future__ import annotations

import json
import stat
import subprocess
from pathlib import Path

import pytest

from tests.live import ACCORD, LiveNode, run_accord


def environment(data_dir: Path) -> dict[str, str]:
    return {"PATH": "/usr/bin:/bin", "HOME": str(data_dir.parent)}


def run(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run_accord(["--data-dir", str(data_dir), *args], environment(data_dir))


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("cli") / "node"
    result = run(path, "--json", "init", "--node-id", "cli-node", "--jurisdiction", "BR")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["created_identity"] and report["created_keys"]
    assert len(report["admin_password"]) >= 16
    return path


def test_init_creates_identity_keys_and_admin(data_dir: Path) -> None:
    node = json.loads((data_dir / "node.json").read_text())
    assert node["node_id"] == "cli-node" and node["jurisdiction"] == "BR"
    key = data_dir / "keys" / "node_ed25519.pem"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert stat.S_IMODE((data_dir / "keys" / "pseudonym.key").stat().st_mode) == 0o600


def test_init_again_changes_nothing(data_dir: Path) -> None:
    key_before = (data_dir / "keys" / "node_ed25519.pem").read_bytes()
    result = run(data_dir, "--json", "init", "--node-id", "other", "--jurisdiction", "DE")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert not report["created_identity"] and not report["created_keys"]
    assert report["admin_password"] is None
    assert report["node_id"] == "cli-node"
    assert (data_dir / "keys" / "node_ed25519.pem").read_bytes() == key_before


def test_org_and_user_commands(data_dir: Path) -> None:
    org = run(
        data_dir,
        "--json",
        "org",
        "add",
        "--name",
        "Brown University",
        "--country",
        "US",
        "--ror",
        "05gq02987",
    )
    assert org.returncode == 0, org.stderr
    org_id = json.loads(org.stdout)["id"]
    user = run(
        data_dir,
        "--json",
        "user",
        "add",
        "--name",
        "Ana Lima",
        "--email",
        "ana@example.org",
        "--country",
        "BR",
        "--org",
        org_id,
        "--orcid",
        "0000-0002-1825-0097",
        "--role",
        "steward",
    )
    assert user.returncode == 0, user.stderr
    assert json.loads(user.stdout)["password"]
    role = run(data_dir, "--json", "user", "role", "ana@example.org", "committee")
    assert sorted(r["role"] for r in json.loads(role.stdout)["roles"]) == ["committee", "steward"]
    accredit = run(
        data_dir,
        "--json",
        "accredit",
        "ana@example.org",
        "--kind",
        "safe-researcher",
        "--issuer",
        "ONS",
        "--issued",
        "2026-01-01",
        "--expires",
        "2027-01-01",
    )
    assert accredit.returncode == 0, accredit.stderr
    token = run(
        data_dir,
        "--json",
        "token",
        "create",
        "--name",
        "ci",
        "--user",
        "ana@example.org",
        "--days",
        "7",
    )
    created = json.loads(token.stdout)
    assert created["token"].startswith("acc_")
    revoke = run(data_dir, "--json", "token", "revoke", created["id"])
    assert json.loads(revoke.stdout)["revoked_at"]
    listed = run(data_dir, "--json", "user", "list")
    assert "ana@example.org" in listed.stdout
    suspend = run(data_dir, "user", "suspend", "ana@example.org", "--reason", "left the project")
    assert suspend.returncode == 0 and "suspended" in suspend.stdout


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (
            [
                "user",
                "add",
                "--name",
                "X",
                "--email",
                "x@example.org",
                "--country",
                "BR",
                "--orcid",
                "0000-0002-1825-0098",
            ],
            "validation",
        ),
        (
            ["user", "add", "--name", "X", "--email", "x@example.org", "--country", "XX"],
            "validation",
        ),
        (["org", "add", "--name", "X", "--country", "US", "--ror", "05gq02988"], "validation"),
        (["token", "revoke", "tok_nothing"], "identity.token-not-found"),
        (
            ["user", "suspend", "nobody@example.org", "--reason", "because"],
            "identity.user-not-found",
        ),
    ],
)
def test_mistakes_are_one_clear_line_and_exit_1(data_dir: Path, args: list[str], code: str) -> None:
    result = run(data_dir, *args)
    assert result.returncode == 1
    first = result.stderr.strip().splitlines()[0]
    assert first.startswith(f"error[{code}]: ")
    assert "Traceback" not in result.stderr


def test_duplicate_email_in_cli(data_dir: Path) -> None:
    args = ["user", "add", "--name", "D", "--email", "dup@example.org", "--country", "BR"]
    assert run(data_dir, *args).returncode == 0
    again = run(data_dir, *args)
    assert again.returncode == 1
    assert again.stderr.startswith("error[identity.duplicate-email]")


def test_usage_errors_exit_2(data_dir: Path) -> None:
    result = run(data_dir, "user", "add", "--name", "X")
    assert result.returncode == 2


def test_no_node_in_data_dir(tmp_path: Path) -> None:
    data_dir = tmp_path / "empty"
    result = subprocess.run(
        [*ACCORD, "--data-dir", str(data_dir), "user", "list"],
        capture_output=True,
        text=True,
        timeout=120,
        env=environment(data_dir),
    )
    assert result.returncode == 1
    assert result.stderr.startswith("error[node.missing]")
    assert "accord init" in result.stderr


def test_bad_jurisdiction_at_init(tmp_path: Path) -> None:
    result = run(tmp_path / "n", "init", "--jurisdiction", "Switzerland")
    assert result.returncode == 1
    assert result.stderr.startswith("error[node.invalid-identity]")
    assert not (tmp_path / "n" / "node.json").exists()


def test_remote_cli_with_token(live_node: LiveNode, tmp_path: Path) -> None:
    admin_token = json.loads(
        live_node.cli(
            "--json", "token", "create", "--name", "remote", "--user", live_node.admin_email
        ).stdout
    )["token"]
    env = environment(tmp_path / "cli")
    remote = ["--url", live_node.url, "--token", admin_token]
    listed = run_accord([*remote, "--json", "user", "list"], env)
    assert listed.returncode == 0, listed.stderr
    assert live_node.admin_email in listed.stdout
    bad = run_accord(["--url", live_node.url, "--token", "acc_wrong", "user", "list"], env)
    assert bad.returncode == 1
    assert bad.stderr.startswith("error[identity.bad-token]")
    down = run_accord(["--url", "http://127.0.0.1:9", "user", "list"], env)
    assert down.returncode == 4
    assert down.stderr.startswith("error[node-unavailable]")
