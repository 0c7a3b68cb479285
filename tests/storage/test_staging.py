"""Staged uploads: one writer at a time, offsets recorded only after fsync, cold resumes."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from accord.errors import Conflict, NotFound
from accord.storage.staging import UploadStaging

DATA = bytes(range(256)) * 64


def test_bytes_count_only_once_committed(tmp_path: Path) -> None:
    staging = UploadStaging(tmp_path)
    staging.create("up_1")
    with staging.appending("up_1", 0) as appender:
        appender.write([DATA[:1000], DATA[1000:3000]])
        staging.commit("up_1", appender)
    with staging.appending("up_1", 3000) as appender:
        appender.write([DATA[3000:5000]])  # an interrupted request: never committed
    assert staging.offset_of("up_1") == 3000
    with staging.appending("up_1", 3000) as appender:
        appender.write([DATA[3000:]])
        staging.commit("up_1", appender)
    assert staging.path_of("up_1").read_bytes() == DATA
    assert appender.digest.hexdigest() == hashlib.sha256(DATA).hexdigest()


def test_a_second_writer_is_refused_while_the_first_holds_the_upload(tmp_path: Path) -> None:
    staging = UploadStaging(tmp_path)
    staging.create("up_1")
    with staging.appending("up_1", 0):
        with pytest.raises(Conflict) as caught, UploadStaging(tmp_path).appending("up_1", 0):
            pass
        assert caught.value.code == "storage.upload-busy"
    with staging.appending("up_1", 0):
        pass


def test_a_wrong_offset_is_refused_under_the_lock(tmp_path: Path) -> None:
    staging = UploadStaging(tmp_path)
    staging.create("up_1")
    with pytest.raises(Conflict) as caught, staging.appending("up_1", 10):
        pass
    assert caught.value.code == "storage.upload-offset"
    assert caught.value.extra == {"offset": 0}


def test_another_process_resumes_with_the_right_digest(tmp_path: Path) -> None:
    first = UploadStaging(tmp_path)
    first.create("up_1")
    with first.appending("up_1", 0) as appender:
        appender.write([DATA[:7000]])
        first.commit("up_1", appender)
    restarted = UploadStaging(tmp_path)  # no digest in memory: re-hashed from the file
    with restarted.appending("up_1", 7000) as appender:
        appender.write([DATA[7000:]])
        restarted.commit("up_1", appender)
    assert appender.digest.hexdigest() == hashlib.sha256(DATA).hexdigest()


def test_large_appends_start_writeback_and_stay_correct(tmp_path: Path) -> None:
    staging = UploadStaging(tmp_path)
    staging.create("up_1")
    block = bytes(range(256)) * 4096  # 1 MiB
    with staging.appending("up_1", 0) as appender:
        for _ in range(20):
            appender.write([block[:300_000], block[300_000:]])
        staging.commit("up_1", appender)
    assert staging.offset_of("up_1") == 20 * len(block)
    assert appender.digest.hexdigest() == hashlib.sha256(block * 20).hexdigest()


def test_discarded_uploads_are_gone(tmp_path: Path) -> None:
    staging = UploadStaging(tmp_path)
    staging.create("up_1")
    staging.discard("up_1")
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(NotFound):
        staging.offset_of("up_1")
    with pytest.raises(NotFound), staging.appending("up_1", 0):
        pass
