"""Real nodes for tests: ``accord init`` in this process, ``accord serve`` as a subprocess on a
loopback port.

``accord`` commands for a node (``LiveNode.init``, ``LiveNode.cli``) run in-process through the
console entry point (:func:`run_accord`): the same exit codes and one-line errors as a
subprocess, without a new interpreter importing the whole node for each command. Serving stays
a real process. A node initialised with ``--demo`` is a copy of demo content seeded once per
test process (decision 0020).
"""

from __future__ import annotations

import contextvars
import io
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from accord.cli.main import main as accord_main

ACCORD = [sys.executable, "-m", "accord"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def run_accord(args: Sequence[str], env: Mapping[str, str]) -> subprocess.CompletedProcess[str]:
    """``accord *args`` in this process with ``env`` as its whole environment: what the console
    entry does (exit code, output, one-line errors on stderr) as ``subprocess.run`` reports it."""
    out, err = io.StringIO(), io.StringIO()
    saved_env, saved_argv = dict(os.environ), sys.argv
    code = 0
    try:
        os.environ.clear()
        os.environ.update(env)
        sys.argv = ["accord", *args]
        with redirect_stdout(out), redirect_stderr(err):
            try:
                contextvars.copy_context().run(accord_main)  # the CLI's language stays its own
            except SystemExit as done:
                code = done.code if isinstance(done.code, int) else 0 if done.code is None else 1
    finally:
        os.environ.clear()
        os.environ.update(saved_env)
        sys.argv = saved_argv
    return subprocess.CompletedProcess([*ACCORD, *args], code, out.getvalue(), err.getvalue())


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

    def cli(
        self, *args: str, check: bool = True, program: bool = False
    ) -> subprocess.CompletedProcess[str]:
        """``accord --data-dir <node> *args``, in-process; ``program=True`` runs it as its own
        process, out of sight of the test process's checks (the every-change-is-logged guard)."""
        command = ["--data-dir", str(self.data_dir), *args]
        if program:
            return subprocess.run(
                [*ACCORD, *command],
                env=self.env,
                capture_output=True,
                text=True,
                check=check,
                timeout=120,
            )
        result = run_accord(command, self.env)
        if check:
            result.check_returncode()
        return result

    def init(self, *args: str) -> None:
        if "--demo" in args and _DEMO.copy_into(self, args):
            return
        result = self.cli("--json", "init", *args)
        self._note_admin(json.loads(result.stdout))

    def start(self, *serve_args: str) -> None:
        self.launch(*serve_args)
        self.wait_until_ready()

    def launch(self, *serve_args: str) -> None:
        """Start ``accord serve`` without waiting for it (several nodes start side by side)."""
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

    def wait_until_ready(self, patience: float = 300) -> None:
        """Wait while the process runs and does not answer yet (long on a busy machine)."""
        assert self.process is not None, "launch() first"
        deadline = time.monotonic() + patience
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"node exited: {(self.data_dir / 'serve.log').read_text()}")
            try:
                if httpx.get(f"{self.url}/readyz", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"node did not become ready in {patience:.0f} s")

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def serving(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def move_to(self, port: int) -> None:
        """Serve on ``port`` (before ``start``): the base URL follows."""
        self.port = port
        self.env["ACCORD_BASE_URL"] = self.url

    def _note_admin(self, report: Mapping[str, Any]) -> None:
        self.admin_email = report["admin_email"] or self.admin_email
        self.admin_password = report["admin_password"] or self.admin_password


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


@dataclass
class _Seeded:
    """A data dir seeded with ``accord init --demo`` for nodes served on ``port``."""

    data_dir: Path
    port: int
    report: dict[str, Any]
    copies: list[LiveNode] = field(default_factory=list)


class _DemoTemplates:
    """Demo data dirs seeded once per test process, copied for each node that asks for one.

    Demo content holds the node's base URL (the log's origin in signed checkpoints, the signed
    transparency report), so a copy is served on the port its template was seeded for; when
    that port is taken (another copy still serving, or another program), the node is seeded
    afresh instead. Only SQLite nodes in their data dir are copied.
    """

    def __init__(self) -> None:
        self._root: tempfile.TemporaryDirectory[str] | None = None
        self._seeded: dict[tuple[object, ...], _Seeded] = {}

    def copy_into(self, live: LiveNode, args: Sequence[str]) -> bool:
        if live.data_dir.exists() or "ACCORD_DATABASE_URL" in live.env:
            return False
        key = _template_key(live, args)
        seeded = self._seeded.get(key) or self._seed(key, live, args)
        if any(c.serving() for c in seeded.copies) or not _bindable(seeded.port):
            return False
        shutil.copytree(seeded.data_dir, live.data_dir)
        live.move_to(seeded.port)
        live._note_admin(seeded.report)
        seeded.copies.append(live)
        return True

    def _seed(self, key: tuple[object, ...], live: LiveNode, args: Sequence[str]) -> _Seeded:
        if self._root is None:
            self._root = tempfile.TemporaryDirectory(prefix="accord-demo-")
        folder = Path(self._root.name) / str(len(self._seeded)) / live.data_dir.name
        port = free_port()
        env = {**live.env, "ACCORD_BASE_URL": f"http://127.0.0.1:{port}"}
        result = run_accord(["--data-dir", str(folder), "--json", "init", *args], env)
        result.check_returncode()
        seeded = _Seeded(folder, port, json.loads(result.stdout))
        self._seeded[key] = seeded
        return seeded


def _template_key(live: LiveNode, args: Sequence[str]) -> tuple[object, ...]:
    """What decides a seeded data dir: the arguments, the default node id (the data dir's
    name) and the node's settings other than its URL."""
    settings = {k: v for k, v in live.env.items() if k.startswith("ACCORD_")}
    settings.pop("ACCORD_BASE_URL", None)
    return (tuple(args), live.data_dir.name, tuple(sorted(settings.items())))


def _bindable(port: int) -> bool:
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


_DEMO = _DemoTemplates()
