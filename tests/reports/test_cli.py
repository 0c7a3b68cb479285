"""``accord report …`` on the node's data dir (the operator) and over ``--url`` (a person):
every format, the signed report written and verified (a changed byte exits 3), and mistakes
as one line with the problem's code."""

from __future__ import annotations

import json
from pathlib import Path

from tests.access.test_cli import Cli, cli, served  # noqa: F401  (fixtures)
from tests.reports.conftest import World

PERIOD = ["--from", "2026-01-01", "--to", "2026-03-01"]


def test_report_formats_publish_and_verify(cli: Cli, world: World, tmp_path: Path) -> None:  # noqa: F811
    world.submit()
    code, out, err = cli.run("report", "equity", *PERIOD, "--format", "csv")
    assert code == 0, err
    assert out.startswith("section,grouping,key,label,measure,value\n")
    assert "requests,all,all,all,requests,suppressed" in out  # one request: below the threshold

    full = json.loads(cli.run("report", "equity", *PERIOD, "--full")[1])
    assert full["sections"]["requests"]["requests"] == 1
    assert full["public"] is False

    html, pdf = tmp_path / "r.html", tmp_path / "r.pdf"
    assert cli.run("report", "transparency", *PERIOD, "--format", "html", "-o", str(html))[0] == 0
    assert "<svg" in html.read_text() and "<script" not in html.read_text()
    assert cli.run("report", "reciprocity", *PERIOD, "--format", "pdf", "-o", str(pdf))[0] == 0
    assert pdf.read_bytes().startswith(b"%PDF-")

    signed = tmp_path / "signed.json"
    code, out, err = cli.run("report", "publish", *PERIOD, "-o", str(signed))
    assert code == 0, err
    assert "written to" in out
    code, out, err = cli.run("report", "verify", str(signed))
    assert code == 0, err
    assert out.startswith("verified")

    envelope = json.loads(signed.read_text())
    envelope["report"] = envelope["report"].replace('"public":true', '"public":false')
    tampered = tmp_path / "tampered.json"
    tampered.write_text(json.dumps(envelope))
    code, _, err = cli.run("report", "verify", str(tampered))
    assert code == 3
    assert "error[reports.signature]" in err


def test_report_mistakes_are_one_line(cli: Cli, world: World, tmp_path: Path) -> None:  # noqa: F811
    cases = [
        (["report", "equity", "--from", "2026-13-01"], "error[reports.bad-date]"),
        (["report", "equity", "--format", "xlsx"], "error[reports.bad-format]"),
        (["report", "equity", "--format", "pdf"], "error[reports.pdf-needs-output]"),
        (["report", "equity", "--from", "2026-03-01", "--to", "2026-01-01"], "reports.bad-period"),
        (["report", "verify", str(tmp_path / "missing.json")], "error[reports.unreadable]"),
    ]
    for args, expected in cases:
        code, _, err = cli.run(*args)
        assert code == 1, (args, err)
        assert expected in err and "Traceback" not in err, (args, err)
    code, _, err = cli.run("report", "equity", "--full", token=world.researcher.token)
    assert code == 1
    assert "error[" in err and "Traceback" not in err
