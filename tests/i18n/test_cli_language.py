"""The CLI answers in ``ACCORD_LANG`` (else the locale); codes and prefixes never change."""

from __future__ import annotations

import sys

import pytest

from accord.cli.main import main
from accord.i18n.translate import set_locale


@pytest.mark.parametrize(
    ("environ", "message", "hint"),
    [
        ({"LANG": "C.UTF-8"}, "name a file or an agreement to explain", "or pass --terms"),
        (
            {"ACCORD_LANG": "fr"},
            "indiquez un fichier ou un accord à expliquer",
            "ou passez --terms",
        ),
        (
            {"LANG": "pt_BR.UTF-8"},
            "indique um arquivo ou um acordo a explicar",
            "ou use --terms",
        ),
        (
            {"LANG": "es_ES.UTF-8", "ACCORD_LANG": "ar"},
            "اذكر ملفًا أو اتفاقية لشرحها",
            "أو مرّر --terms",
        ),
    ],
)
def test_errors_in_the_chosen_language(
    environ: dict[str, str],
    message: str,
    hint: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    for name in ("ACCORD_LANG", "LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr(sys, "argv", ["accord", "agreement", "explain"])
    try:
        with pytest.raises(SystemExit) as exit_:
            main()
    finally:
        set_locale("en")
    assert exit_.value.code == 1
    err = capsys.readouterr().err
    assert f"error[invalid-input]: {message}" in err
    assert f"hint: {hint}" in err
