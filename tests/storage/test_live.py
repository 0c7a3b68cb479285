"""A real node (``accord serve``) on SQLite and PostgreSQL: big files with flat server memory,
interrupted uploads resumed with tuspy (a real tus client), and the S3 store end to end.
"""

from __future__ import annotations

import hashlib
import os
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from tusclient import client as tus_client

from tests.storage.measure import PeakRss, make_source
from tests.storage.nodes import ServedNode, serve_node

pytestmark = pytest.mark.slow

MiB = 1024 * 1024
BIG = 200 * MiB
RSS_BOUND = 250 * MiB


def file_chunks(path: Path, start: int = 0) -> Iterator[bytes]:
    with path.open("rb") as handle:
        handle.seek(start)
        while chunk := handle.read(MiB):
            yield chunk


def create_upload(node: ServedNode, size: int, sha256: str) -> str:
    import base64

    answer = httpx.post(
        f"{node.url}/api/v1/uploads",
        headers={
            **node.headers,
            "Upload-Length": str(size),
            "Upload-Metadata": f"sha256 {base64.b64encode(sha256.encode()).decode()}",
        },
    )
    assert answer.status_code == 201, answer.text
    return f"{node.url}{answer.headers['location']}"


def test_a_200_mib_file_goes_up_and_down_while_server_memory_stays_flat(
    served: ServedNode, tmp_path: Path
) -> None:
    source = tmp_path / "big.bin"
    sha256 = make_source(source, BIG)
    url = create_upload(served, BIG, sha256)
    with PeakRss(served.pid) as rss, httpx.Client(timeout=120) as http:
        sent = http.patch(
            url,
            headers={
                **served.headers,
                "Content-Type": "application/offset+octet-stream",
                "Content-Length": str(BIG),
                "Upload-Offset": "0",
            },
            content=file_chunks(source),
        )
        assert sent.status_code == 204, sent.text
        received = hashlib.sha256()
        size = 0
        with http.stream("GET", f"{url}/content", headers=served.headers) as download:
            assert download.status_code == 200
            assert download.headers["etag"] == f'"{sha256}"'
            for chunk in download.iter_bytes():
                received.update(chunk)
                size += len(chunk)
    assert (size, received.hexdigest()) == (BIG, sha256)
    assert rss.peak - rss.baseline < RSS_BOUND, (rss.baseline, rss.peak)


def test_an_interrupted_upload_is_resumed_with_tuspy(served: ServedNode, tmp_path: Path) -> None:
    source = tmp_path / "resumable.bin"
    size = 6 * MiB
    sha256 = make_source(source, size)
    client = tus_client.TusClient(
        f"{served.url}/api/v1/uploads", headers={"Authorization": served.headers["Authorization"]}
    )
    first = client.uploader(
        str(source), chunk_size=2 * MiB, metadata={"filename": "run/1.bin", "sha256": sha256}
    )
    first.upload(stop_at=2 * MiB)
    assert first.offset == 2 * MiB
    url = first.url
    assert url is not None

    cut_connection_midway(served, url, offset=2 * MiB, source=source, sent=MiB + MiB // 2)
    kept = wait_for_offset_change(served, url, 2 * MiB)
    assert kept == 3 * MiB + MiB // 2  # the bytes that arrived before the cut were kept

    resumed = client.uploader(str(source), url=url, chunk_size=2 * MiB, retries=5, retry_delay=0.2)
    assert resumed.offset == kept
    resumed.upload()
    state = httpx.get(url, headers=served.headers).json()
    assert (state["state"], state["sha256"], state["filename"]) == ("complete", sha256, "run/1.bin")


def cut_connection_midway(
    node: ServedNode, url: str, *, offset: int, source: Path, sent: int
) -> None:
    """A PATCH that announces the rest of the file, sends ``sent`` bytes, and hangs up."""
    path = url.removeprefix(node.url)
    remaining = source.stat().st_size - offset
    head = (
        f"PATCH {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        f"Authorization: {node.headers['Authorization']}\r\nTus-Resumable: 1.0.0\r\n"
        f"Content-Type: application/offset+octet-stream\r\nUpload-Offset: {offset}\r\n"
        f"Content-Length: {remaining}\r\n\r\n"
    ).encode()
    with source.open("rb") as handle, socket.create_connection(("127.0.0.1", node.live.port)) as s:
        handle.seek(offset)
        s.sendall(head + handle.read(sent))
        s.shutdown(socket.SHUT_WR)


def wait_for_offset_change(node: ServedNode, url: str, old: int) -> int:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        head = httpx.head(url, headers=node.headers)
        if int(head.headers["upload-offset"]) != old:
            return int(head.headers["upload-offset"])
        time.sleep(0.05)
    raise AssertionError("the server never recorded the bytes of the cut request")


@pytest.fixture
def served_on_s3(tmp_path: Path, s3_url: str) -> Iterator[ServedNode]:
    env = {"ACCORD_STORAGE_URL": s3_url, **{k: os.environ[k] for k in _aws_names()}}
    node = serve_node(tmp_path / "node", f"sqlite:///{tmp_path / 'node.db'}", env)
    yield node
    node.live.stop()


def _aws_names() -> list[str]:
    return ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION"]


def test_a_node_on_s3_takes_and_serves_files(served_on_s3: ServedNode, tmp_path: Path) -> None:
    source = tmp_path / "s3.bin"
    size = 12 * MiB
    sha256 = make_source(source, size)
    client = tus_client.TusClient(
        f"{served_on_s3.url}/api/v1/uploads",
        headers={"Authorization": served_on_s3.headers["Authorization"]},
    )
    uploader = client.uploader(str(source), chunk_size=5 * MiB, metadata={"sha256": sha256})
    uploader.upload()
    content = f"{uploader.url}/content"
    whole = httpx.get(content, headers=served_on_s3.headers, timeout=60)
    assert hashlib.sha256(whole.content).hexdigest() == sha256
    tail = httpx.get(content, headers={**served_on_s3.headers, "Range": "bytes=-1000"})
    assert (tail.status_code, tail.content) == (206, source.read_bytes()[-1000:])
    assert not list((served_on_s3.live.data_dir / "uploads").iterdir())
