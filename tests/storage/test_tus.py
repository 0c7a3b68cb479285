"""tus 1.0.0 header values: Upload-Metadata, counts, versions and the PATCH media type."""

from __future__ import annotations

import pytest

from accord.errors import AccordError
from accord.storage import tus


def test_metadata_pairs_decode_from_base64() -> None:
    meta = tus.parse_metadata(
        "filename d29ybGRfZG9taW5hdGlvbl9wbGFuLnBkZg==,is_confidential,"
        "filetype dGV4dC9jc3Y=,sha256 QUJDRA=="
    )
    assert meta.filename == "world_domination_plan.pdf"  # the example of the tus spec
    assert meta.media_type == "text/csv"
    assert meta.sha256 == "abcd"
    assert meta.pairs["is_confidential"] == ""


def test_metadata_round_trips() -> None:
    pairs = {"filename": "données/α.csv", "note": ""}
    assert tus.parse_metadata(tus.encode_metadata(pairs)).pairs == pairs


@pytest.mark.parametrize(
    "header",
    ["filename !!!", "bad key dGV4dA==", "a YQ==,a YQ==", "k " + "A" * 5000, "k /w=="],
)
def test_malformed_metadata_is_refused(header: str) -> None:
    with pytest.raises(AccordError) as caught:
        tus.parse_metadata(header)
    assert caught.value.code == "storage.tus-bad-metadata"


@pytest.mark.parametrize(
    ("value", "ok"),
    [("0", True), ("123", True), (" 7 ", True), ("-1", False), ("1e3", False), (None, False)],
)
def test_counts(value: str | None, ok: bool) -> None:
    if ok:
        assert tus.parse_count(value, "Upload-Offset") == int(str(value))
    else:
        with pytest.raises(AccordError):
            tus.parse_count(value, "Upload-Offset")


def test_version_and_media_type() -> None:
    tus.check_version("1.0.0")
    tus.check_offset_media_type("application/offset+octet-stream")
    with pytest.raises(AccordError) as version:
        tus.check_version("0.2.2")
    assert version.value.status == 412
    with pytest.raises(AccordError) as media:
        tus.check_offset_media_type("application/octet-stream")
    assert media.value.status == 415
