"""Real nodes for tests: ``accord init`` + ``accord serve`` as subprocesses on loopback ports."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ACCORD = [sys.executable, "-m", "accord"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class LiveNode:
    """A node served by a real uvicorn process; ``stop()`` ends it."""

    data_dir: Path
    port: int
    env: dict[str, str]
    admin_email: str = ""
    admin_password: str = ""
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def cli(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*ACCORD, "--data-dir", str(self.data_dir), *args],
            env=self.env,
            capture_output=True,
            text=True,
            check=check,
            timeout=120,
        )

    def init(self, *args: str) -> None:
        result = self.cli("--json", "init", *args)
        report = json.loads(result.stdout)
        self.admin_email = report["admin_email"] or self.admin_email
        self.admin_password = report["admin_password"] or self.admin_password

    def start(self, *serve_args: str) -> None:
        log = (self.data_dir / "serve.log").open("ab")
        self.process = subprocess.Popen(
            [
                *ACCORD,
                "--data-dir",
                str(self.data_dir),
                "serve",
                "--port",
                str(self.port),
                *serve_args,
            ],
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"node exited: {(self.data_dir / 'serve.log').read_text()}")
            try:
                if httpx.get(f"{self.url}/readyz", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        raise RuntimeError("node did not become ready in 60 s")

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def make_live_node(
    data_dir: Path, *, database_url: str | None = None, extra_env: dict[str, str] | None = None
) -> LiveNode:
    port = free_port()
    env = {**os.environ, "ACCORD_BASE_URL": f"http://127.0.0.1:{port}"}
    env.pop("ACCORD_DATA_DIR", None)
    if database_url:
        env["ACCORD_DATABASE_URL"] = database_url
    env.update(extra_env or {})
    return LiveNode(data_dir=data_dir, port=port, env=env)
