"""``accord deid scan|plan|run|report|list|destroy-key``: de-identified derivatives.

A source is a dataset reference (``ds_…``, ``ds_…@v2`` or ``node/ds_…@v2``) plus ``--file`` when
its version holds several tables; the spec is a YAML (or JSON) file. Every command calls the
node's API, so ``--json`` prints the API's own documents.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
import yaml
from rich.console import Group
from rich.table import Table

from accord.catalog.pids import parse_version_ref
from accord.cli.state import state_of
from accord.errors import InvalidInput

deid = typer.Typer(
    help="Derive de-identified (k-anonymous) versions of datasets", no_args_is_help=True
)

SourceArg = Annotated[str, typer.Argument(help="Source: ds_…, ds_…@v2 or node/ds_…@v2")]
FileOpt = Annotated[
    str | None, typer.Option("--file", help="Which table of the version (path or file id)")
]
SpecOpt = Annotated[Path, typer.Option("--spec", help="Transformation spec (YAML or JSON file)")]


def register(app: typer.Typer) -> None:
    app.add_typer(deid, name="deid")


@deid.command("scan")
def scan(ctx: typer.Context, source: SourceArg, file: FileOpt = None) -> None:
    """Flag columns that likely hold direct identifiers, and print a starting spec."""
    state = state_of(ctx)
    result = state.client.post("/api/v1/identifier-scans", json=_source(source, file))
    if state.json:
        state.emit(result)
        return
    table = Table("column", "kind", "evidence", "share", "confidence", "suggestion")
    for f in result["findings"]:
        share = "" if f["share"] is None else f"{f['share']:.0%}"
        table.add_row(
            f["column"], f["kind"], f["evidence"], share, f["confidence"], f["suggestion"]
        )
    src = result["source"]
    state.console.print(f"{src['pid']} {src['path']}: {result['rows']} records")
    state.console.print(table if result["findings"] else "no likely identifiers found")
    state.console.print("\nA starting spec (edit before use):", markup=False)
    state.console.print(yaml.safe_dump(result["starter_spec"], sort_keys=False), markup=False)


@deid.command("plan")
def plan(ctx: typer.Context, source: SourceArg, spec: SpecOpt, file: FileOpt = None) -> None:
    """Show the report a derivation would have; nothing is stored or published."""
    state = state_of(ctx)
    body = {"source": _source(source, file), "spec": _spec_text(spec)}
    result = state.client.post("/api/v1/derivation-plans", json=body)
    if state.json:
        state.emit(result)
        return
    state.console.print(_report_view(result["report"]))


@deid.command("run")
def run(
    ctx: typer.Context,
    source: SourceArg,
    spec: SpecOpt,
    file: FileOpt = None,
    publish: Annotated[bool, typer.Option("--publish", help="Publish the derived version")] = False,
) -> None:
    """Derive a de-identified dataset version (a new dataset linked to its source)."""
    state = state_of(ctx)
    body = {"source": _source(source, file), "spec": _spec_text(spec), "publish": publish}
    with state.err.status("deriving…"):
        result = state.client.post("/api/v1/derivations", json=body)
    if state.json:
        state.emit(result)
        return
    derived = result["derived"]
    state.console.print(
        f"Derivation {result['id']}: {derived['dataset_id']}@v{derived['version']} "
        f"({derived['state']}, {derived['tier']})"
    )
    state.console.print(_report_view(result["report"]))


@deid.command("report")
def report(
    ctx: typer.Context, derivation: Annotated[str, typer.Argument(help="Derivation id (drv_…)")]
) -> None:
    """Show a derivation's report, spec digest and links."""
    state = state_of(ctx)
    result = state.client.get(f"/api/v1/derivations/{derivation}")
    if state.json:
        state.emit(result)
        return
    source, derived = result["source"], result["derived"]
    state.console.print(
        f"{result['id']}: {source['pid']} ({source['path']}) → "
        f"{derived['dataset_id']}@v{derived['version']} ({derived['state']}, {derived['tier']})"
    )
    state.console.print(
        f"spec sha256 {result['spec_sha256']}; software {result['software']}; "
        f"key {result['key_state']}"
    )
    state.console.print(_report_view(result["report"]))


@deid.command("list")
def list_derivations(
    ctx: typer.Context,
    dataset: Annotated[str | None, typer.Option(help="Only derivations from or to this")] = None,
    limit: int = 50,
    cursor: Annotated[str | None, typer.Option()] = None,
) -> None:
    """List the derivations of datasets you steward."""
    state = state_of(ctx)
    params: dict[str, Any] = {"limit": limit, "cursor": cursor, "dataset_id": dataset}
    page = state.client.get("/api/v1/derivations", params=params)
    if state.json:
        state.emit(page)
        return
    table = Table("id", "source", "derived", "state", "tier", "k", "suppressed")
    for d in page["items"]:
        table.add_row(
            d["id"],
            d["source"]["pid"],
            f"{d['derived']['dataset_id']}@v{d['derived']['version']}",
            d["derived"]["state"],
            d["derived"]["tier"],
            str(d["k"]),
            str(d["records_suppressed"]),
        )
    state.console.print(table)
    if page["next_cursor"]:
        state.console.print(f"more: --cursor {page['next_cursor']}")


@deid.command("destroy-key")
def destroy_key(
    ctx: typer.Context,
    derivation: Annotated[str, typer.Argument(help="Derivation id (drv_…)")],
    reason: Annotated[str, typer.Option(help="Why (kept in the private record)")],
) -> None:
    """Destroy a derivation's pseudonym key: its pseudonyms become irreversible."""
    state = state_of(ctx)
    path = f"/api/v1/derivations/{derivation}/key-destruction"
    result = state.client.post(path, json={"reason": reason})
    state.emit(result, f"the key of {result['id']} is {result['key_state']}")


def _source(ref: str, file: str | None) -> dict[str, Any]:
    try:
        parsed = parse_version_ref(ref)
    except ValueError as error:
        raise InvalidInput(str(error), code="deid.bad-source-ref") from None
    body: dict[str, Any] = {"dataset_id": parsed.dataset_id, "version": parsed.number}
    if file:
        body["file"] = file
    return body


def _spec_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError as error:
        raise InvalidInput(
            f"cannot read the spec {path}: {error.strerror}",
            code="deid.spec-unreadable",
            hint="pass the path of a YAML file with --spec",
        ) from None


def _report_view(report: dict[str, Any]) -> Group:
    summary = Table("measure", "value", show_header=False)
    l_text = ", ".join(f"{c} {n}" for c, n in report["l_achieved"].items()) or "not asked"
    rows = [
        ("k achieved (requested)", f"{report['k_achieved']} ({report['k_requested']})"),
        ("l achieved", l_text),
        ("records in / out", f"{report['records_in']} / {report['records_out']}"),
        ("suppressed", f"{report['records_suppressed']} ({report['suppressed_share']:.2%})"),
        ("equivalence classes", str(report["classes"])),
        ("mean NCP", f"{report['information_loss']['ncp']:.3f}"),
        ("discernibility", str(report["information_loss"]["discernibility"])),
        ("average class size / k", f"{report['information_loss']['average_class_size']:.3f}"),
    ]
    for name, value in rows:
        summary.add_row(name, value)
    columns = Table("column", "generalisation", "NCP", "mean height")
    for c in report["information_loss"]["columns"]:
        height = "" if c["mean_height"] is None else f"{c['mean_height']:.2f}"
        columns.add_row(c["column"], c["kind"], f"{c['ncp']:.3f}", height)
    sizes = Table("class size", "classes", "records")
    for b in report["class_sizes"]["buckets"]:
        label = (
            str(b["smallest"])
            if b["smallest"] == b["largest"]
            else (f"{b['smallest']}–{b['largest']}")
        )
        sizes.add_row(label, str(b["classes"]), str(b["records"]))
    return Group(summary, columns, sizes)
