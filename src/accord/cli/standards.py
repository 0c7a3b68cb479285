"""``accord metadata export|import``, ``accord cite``, ``accord oai rebuild``.

Every command goes through the API (``state.client``: in-process on the data dir, or a remote
node with ``--url``/``--token``), so it validates, authorises and logs exactly as the API does.
A crate to import is sent as a resumable upload to a remote node, or streamed into the local
blob store on the node's own data dir.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import httpx
import typer

from accord.cli.catalog import _store_locally, _tus_upload, parse_ref
from accord.cli.client import ApiError
from accord.cli.state import CliState, state_of
from accord.errors import InvalidInput, NodeUnavailable
from accord.standards.citations import Style
from accord.standards.exports import DATACITE_JSON_TYPE, DATACITE_XML_TYPE, ExportName

metadata = typer.Typer(help="Export and import dataset metadata (DataCite, DCAT, RO-Crate…)",
                       no_args_is_help=True)  # fmt: skip
oai = typer.Typer(help="The node's OAI-PMH endpoint", no_args_is_help=True)
Ref = Annotated[str, typer.Argument(help="Dataset id, ds_…@vN, or a persistent id")]
MACHINE_STYLES = {
    "bibtex": ExportName.BIBTEX,
    "ris": ExportName.RIS,
    "csl-json": ExportName.CSL_JSON,
}


def register(app: typer.Typer) -> None:
    app.add_typer(metadata, name="metadata")
    app.add_typer(oai, name="oai")
    app.command("cite")(cite)


@metadata.command("export")
def export(
    ctx: typer.Context,
    ref: Ref,
    format: Annotated[
        ExportName, typer.Option("--format", "-f", help="Which export")
    ] = ExportName.DATACITE_XML,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write here instead of to stdout")
    ] = None,
) -> None:
    """Write one export of a published version (the newest one unless ``@vN`` is given)."""
    state = state_of(ctx)
    parsed = parse_ref(ref)
    version = f"/versions/{parsed.number}" if parsed.number else ""
    path = f"/api/v1/datasets/{parsed.dataset_id}{version}/exports/{format.value}"
    _save(state, path, output)


@metadata.command("import")
def import_(
    ctx: typer.Context,
    source: Annotated[Path, typer.Argument(help="DataCite XML or JSON, or an RO-Crate .zip")],
    org: Annotated[str, typer.Option(help="Organisation that will own the dataset")],
    tier: Annotated[
        str | None, typer.Option(help="open, registered, controlled or restricted")
    ] = None,
) -> None:
    """Create a draft from a DataCite record or an RO-Crate (with the crate's files)."""
    state = state_of(ctx)
    if not source.is_file():
        raise InvalidInput(f"{source} is not a file", code="standards.not-a-file")
    suffix = source.suffix.lower()
    if suffix == ".zip":
        body: dict[str, str | None] = {"organisation_id": org, "tier": tier}
        if state.url:
            body["upload_id"] = _tus_upload(state, source)
        else:
            body["sha256"] = _store_locally(state, source)
        created = state.client.post("/api/v1/dataset-imports/ro-crate", json=body)
    elif suffix in {".xml", ".json"}:
        media_type = DATACITE_XML_TYPE if suffix == ".xml" else DATACITE_JSON_TYPE
        params = {"organisation_id": org, **({"tier": tier} if tier else {})}
        created = state.client.post(
            "/api/v1/dataset-imports/datacite",
            params=params,
            content=source.read_bytes(),
            headers={"Content-Type": media_type},
        )
    else:
        raise InvalidInput(
            f"cannot tell what {source.name} is",
            code="standards.unsupported-import",
            hint="give a DataCite record (.xml or .json) or an RO-Crate (.zip)",
        )
    version = created["version"]
    files = len(version["files"])
    state.emit(
        created,
        f"Imported draft {version['dataset_id']}@v{version['number']}: {version['title']}"
        f" ({files} file{'s' if files != 1 else ''})\n"
        f"next: accord dataset publish {version['dataset_id']}",
    )


def cite(
    ctx: typer.Context,
    ref: Ref,
    style: Annotated[
        str, typer.Option(help="apa, chicago, vancouver, bibtex, ris or csl-json")
    ] = Style.APA.value,
) -> None:
    """Print how to cite a published version."""
    state = state_of(ctx)
    parsed = parse_ref(ref)
    version = f"/versions/{parsed.number}" if parsed.number else ""
    base = f"/api/v1/datasets/{parsed.dataset_id}{version}"
    if style in MACHINE_STYLES:
        _save(state, f"{base}/exports/{MACHINE_STYLES[style].value}", None)
        return
    if style not in {s.value for s in Style}:
        raise InvalidInput(
            f"no citation style {style!r}",
            code="standards.unknown-style",
            hint="use apa, chicago, vancouver, bibtex, ris or csl-json",
        )
    cited = state.client.get(f"{base}/citations/{style}")
    state.emit(cited, cited["text"])


@oai.command("rebuild")
def rebuild(ctx: typer.Context) -> None:
    """Rewrite every OAI-PMH record from the catalog (node admins)."""
    state = state_of(ctx)
    done = state.client.post("/api/v1/harvest-index/rebuilds")
    state.emit(done, f"Rewrote {done['records']} harvest records")


def _save(state: CliState, path: str, output: Path | None) -> None:
    """Fetch ``path`` as bytes (exports may be binary) to ``output`` or stdout."""
    try:
        response = state.client.http.get(path)
    except httpx.TransportError as exc:
        raise NodeUnavailable(f"cannot reach the node: {exc}") from exc
    if response.status_code >= 400:
        try:
            problem = response.json()
        except ValueError:
            problem = {"detail": response.text[:200]}
        raise ApiError(problem if isinstance(problem, dict) else {}, response.status_code)
    if output is None:
        sys.stdout.buffer.write(response.content)
        sys.stdout.flush()
        return
    output.write_bytes(response.content)
    state.err.print(f"Wrote {len(response.content)} bytes to {output}")
