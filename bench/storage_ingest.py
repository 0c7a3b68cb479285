"""Upload throughput through the API against the least work the same job needs.

Side by side in one run, on the same disk and the same source file:

- baseline: ``hashlib.file_digest`` over the file while copying it to a new file, then fsync;
- API: a real node (``accord serve``, one uvicorn process) takes the file as one tus PATCH
  streamed from disk by a real HTTP client (curl ``-T``), hashing, writing, fsyncing and
  renaming it into the blob store; the server's resident memory is sampled throughout.

Each is run ``--repeat`` times, interleaved, and the best run of each counts (the machine may be
shared); the RSS figure is the worst run. Prints both throughputs, the ratio (goal ≥ 0.5) and
the server's peak RSS over its baseline (goal < 250 MiB); exits 1 if a goal is missed.

    .venv/bin/python bench/storage_ingest.py [--size 1GiB] [--dir /var/tmp] [--repeat 3]
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import io
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.storage_measure import parse_size, report
from tests.storage.measure import PeakRss, make_source
from tests.storage.nodes import ServedNode, serve_node

MiB = 1024 * 1024
CURL = shutil.which("curl") or "curl"


class CopyingReader(io.RawIOBase):
    """A readable file that writes every byte it hands out to ``sink`` (the baseline's copy)."""

    def __init__(self, source: io.BufferedReader, sink: io.FileIO) -> None:
        self.source = source
        self.sink = sink

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        n = self.source.readinto(buffer)
        if n:
            self.sink.write(memoryview(buffer)[:n])
        return n or 0


def baseline(source: Path, work: Path) -> tuple[float, str]:
    target = work / "baseline.copy"
    started = time.perf_counter()
    with source.open("rb") as src, io.FileIO(target, "w") as sink:
        digest = hashlib.file_digest(CopyingReader(src, sink), "sha256").hexdigest()
        os.fsync(sink.fileno())
    elapsed = time.perf_counter() - started
    target.unlink()
    return elapsed, digest


def curl_patch(node: ServedNode, location: str, source: Path) -> str:
    """One tus PATCH with the whole file, streamed from disk by curl (``-T``); the status."""
    headers = {
        **node.headers,
        "Content-Type": "application/offset+octet-stream",
        "Upload-Offset": "0",
        "Expect": "",
    }
    cmd = [CURL, "--silent", "--show-error", "--request", "PATCH", "--upload-file", str(source)]
    for name, value in headers.items():
        cmd += ["--header", f"{name}: {value}" if value else f"{name}:"]
    cmd += ["--output", "/dev/null", "--write-out", "%{http_code}", f"{node.url}{location}"]
    return subprocess.run(cmd, capture_output=True, text=True, check=True).stdout


def through_api(node: ServedNode, source: Path, sha256: str) -> tuple[float, int]:
    """Seconds from creating the upload to its verified completion; server RSS growth."""
    size = source.stat().st_size
    meta = f"sha256 {base64.b64encode(sha256.encode()).decode()}"
    with httpx.Client(base_url=node.url, headers=node.headers, timeout=600) as http:
        with PeakRss(node.pid) as rss:
            started = time.perf_counter()
            created = http.post(
                "/api/v1/uploads",
                headers={"Upload-Length": str(size), "Upload-Metadata": meta},
            )
            status = curl_patch(node, created.headers["location"], source)
            elapsed = time.perf_counter() - started
        assert status == "204", status
        state = http.get(created.headers["location"]).json()
        assert state["sha256"] == sha256, state
        http.delete(created.headers["location"])
    return elapsed, rss.peak - rss.baseline


def clear_blobs(data_dir: Path) -> None:
    """Remove the stored blob so that the next run writes it again (no dedup shortcut)."""
    for path in (data_dir / "blobs" / "sha256").rglob("*"):
        if path.is_file():
            path.unlink()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=parse_size, default=parse_size("1GiB"))
    parser.add_argument("--dir", type=Path, default=Path(tempfile.gettempdir()))
    parser.add_argument("--repeat", type=int, default=3, help="interleaved runs; best counts")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="accord-ingest-", dir=args.dir))
    try:
        source = work / "source.bin"
        sha256 = make_source(source, args.size)
        node = serve_node(work / "node", f"sqlite:///{work / 'node.db'}", {})
        try:
            runs = []
            for _ in range(args.repeat):
                base_s, base_digest = baseline(source, work)
                assert base_digest == sha256
                runs.append((base_s, *through_api(node, source, sha256)))
                clear_blobs(work / "node")
        finally:
            node.live.stop()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    base_s = min(r[0] for r in runs)
    api_s = min(r[1] for r in runs)
    rss = max(r[2] for r in runs)
    return report(
        "storage ingest",
        args.size,
        ("baseline (file_digest + copy + fsync)", base_s),
        ("API (tus PATCH to accord serve)", api_s),
        ratio_goal=0.5,
        rss_over_baseline=rss,
    )


if __name__ == "__main__":
    raise SystemExit(main())
