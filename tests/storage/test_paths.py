"""Safe file names: traversal, absolute paths, control characters and over-long names refused."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from accord.errors import InvalidInput
from accord.storage.paths import safe_file_path

ACCEPTED = [
    ("data.csv", "data.csv"),
    ("data/2024/table.csv", "data/2024/table.csv"),
    (".hidden", ".hidden"),
    ("a..b/c...d", "a..b/c...d"),
    ("Zürich/données.csv", "Zürich/données.csv"),
    ("Zu\u0308rich.csv", "Zürich.csv"),  # NFD → NFC
    ("فارسی\u200cنامه.txt", "فارسی\u200cنامه.txt"),  # ZWNJ is spelling, not a control
    ("x" * 255, "x" * 255),
    ("/".join(["d" * 200] * 5), "/".join(["d" * 200] * 5)),
]

REFUSED = [
    ("", "empty"),
    ("..", "'..'"),
    ("../etc/passwd", "'..'"),
    ("data/../../etc/passwd", "'..'"),
    ("data/..", "'..'"),
    ("./data.csv", "'.'"),
    ("/etc/passwd", "absolute"),
    ("//server/share", "absolute"),
    ("C:\\Windows\\system.ini", "backslash"),
    ("..\\..\\boot.ini", "backslash"),
    ("data//table.csv", "empty segment"),
    ("data/", "empty segment"),
    ("nul\x00.csv", "control"),
    ("line\nbreak.csv", "control"),
    ("tab\t.csv", "control"),
    ("escape\x1b[31m.csv", "control"),
    ("del\x7f.csv", "control"),
    ("evil\u202egnp.exe", "control"),  # right-to-left override
    ("para\u2029graph", "control"),
    ("private\ue000use", "control"),
    ("unassigned\U000e0fff", "control"),
    ("x" * 256, "255 bytes"),
    ("é" * 128, "255 bytes"),
    ("/".join(["d" * 250] * 5), "1024 bytes"),
]


@pytest.mark.parametrize(("name", "expected"), ACCEPTED)
def test_accepted_names_come_back_normalised(name: str, expected: str) -> None:
    assert safe_file_path(name) == expected


@pytest.mark.parametrize(("name", "reason"), REFUSED)
def test_unsafe_names_are_refused_with_a_reason(name: str, reason: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        safe_file_path(name)
    assert caught.value.code == "storage.unsafe-path"
    assert caught.value.status == 422
    assert [e.location for e in caught.value.errors] == ["path"]
    assert reason in caught.value.errors[0].message


@given(st.text(max_size=300))
def test_every_accepted_name_stays_inside_its_folder(name: str) -> None:
    try:
        path = safe_file_path(name)
    except InvalidInput:
        return
    segments = path.split("/")
    assert not path.startswith("/")
    assert all(s not in {"", ".", ".."} for s in segments)
    assert "\\" not in path
    assert "\x00" not in path
    assert all(
        unicodedata.category(ch) not in {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}
        for ch in path.replace("\u200c", "").replace("\u200d", "")
    )
    assert safe_file_path(path) == path
