"""Download throughput through the API against nginx serving the same file on loopback.

Side by side in one run, with the same real HTTP client (curl, writing to /dev/null, so the
client is not what limits either figure):

- baseline: Debian's nginx (``/usr/sbin/nginx``; ``apt-get install -y nginx``), run in the
  foreground with a config in a temporary folder on a free loopback port, ``sendfile on``,
  serving the file from disk;
- API: a real node (``accord serve``, one uvicorn process) serving the same bytes as a blob via
  ``GET /api/v1/uploads/{id}/content`` (``blob_response``: ETag, ranges, streamed reads).

Each is run ``--repeat`` times, interleaved, and the best run of each counts (the machine may be
shared). Prints both throughputs and the ratio (goal ≥ 0.3); exits 1 if it is missed.

    .venv/bin/python bench/storage_download.py [--size 1GiB] [--dir /var/tmp] [--repeat 3]
"""

from __future__ import annotations

import argparse
import base64
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.storage_measure import parse_size, report
from tests.live import free_port
from tests.storage.measure import make_source
from tests.storage.nodes import ServedNode, serve_node

MiB = 1024 * 1024
NGINX = Path("/usr/sbin/nginx")
CURL = shutil.which("curl") or "curl"
NGINX_CONF = """daemon off;
worker_processes 1;
pid {tmp}/nginx.pid;
error_log {tmp}/error.log warn;
events {{ worker_connections 64; }}
http {{
    access_log off;
    sendfile on;
    tcp_nopush on;
    default_type application/octet-stream;
    client_body_temp_path {tmp}/body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    server {{
        listen 127.0.0.1:{port};
        root {root};
    }}
}}
"""


def download(url: str, headers: dict[str, str] | None = None) -> tuple[float, int]:
    """Seconds for curl to fetch ``url`` to /dev/null, and the number of bytes it received."""
    cmd = [CURL, "--silent", "--show-error", "--fail", "--output", "/dev/null"]
    for name, value in (headers or {}).items():
        cmd += ["--header", f"{name}: {value}"]
    cmd += ["--write-out", "%{size_download} %{time_total}", url]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout.split()
    return float(out[1]), int(out[0])


@contextmanager
def nginx_serving(root: Path, work: Path) -> Iterator[str]:
    if not NGINX.exists():
        raise SystemExit("nginx is missing: apt-get install -y nginx")
    tmp = work / "nginx"
    tmp.mkdir()
    port = free_port()
    conf = tmp / "nginx.conf"
    conf.write_text(NGINX_CONF.format(tmp=tmp, port=port, root=root))
    process = subprocess.Popen(
        [str(NGINX), "-c", str(conf), "-p", str(tmp), "-e", str(tmp / "e.log")]
    )
    try:
        url = f"http://127.0.0.1:{port}"
        _wait_until_up(url, process)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


def _wait_until_up(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit("nginx exited at start")
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.05)
    raise SystemExit("nginx did not start")


def upload(node: ServedNode, source: Path, sha256: str) -> str:
    """Send the file through tus; returns the content URL of the completed upload."""
    size = source.stat().st_size
    meta = f"sha256 {base64.b64encode(sha256.encode()).decode()}"
    with httpx.Client(base_url=node.url, headers=node.headers, timeout=600) as http:
        created = http.post(
            "/api/v1/uploads", headers={"Upload-Length": str(size), "Upload-Metadata": meta}
        )
        location = created.headers["location"]
        with source.open("rb") as handle:
            sent = http.patch(
                location,
                headers={
                    "Content-Type": "application/offset+octet-stream",
                    "Content-Length": str(size),
                    "Upload-Offset": "0",
                },
                content=iter(lambda: handle.read(MiB), b""),
            )
        assert sent.status_code == 204, sent.text
    return f"{node.url}{location}/content"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=parse_size, default=parse_size("1GiB"))
    parser.add_argument("--dir", type=Path, default=Path(tempfile.gettempdir()))
    parser.add_argument("--repeat", type=int, default=3, help="interleaved runs; best counts")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="accord-download-", dir=args.dir))
    try:
        root = work / "www"
        root.mkdir()
        sha256 = make_source(root / "file.bin", args.size)
        for readable in (work, root, root / "file.bin"):  # nginx's workers drop root
            readable.chmod(0o755 if readable.is_dir() else 0o644)
        node = serve_node(work / "node", f"sqlite:///{work / 'node.db'}", {})
        try:
            content = upload(node, root / "file.bin", sha256)
            with nginx_serving(root, work) as nginx:
                download(f"{nginx}/file.bin")  # warm the page cache for both
                runs = [
                    (download(f"{nginx}/file.bin"), download(content, headers=node.headers))
                    for _ in range(args.repeat)
                ]
            nginx_s, nginx_n = min(r[0] for r in runs)
            api_s, api_n = min(r[1] for r in runs)
            tail = httpx.get(content, headers={**node.headers, "Range": "bytes=-4096"})
            assert tail.status_code == 206
            assert tail.content == (root / "file.bin").read_bytes()[-4096:]
        finally:
            node.live.stop()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    assert nginx_n == api_n == args.size, (nginx_n, api_n)
    return report(
        "storage download",
        args.size,
        ("nginx (sendfile, same file, loopback)", nginx_s),
        ("API (GET …/content from accord serve)", api_s),
        ratio_goal=0.3,
    )


if __name__ == "__main__":
    raise SystemExit(main())
