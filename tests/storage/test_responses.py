"""Byte access over HTTP: RFC 9110 single ranges, 416 problems, ETag, 304, Content-Disposition."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import unquote

import pytest
from fastapi import FastAPI, Request
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st
from starlette.responses import Response

from accord.storage.blobs import BlobInfo, LocalBlobStore
from accord.storage.ingest import ingest_chunks
from accord.storage.responses import (
    ByteRange,
    Unsatisfiable,
    blob_response,
    content_disposition,
    parse_range,
)

DATA = bytes(range(256)) * 40  # 10240 bytes
SIZE = len(DATA)
DIGEST = hashlib.sha256(DATA).hexdigest()
ETAG = f'"{DIGEST}"'


@pytest.fixture
def http(tmp_path: Path) -> Iterator[TestClient]:
    """A bare app whose one route serves one blob through ``blob_response``."""

    store = LocalBlobStore(tmp_path / "blobs")
    blobs = {
        "data": ingest_chunks(store, [DATA]),
        "empty": ingest_chunks(store, [b""]),
    }
    app = FastAPI()

    @app.api_route("/files/{name}", methods=["GET", "HEAD"])
    def download(name: str, request: Request) -> Response:
        blob: BlobInfo = blobs[name]
        return blob_response(
            request, store, blob, media_type="text/csv", filename="dir/Résumé «final».csv"
        )

    with TestClient(app) as client:
        yield client


def test_the_whole_file_with_its_etag_and_headers(http: TestClient) -> None:
    answer = http.get("/files/data")
    assert answer.status_code == 200
    assert answer.content == DATA
    assert answer.headers["etag"] == ETAG
    assert answer.headers["accept-ranges"] == "bytes"
    assert answer.headers["content-length"] == str(SIZE)
    assert answer.headers["content-type"].startswith("text/csv")
    assert "content-range" not in answer.headers


@pytest.mark.parametrize(
    ("header", "start", "end"),
    [
        ("bytes=0-99", 0, 99),  # first bytes
        ("bytes=0-0", 0, 0),
        ("bytes=-500", SIZE - 500, SIZE - 1),  # suffix
        ("bytes=-99999", 0, SIZE - 1),  # suffix longer than the file
        ("bytes=10000-", 10000, SIZE - 1),  # open-ended
        ("bytes=100-99999", 100, SIZE - 1),  # last beyond the end
        ("bytes=5000-5000", 5000, 5000),
    ],
)
def test_single_ranges_are_206(http: TestClient, header: str, start: int, end: int) -> None:
    answer = http.get("/files/data", headers={"Range": header})
    assert answer.status_code == 206
    assert answer.content == DATA[start : end + 1]
    assert answer.headers["content-range"] == f"bytes {start}-{end}/{SIZE}"
    assert answer.headers["content-length"] == str(end - start + 1)
    assert answer.headers["etag"] == ETAG


@pytest.mark.parametrize(
    ("name", "header"),
    [
        ("data", f"bytes={SIZE}-"),
        ("data", f"bytes={SIZE + 5}-{SIZE + 10}"),
        ("data", "bytes=-0"),
        ("empty", "bytes=0-"),
        ("empty", "bytes=-5"),
    ],
)
def test_unsatisfiable_ranges_are_a_416_problem(http: TestClient, name: str, header: str) -> None:
    answer = http.get(f"/files/{name}", headers={"Range": header})
    size = SIZE if name == "data" else 0
    assert answer.status_code == 416
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.headers["content-range"] == f"bytes */{size}"
    problem = answer.json()
    assert problem["type"] == "/problems/storage.range-not-satisfiable"
    assert problem["status"] == 416


@pytest.mark.parametrize(
    "header",
    ["bytes=0-1,5-6", "items=0-5", "bytes=abc", "bytes=9-3", "bytes=-", "0-5"],
)
def test_ranges_we_do_not_serve_give_the_whole_file(http: TestClient, header: str) -> None:
    answer = http.get("/files/data", headers={"Range": header})
    assert answer.status_code == 200
    assert answer.content == DATA


def test_if_none_match_with_the_etag_is_304(http: TestClient) -> None:
    for header in (ETAG, f"W/{ETAG}", f'"other", {ETAG}', "*"):
        answer = http.get("/files/data", headers={"If-None-Match": header})
        assert answer.status_code == 304
        assert answer.content == b""
        assert answer.headers["etag"] == ETAG
    assert http.get("/files/data", headers={"If-None-Match": '"other"'}).status_code == 200


def test_if_range_with_a_stale_etag_sends_the_whole_file(http: TestClient) -> None:
    current = http.get("/files/data", headers={"Range": "bytes=0-9", "If-Range": ETAG})
    assert current.status_code == 206
    stale = http.get("/files/data", headers={"Range": "bytes=0-9", "If-Range": '"old"'})
    assert (stale.status_code, stale.content) == (200, DATA)


def test_head_sends_headers_only(http: TestClient) -> None:
    answer = http.head("/files/data", headers={"Range": "bytes=10-19"})
    assert answer.status_code == 206
    assert answer.headers["content-length"] == "10"
    assert answer.content == b""


def test_an_empty_file_is_200_with_no_body(http: TestClient) -> None:
    answer = http.get("/files/empty")
    assert (answer.status_code, answer.content) == (200, b"")
    assert answer.headers["content-length"] == "0"


def test_content_disposition_is_an_attachment_with_a_utf8_name(http: TestClient) -> None:
    header = http.get("/files/data").headers["content-disposition"]
    assert header.startswith("attachment; ")
    assert 'filename="R_sum_ _final_.csv"' in header
    encoded = header.split("filename*=UTF-8''", 1)[1]
    assert unquote(encoded) == "Résumé «final».csv"


@pytest.mark.parametrize(
    ("name", "fallback"),
    [
        ('a"b\\c.txt', "a_b_c.txt"),
        ("100%.txt", "100_.txt"),
        ("line\r\nbreak", "line__break"),
        ("", "download"),
    ],
)
def test_content_disposition_cannot_be_broken_out_of(name: str, fallback: str) -> None:
    header = content_disposition(name)
    assert f'filename="{fallback}"' in header
    assert "\r" not in header
    assert "\n" not in header
    assert header.count('"') == 2


@given(size=st.integers(0, 10_000), first=st.integers(0, 12_000), last=st.integers(0, 12_000))
def test_a_parsed_range_is_always_inside_the_file(size: int, first: int, last: int) -> None:
    for header in (f"bytes={first}-{last}", f"bytes={first}-", f"bytes=-{last}"):
        try:
            byte_range = parse_range(header, size)
        except Unsatisfiable:
            continue
        if byte_range is not None:
            assert 0 <= byte_range.start <= byte_range.end < size
            assert byte_range.length >= 1


def test_parse_range_examples_from_rfc_9110() -> None:
    # §14.1.2, for a representation of 10000 bytes
    assert parse_range("bytes=0-499", 10000) == ByteRange(0, 499)
    assert parse_range("bytes=500-999", 10000) == ByteRange(500, 999)
    assert parse_range("bytes=-500", 10000) == ByteRange(9500, 9999)
    assert parse_range("bytes=9500-", 10000) == ByteRange(9500, 9999)
    assert parse_range(None, 10000) is None
