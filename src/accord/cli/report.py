"""``accord report equity|transparency|reciprocity|publish|verify|thresholds``.

Every command calls the reports API through ``state.client`` (this node's data dir as the local
operator, or any node with ``--url``). Figures are public (small counts suppressed) unless
``--full`` asks for the unsuppressed ones, which need the ``reports:figure:read`` permission.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import httpx
import typer
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from accord.cli.client import ApiError
from accord.cli.state import CliState, state_of
from accord.errors import InvalidInput, NodeUnavailable, VerificationFailed

app = typer.Typer(help="Transparency and equity reports", no_args_is_help=True)

From = Annotated[
    str | None, typer.Option("--from", help="First day, inclusive (YYYY-MM-DD; default a year ago)")
]
To = Annotated[
    str | None, typer.Option("--to", help="Last day, exclusive (YYYY-MM-DD; default now)")
]
Format = Annotated[str, typer.Option("--format", help="csv, json, html or pdf")]
Output = Annotated[
    Path | None, typer.Option("--output", "-o", help="Write to this file (default: stdout)")
]
Full = Annotated[
    bool, typer.Option("--full", help="Unsuppressed figures (committee, review body, auditors)")
]
FORMATS = ("csv", "json", "html", "pdf")


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="report")


@app.command("equity")
def equity(
    ctx: typer.Context,
    start: From = None,
    end: To = None,
    fmt: Format = "json",
    output: Output = None,
    full: Full = False,
) -> None:
    """Requests, grant rates and decision times by country, region, income group,
    organisation, dataset and tier; denial reasons; small actors; equity alerts."""
    _report(state_of(ctx), "equity", start, end, fmt, output, full)


@app.command("transparency")
def transparency(
    ctx: typer.Context,
    start: From = None,
    end: To = None,
    fmt: Format = "json",
    output: Output = None,
    full: Full = False,
) -> None:
    """Everything: equity and reciprocity figures, grants, appeals, breach reports,
    sanctions, duties, and the log entries the figures count."""
    _report(state_of(ctx), "transparency", start, end, fmt, output, full)


@app.command("reciprocity")
def reciprocity(
    ctx: typer.Context,
    start: From = None,
    end: To = None,
    fmt: Format = "json",
    output: Output = None,
    full: Full = False,
) -> None:
    """Data contributed against data used, per country and per node."""
    _report(state_of(ctx), "reciprocity", start, end, fmt, output, full)


@app.command("publish")
def publish(ctx: typer.Context, start: From = None, end: To = None, output: Output = None) -> None:
    """Sign the period's public transparency report with the node key and log its digest."""
    state = state_of(ctx)
    body = {"from": _day(start, "--from"), "to": _day(end, "--to")}
    with _progress(state, "Computing and signing the transparency report"):
        envelope = state.client.post("/api/v1/reports/transparency/signed", json=body)
    text = json.dumps(envelope, indent=2) + "\n"
    if output:
        output.write_text(text, encoding="utf-8")
    if state.json or not output:
        state.console.print_json(text) if state.json else typer.echo(text, nl=False)
    else:
        state.console.print(
            f"signed report {envelope['sha256'][:16]}… written to {output} "
            f"(log entry {envelope['ledger_seq']})"
        )


@app.command("verify")
def verify(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="A signed report (JSON) to check")],
) -> None:
    """Check a signed report against the node's log and the key that signed it then (current or
    rotated out since); exit 3 if anything differs."""
    state = state_of(ctx)
    try:
        envelope = json.loads(file.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InvalidInput(
            f"cannot read {file}: {exc.strerror}", code="reports.unreadable"
        ) from None
    except ValueError:
        raise InvalidInput(
            f"{file} is not JSON",
            code="reports.not-a-signed-report",
            hint="pass the file `accord report publish` wrote or the API served",
        ) from None
    try:
        result = state.client.post("/api/v1/reports/verifications", json=envelope)
    except ApiError as error:
        if error.status == VerificationFailed.status and error.code.startswith("reports."):
            raise VerificationFailed(error.message, code=error.code, hint=error.hint) from None
        raise
    state.emit(
        result,
        f"verified: signature by key {result['key']}, digest {result['sha256'][:16]}… and log "
        f"entry {result['ledger_seq']} ({result['period']['from']} to {result['period']['to']})",
    )


@app.command("thresholds")
def thresholds(
    ctx: typer.Context,
    ratio: Annotated[
        float | None, typer.Option(help="Alert below this share of the overall grant rate")
    ] = None,
    min_requests: Annotated[
        int | None, typer.Option(help="Decisions a group needs before it can alert")
    ] = None,
    small_actor_requests: Annotated[
        int | None, typer.Option(help="At most this many requests makes a small actor")
    ] = None,
) -> None:
    """Show the equity alert thresholds, or set any of them (node policy; logged)."""
    state = state_of(ctx)
    current: dict[str, Any] = state.client.get("/api/v1/reports/alert-thresholds")
    changes = {
        "ratio": ratio,
        "min_requests": min_requests,
        "small_actor_requests": small_actor_requests,
    }
    if any(v is not None for v in changes.values()):
        body = {**current, **{k: v for k, v in changes.items() if v is not None}}
        current = state.client.request("PUT", "/api/v1/reports/alert-thresholds", json=body)
    state.emit(
        current,
        f"alert when a group's grant rate < {current['ratio']:.0%} of the overall rate with "
        f"≥ {current['min_requests']} decisions; small actors: ≤ "
        f"{current['small_actor_requests']} requests",
    )


def _report(
    state: CliState,
    kind: str,
    start: str | None,
    end: str | None,
    fmt: str,
    output: Path | None,
    full: bool,
) -> None:
    if fmt not in FORMATS:
        raise InvalidInput(
            f"unknown format {fmt!r}", code="reports.bad-format", hint="use csv, json, html or pdf"
        )
    if fmt == "pdf" and output is None:
        raise InvalidInput(
            "a PDF is not printed to the terminal",
            code="reports.pdf-needs-output",
            hint="add --output report.pdf",
        )
    params = {k: v for k, v in (("from", _day(start, "--from")), ("to", _day(end, "--to"))) if v}
    path = f"/api/v1/reports/{kind}{'/full' if full else ''}"
    with _progress(state, f"Computing the {kind} report"):
        content = _fetch(state, path, {**params, "format": fmt})
    if output is None:
        typer.echo(content.decode("utf-8"), nl=False)
        return
    output.write_bytes(content)
    state.err.print(f"{kind} report written to {output} ({len(content):,} bytes)")


def _fetch(state: CliState, path: str, params: dict[str, str]) -> bytes:
    client = state.client
    try:
        response = client.http.get(path, params=params)
    except httpx.TransportError as exc:
        raise NodeUnavailable(
            f"cannot reach the node at {client.http.base_url}: {exc}",
            hint="check --url and that the node is running",
        ) from exc
    if response.status_code >= 400:
        try:
            problem = response.json()
        except ValueError:
            problem = {"detail": response.text[:200], "code": "http-error"}
        raise ApiError(problem, response.status_code)
    return response.content


def _day(value: str | None, option: str) -> str | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value).isoformat()
    except ValueError:
        raise InvalidInput(
            f"{option} {value!r} is not a date", code="reports.bad-date", hint="use YYYY-MM-DD"
        ) from None


def _progress(state: CliState, label: str) -> Progress:
    progress = Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=state.err,
        transient=True,
        disable=state.json,
    )
    progress.add_task(label, total=None)
    return progress
