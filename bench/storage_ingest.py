"""Upload throughput through the API against the least work the same job needs.

Side by side in one run, on the same disk and the same source file:

- baseline: ``hashlib.file_digest`` over the file while copying it to a new file, then fsync;
- API: a real node (``accord serve``, one uvicorn process) takes the file as one tus PATCH
  streamed by a real HTTP client (httpx), hashing, writing, fsyncing and renaming it into the
  blob store; the server's resident memory is sampled throughout.

Prints both throughputs, the ratio (goal ≥ 0.5) and the server's peak RSS over its baseline
(goal < 250 MiB); exits 1 if a goal is missed.

    .venv/bin/python bench/storage_ingest.py [--size 1GiB] [--dir /var/tmp]
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import io
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.storage_measure import PeakRss, make_source, parse_size, report
from tests.storage.nodes import serve_node

MiB = 1024 * 1024


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


def file_chunks(path: Path) -> Iterator[bytes]:
    with path.open("rb") as handle:
        while chunk := handle.read(MiB):
            yield chunk


def through_api(source: Path, work: Path, sha256: str) -> tuple[float, int]:
    size = source.stat().st_size
    node = serve_node(work / "node", f"sqlite:///{work / 'node.db'}", {})
    try:
        meta = f"sha256 {base64.b64encode(sha256.encode()).decode()}"
        with httpx.Client(base_url=node.url, headers=node.headers, timeout=600) as http:
            warm = http.post("/api/v1/uploads", headers={"Upload-Length": "0"})
            assert warm.status_code == 201, warm.text
            with PeakRss(node.pid) as rss:
                started = time.perf_counter()
                created = http.post(
                    "/api/v1/uploads",
                    headers={"Upload-Length": str(size), "Upload-Metadata": meta},
                )
                sent = http.patch(
                    created.headers["location"],
                    headers={
                        "Content-Type": "application/offset+octet-stream",
                        "Content-Length": str(size),
                        "Upload-Offset": "0",
                    },
                    content=file_chunks(source),
                )
                elapsed = time.perf_counter() - started
            assert sent.status_code == 204, sent.text
            state = http.get(created.headers["location"]).json()
            assert state["sha256"] == sha256, state
        return elapsed, rss.peak - rss.baseline
    finally:
        node.live.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=parse_size, default=parse_size("1GiB"))
    parser.add_argument("--dir", type=Path, default=Path(tempfile.gettempdir()))
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="accord-ingest-", dir=args.dir))
    try:
        source = work / "source.bin"
        sha256 = make_source(source, args.size)
        base_s, base_digest = baseline(source, work)
        assert base_digest == sha256
        api_s, rss = through_api(source, work, sha256)
    finally:
        shutil.rmtree(work, ignore_errors=True)
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
