"""node's ``oidc-provider`` as a real OpenID Provider on a loopback port (see provider.mjs).

``scripts/test.sh`` installs the package into ``.cache/oidc``; without node or the package the
tests that need the provider are skipped with the reason.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import httpx
import pytest

from tests.live import free_port

ROOT = Path(__file__).resolve().parents[3]
SCRIPT = Path(__file__).with_name("provider.mjs")
ENTRY = ROOT / ".cache" / "oidc" / "node_modules" / "oidc-provider" / "lib" / "index.js"
ACTION = re.compile(r'action="([^"]+)"')
HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)"')


@dataclass
class RealProvider:
    url: str
    process: subprocess.Popen[bytes]
    log: Path
    accounts: Path
    browser: httpx.Client = field(default_factory=lambda: httpx.Client(timeout=10))

    def stop(self) -> None:
        self.browser.close()
        self.process.terminate()
        self.process.wait(timeout=10)

    def set_claims(self, login: str, claims: dict[str, Any]) -> None:
        """What the provider says about ``login`` from its next sign-in on."""
        accounts = json.loads(self.accounts.read_text())
        accounts[login] = claims
        self.accounts.write_text(json.dumps(accounts))

    def log_in(self, authorization_url: str, login: str, redirect_prefix: str) -> str:
        """Play the person at the provider's pages; return the redirect back to the node."""
        self.browser.cookies.clear()
        url = authorization_url
        for _ in range(10):
            response = self.browser.get(url)
            while response.status_code == 200 and "<form" in response.text:
                action = urljoin(str(response.url), ACTION.search(response.text).group(1))
                fields = dict(HIDDEN.findall(response.text))
                if 'name="login"' in response.text:
                    fields |= {"login": login, "password": "any"}
                response = self.browser.post(action, data=fields)
            location = response.headers.get("location", "")
            if location.startswith(redirect_prefix):
                return location
            if not location:
                raise AssertionError(
                    f"the provider stopped at {response.status_code}: {response.text[-1500:]}"
                )
            url = urljoin(str(response.url), location)
        raise AssertionError("the provider never redirected back")


def start_provider(
    tmp: Path, clients: list[dict[str, Any]], accounts: dict[str, dict[str, Any]]
) -> RealProvider:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed: the real OpenID Provider cannot run")
    if not ENTRY.exists():
        pytest.skip("oidc-provider is not installed in .cache/oidc (scripts/test.sh installs it)")
    port = free_port()
    log = tmp / "provider.log"
    accounts_file = tmp / "accounts.json"
    accounts_file.write_text(json.dumps(accounts))
    env = {
        **os.environ,
        "PORT": str(port),
        "OIDC_PROVIDER_ENTRY": str(ENTRY),
        "OIDC_CLIENTS": json.dumps(clients),
        "OIDC_ACCOUNTS_FILE": str(accounts_file),
        "NODE_ENV": "development",
    }
    process = subprocess.Popen(
        [node, str(SCRIPT)], env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the provider exited: {log.read_text()}")
        try:
            if httpx.get(f"{url}/.well-known/openid-configuration", timeout=1).status_code == 200:
                return RealProvider(url, process, log, accounts_file)
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    process.terminate()
    raise RuntimeError(f"the provider did not start in 30 s: {log.read_text()}")
