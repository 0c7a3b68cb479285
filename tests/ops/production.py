"""The production layout of docs/production, run as it is on loopback: the environment file, the
systemd units' ``ExecStart`` lines (API processes and sandbox workers) and the nginx site, with
their ``@NAME@`` placeholders filled in; TLS with a self-signed certificate. Used by the
scale-out test and by ``bench/scale_out.py``.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import os
import re
import shlex
import ssl
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.live import free_port

DOCS = Path(__file__).resolve().parents[2] / "docs" / "production"
NGINX = Path("/usr/sbin/nginx")
PLACEHOLDER = re.compile(r"@[A-Z][A-Z0-9_]*@")
MAIN_CONF = """daemon off;
worker_processes 2;
pid {tmp}/nginx.pid;
error_log {tmp}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    include /etc/nginx/mime.types;
    access_log off;
    client_body_temp_path {tmp}/body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    include {site};
}}
"""
"""What Debian's /etc/nginx/nginx.conf provides around a site, with paths in a test folder."""


def render(name: str, values: dict[str, str]) -> str:
    """A file of docs/production with every placeholder replaced; fails on a forgotten one."""
    text = (DOCS / name).read_text()
    for key, value in values.items():
        text = text.replace(f"@{key}@", value)
    left = PLACEHOLDER.findall(text)
    if left:
        raise ValueError(f"{name}: no value for {sorted(set(left))}")
    return text


def environment(values: dict[str, str]) -> dict[str, str]:
    """The variables the environment file sets (systemd's EnvironmentFile= syntax, simple)."""
    pairs: dict[str, str] = {}
    for line in render("accord.env", values).splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            key, _, value = line.partition("=")
            pairs[key.strip()] = value.strip()
    return pairs


def exec_start(unit: str, values: dict[str, str], instance: str) -> list[str]:
    """The unit's ``ExecStart`` command with ``%i`` as systemd would expand it."""
    for line in render(unit, values).splitlines():
        if line.startswith("ExecStart="):
            return shlex.split(line.removeprefix("ExecStart=").replace("%i", instance))
    raise ValueError(f"{unit} has no ExecStart=")


def self_signed(folder: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and localhost, and its key."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    folder.mkdir(parents=True, exist_ok=True)
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    os.chmod(key_path, 0o644)  # nginx's workers drop root; the master reads it anyway
    return cert_path, key_path


@dataclass
class Deployment:
    """A node laid out as docs/production describes, on loopback ports."""

    work: Path
    database_url: str
    storage_url: str
    aws: dict[str, str]
    api_processes: int = 2
    workers: int = 2
    extra_env: dict[str, str] = field(default_factory=dict)
    values: dict[str, str] = field(default_factory=dict)
    env: dict[str, str] = field(default_factory=dict)
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)
    admin_password: str = ""

    @property
    def url(self) -> str:
        return self.values["BASE_URL"]

    @property
    def ca(self) -> str:
        return self.values["TLS_CERT"]

    def prepare(self) -> None:
        """Fill the placeholders, create the node (``accord init --demo``)."""
        cert, key = self_signed(self.work / "tls")
        https, http = free_port(), free_port()
        api_ports = [str(free_port()) for _ in range(self.api_processes)]
        self.values = {
            "DATA_DIR": str(self.work / "data"),
            "DATABASE_URL": self.database_url,
            "STORAGE_URL": self.storage_url,
            "BASE_URL": f"https://127.0.0.1:{https}",
            "AWS_ACCESS_KEY_ID": self.aws["AWS_ACCESS_KEY_ID"],
            "AWS_SECRET_ACCESS_KEY": self.aws["AWS_SECRET_ACCESS_KEY"],
            "ENV_FILE": str(self.work / "accord.env"),
            "VENV": sys.prefix,
            "SERVER_NAME": "127.0.0.1 localhost",
            "TLS_CERT": str(cert),
            "TLS_KEY": str(key),
            "HTTP_PORT": str(http),
            "HTTPS_PORT": str(https),
            "API_PORT_1": api_ports[0],
            "API_PORT_2": api_ports[-1],  # one process: the upstream names it twice
        }
        (self.work / "accord.env").write_text(render("accord.env", self.values))
        self.env = {**os.environ, **environment(self.values), **self.extra_env}
        done = subprocess.run(
            [f"{sys.prefix}/bin/accord", "--json", "init", "--demo", "--node-id", "scale"],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=600,
        )
        if done.returncode != 0:
            raise RuntimeError(f"accord init failed: {done.stderr[-2000:]}")
        self.admin_password = json.loads(done.stdout)["admin_password"] or ""

    def start(self) -> None:
        logs = self.work / "logs"
        logs.mkdir(exist_ok=True)
        ports = sorted({self.values["API_PORT_1"], self.values["API_PORT_2"]})
        for port in ports:
            command = exec_start("accord-api@.service", self.values, port)
            self._spawn(command, logs / f"api-{port}.log")
        for n in range(1, self.workers + 1):
            command = exec_start("accord-worker@.service", self.values, str(n))
            self._spawn(command, logs / f"worker-{n}.log")
        self._spawn(self._nginx(), logs / "nginx.log")
        self._wait_until_ready()

    def stop(self) -> None:
        for process in reversed(self.processes):
            if process.poll() is None:
                process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self.processes.clear()

    def accord(self, *args: str) -> subprocess.CompletedProcess[str]:
        """The ``accord`` command on this node's data dir, as the operator runs it."""
        return subprocess.run(
            [f"{sys.prefix}/bin/accord", *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=600,
        )

    def client(self, **kwargs: object) -> httpx.Client:
        trust = ssl.create_default_context(cafile=self.ca)
        return httpx.Client(base_url=self.url, verify=trust, timeout=60, **kwargs)  # type: ignore[arg-type]

    def _nginx(self) -> list[str]:
        tmp = self.work / "nginx"
        tmp.mkdir(exist_ok=True)
        for sub in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
            (tmp / sub).mkdir(exist_ok=True)
            os.chmod(tmp / sub, 0o777)
        site = tmp / "accord.conf"
        site.write_text(render("nginx-accord.conf", self.values))
        main = tmp / "nginx.conf"
        main.write_text(MAIN_CONF.format(tmp=tmp, site=site))
        return [str(NGINX), "-c", str(main), "-p", str(tmp), "-e", str(tmp / "error.log")]

    def _spawn(self, command: list[str], log: Path) -> None:
        handle = log.open("ab")
        self.processes.append(
            subprocess.Popen(command, env=self.env, stdout=handle, stderr=subprocess.STDOUT)
        )

    def _wait_until_ready(self) -> None:
        deadline = time.monotonic() + 120
        ready: set[str] = set()
        ports = {self.values["API_PORT_1"], self.values["API_PORT_2"]}
        while time.monotonic() < deadline:
            for process in self.processes:
                if process.poll() is not None:
                    raise RuntimeError(f"{process.args!r} exited: see {self.work / 'logs'}")
            for port in ports - ready:
                try:
                    if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2).is_success:
                        ready.add(port)
                except httpx.TransportError:
                    pass
            if ready == ports:
                try:
                    with self.client() as http:
                        if http.get("/readyz").is_success:
                            return
                except httpx.TransportError:
                    pass
            time.sleep(0.2)
        raise RuntimeError(f"the deployment did not become ready: see {self.work / 'logs'}")
