"""``accord dataset …``, ``accord search``, ``accord download``, ``accord verify``.

Every command talks to the catalog API through ``state.client`` (in-process on the data dir, or
a remote node with ``--url``/``--token``). Uploads to a remote node use its tus endpoint
(resumable: an interrupted transfer continues from the offset the node reports); on the node's
own data dir the file is streamed into the blob store and attached by digest. Downloads resume
from a ``.part`` file with an ``If-Range`` request and check the file's SHA-256 at the end.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import httpx
import typer
import yaml
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)
from rich.table import Table

from accord.catalog.pids import VersionRef, parse_version_ref
from accord.cli.client import ApiError
from accord.cli.state import CliState, state_of
from accord.errors import AccordError, InvalidInput, NotFound, VerificationFailed
from accord.storage.blobs import blob_store_of
from accord.storage.ingest import ingest_chunks

datasets = typer.Typer(help="Create, upload, publish and withdraw datasets", no_args_is_help=True)

CHUNK = 4 * 1024 * 1024
UPLOAD_RETRIES = 3
TUS = {"Tus-Resumable": "1.0.0"}

Ref = Annotated[str, typer.Argument(help="Dataset id, ds_…@vN, or a persistent id")]


uploads = typer.Typer(help="Resumable uploads: the storage sweep", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(datasets, name="dataset")
    app.add_typer(uploads, name="upload")
    app.command("search")(search)
    app.command("download")(download)
    app.command("verify")(verify)


# --- upload -------------------------------------------------------------------------------------


@uploads.command("sweep")
def upload_sweep(ctx: typer.Context) -> None:
    """Drop expired unfinished uploads and stray staged files, delete the bytes of removed files
    nothing references any more (run hourly or daily)."""
    state = state_of(ctx)
    done = state.client.post("/api/v1/uploads/sweeps")
    state.emit(
        done,
        f"expired {done['expired']} · strays {done['strays']} · "
        f"blobs deleted {done['blobs_deleted']} · kept {done['blobs_kept']}",
    )


# --- dataset ------------------------------------------------------------------------------------


@datasets.command("create")
def create(
    ctx: typer.Context,
    metadata: Annotated[Path, typer.Argument(help="Metadata document (.yaml, .yml or .json)")],
) -> None:
    """Create a dataset (draft version 1) from a metadata file."""
    state = state_of(ctx)
    created = state.client.post("/api/v1/datasets", json=read_document(metadata))
    version = created["version"]
    state.emit(
        created,
        f"Created [bold]{version['dataset_id']}[/] (draft v{version['number']}): "
        f"{version['title']}\nnext: accord dataset upload {version['dataset_id']} FILE…",
    )


@datasets.command("upload")
def upload(
    ctx: typer.Context,
    ref: Ref,
    files: Annotated[list[Path], typer.Argument(help="Files to upload", exists=True)],
    prefix: Annotated[str, typer.Option(help="Folder inside the dataset, e.g. data/")] = "",
    replace: Annotated[bool, typer.Option(help="Replace files with the same path")] = False,
) -> None:
    """Upload files into a draft (resumable), each checked by SHA-256 on arrival."""
    state = state_of(ctx)
    dataset_id, number = _draft_of(state, ref)
    attached = []
    for path in files:
        if not path.is_file():
            raise InvalidInput(f"{path} is not a file", code="catalog.not-a-file")
        body = {"path": f"{prefix.strip('/')}/{path.name}".lstrip("/")}
        if state.url:
            body["upload_id"] = _tus_upload(state, path)
        else:
            body["sha256"] = _store_locally(state, path)
        attached.append(
            state.client.post(
                f"/api/v1/datasets/{dataset_id}/versions/{number}/files",
                json=body,
                params={"replace": "true"} if replace else None,
            )
        )
    lines = [f"{f['path']}  {f['size']} bytes  sha256 {f['sha256'][:16]}…" for f in attached]
    state.emit(attached, "\n".join([f"Uploaded to {dataset_id}@v{number}:", *lines]))


@datasets.command("publish")
def publish(ctx: typer.Context, ref: Ref) -> None:
    """Publish a draft: persistent id, signed manifest, searchable; it never changes again."""
    state = state_of(ctx)
    dataset_id, number = _draft_of(state, ref)
    version = state.client.post(f"/api/v1/datasets/{dataset_id}/versions/{number}/publication")
    state.emit(version, f"Published [bold]{version['pid']}[/]\n{version['citation']}")


@datasets.command("show")
def show(ctx: typer.Context, ref: Ref) -> None:
    """Show a version: metadata summary, files, citation."""
    state = state_of(ctx)
    version = _version(state, parse_ref(ref))
    if state.json:
        state.emit(version)
        return
    state.console.print(f"[bold]{version['title']}[/]  ({version['state']})")
    for label, key in [("pid", "pid"), ("tier", "tier"), ("licence", "licence")]:
        state.console.print(f"{label}: {version[key]}")
    if version["withdrawal_reason"]:
        state.console.print(f"withdrawn {version['withdrawn_at']}: {version['withdrawal_reason']}")
    table = Table("path", "size", "media type", "sha256")
    for f in version["files"]:
        table.add_row(f["path"], str(f["size"]), f["media_type"], f["sha256"][:16] + "…")
    state.console.print(table)
    state.console.print(f"cite as: {version['citation']}", markup=False)


@datasets.command("list")
def list_datasets(
    ctx: typer.Context,
    organisation: Annotated[str | None, typer.Option(help="Organisation id")] = None,
    include_withdrawn: Annotated[bool, typer.Option("--all", help="Include withdrawn")] = False,
    limit: int = 50,
    cursor: Annotated[str | None, typer.Option()] = None,
) -> None:
    """List published datasets, newest first."""
    state = state_of(ctx)
    params: dict[str, Any] = {"sort": "newest", "limit": limit, "cursor": cursor}
    params |= {"organisation": organisation, "include_withdrawn": include_withdrawn or None}
    _print_hits(state, state.client.get("/api/v1/datasets", params=_clean(params)))


@datasets.command("withdraw")
def withdraw(
    ctx: typer.Context,
    ref: Ref,
    reason: Annotated[str, typer.Option(help="Why (shown on the tombstone page)")],
) -> None:
    """Withdraw a published version: bytes are kept, nobody downloads them any more."""
    state = state_of(ctx)
    parsed = parse_ref(ref)
    number = parsed.number or _latest_number(state, parsed.dataset_id, "published")
    version = state.client.post(
        f"/api/v1/datasets/{parsed.dataset_id}/versions/{number}/withdrawal",
        json={"reason": reason},
    )
    state.emit(version, f"Withdrew {version['pid']}")


# --- search, download, verify -----------------------------------------------------------------


def search(
    ctx: typer.Context,
    query: Annotated[str, typer.Argument(help="Words that must all match")] = "",
    tier: Annotated[list[str] | None, typer.Option(help="open, registered, …")] = None,
    licence: Annotated[list[str] | None, typer.Option(help="SPDX licence")] = None,
    subject: Annotated[list[str] | None, typer.Option(help="Subject")] = None,
    country: Annotated[list[str] | None, typer.Option(help="Country of origin")] = None,
    organisation: Annotated[list[str] | None, typer.Option(help="Organisation id")] = None,
    year: Annotated[list[str] | None, typer.Option(help="Publication year")] = None,
    sort: Annotated[str | None, typer.Option(help="relevance, newest, oldest, title")] = None,
    limit: int = 20,
    cursor: Annotated[str | None, typer.Option()] = None,
) -> None:
    """Search the catalogue, with facet counts."""
    state = state_of(ctx)
    params = {
        "q": query,
        "tier": tier,
        "licence": licence,
        "subject": subject,
        "country": country,
        "organisation": organisation,
        "year": year,
        "sort": sort,
        "limit": limit,
        "cursor": cursor,
    }
    page = state.client.get("/api/v1/datasets", params=_clean(params))
    _print_hits(state, page)
    if not state.json:
        for facet, values in page["facets"].items():
            shown = ", ".join(f"{v['label']} ({v['count']})" for v in values[:6])
            if shown:
                state.console.print(f"[dim]{facet}:[/] {shown}")


def download(
    ctx: typer.Context,
    ref: Ref,
    paths: Annotated[list[str] | None, typer.Argument(help="Files to fetch (default: all)")] = None,
    to: Annotated[Path, typer.Option(help="Folder to download into")] = Path("."),
    accept_terms: Annotated[
        bool, typer.Option("--accept-terms", help="Accept the terms of use (registered tier)")
    ] = False,
) -> None:
    """Download a version's files: resumes partial files, checks each SHA-256 at the end."""
    state = state_of(ctx)
    version = _version(state, parse_ref(ref))
    wanted = [f for f in version["files"] if not paths or f["path"] in paths]
    unknown = sorted(set(paths or []) - {f["path"] for f in version["files"]})
    if unknown:
        raise NotFound(f"no file {unknown[0]!r} in {version['pid']}", code="catalog.file-not-found")
    if accept_terms and version["tier"] == "registered":
        state.client.post(
            f"/api/v1/datasets/{version['dataset_id']}/terms/acceptance",
            params={"version": version["number"]},
        )
    with _progress(state) as progress:
        saved = [_fetch(state, progress, f, to) for f in wanted]
    state.emit(
        {"pid": version["pid"], "files": saved},
        "\n".join([f"Downloaded {len(saved)} file(s) of {version['pid']} into {to}", *saved]),
    )


def verify(ctx: typer.Context) -> None:
    """Re-hash every blob and check every manifest signature; exit 3 on any mismatch."""
    state = state_of(ctx)
    report = state.client.post("/api/v1/catalog/verification")
    if state.json:
        state.emit(report)
    else:
        for p in report["problems"]:
            where = f"{p['dataset_id']}@v{p['version']}" + (f" {p['path']}" if p["path"] else "")
            line = f"MISMATCH {where}: {p['message']} [{p['code']}]"
            state.err.print(line, markup=False, soft_wrap=True)
        state.console.print(
            f"checked {report['versions_checked']} manifests, {report['blobs_checked']} blobs "
            f"({report['files_checked']} files): "
            + ("all good" if report["ok"] else f"{len(report['problems'])} problem(s)")
        )
    if not report["ok"]:
        raise VerificationFailed(
            f"{len(report['problems'])} file(s) or manifest(s) failed verification",
            code="catalog.verification-failed",
            hint="restore the named files from a backup or a mirror, then run `accord verify`",
        )


# --- helpers: references, documents --------------------------------------------------------------


def parse_ref(ref: str) -> VersionRef:
    try:
        return parse_version_ref(ref)
    except ValueError as exc:
        raise InvalidInput(str(exc), code="catalog.bad-reference") from None


def read_document(path: Path) -> Any:
    """A metadata document from YAML or JSON (by extension)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InvalidInput(f"cannot read {path}: {exc.strerror}", code="catalog.bad-file") from None
    try:
        if path.suffix.lower() in {".yaml", ".yml"}:
            return yaml.safe_load(text)
        return json.loads(text)
    except (yaml.YAMLError, json.JSONDecodeError) as exc:
        raise InvalidInput(
            f"{path} is not valid {path.suffix.lstrip('.').upper() or 'JSON'}: {exc}",
            code="catalog.bad-file",
        ) from None


def _version(state: CliState, ref: VersionRef) -> dict[str, Any]:
    number = ref.number or _latest_number(state, ref.dataset_id, None)
    version: dict[str, Any] = state.client.get(
        f"/api/v1/datasets/{ref.dataset_id}/versions/{number}"
    )
    return version


def _latest_number(state: CliState, dataset_id: str, wanted_state: str | None) -> int:
    dataset = state.client.get(f"/api/v1/datasets/{dataset_id}")
    numbers = [v["number"] for v in dataset["versions"] if wanted_state in (None, v["state"])]
    if wanted_state is None and dataset["current_version"]:
        return int(dataset["current_version"])
    if not numbers:
        raise NotFound(
            f"{dataset_id} has no {wanted_state or 'visible'} version",
            code="catalog.version-not-found",
        )
    return int(max(numbers))


def _draft_of(state: CliState, ref: str) -> tuple[str, int]:
    parsed = parse_ref(ref)
    return parsed.dataset_id, parsed.number or _latest_number(state, parsed.dataset_id, "draft")


def _clean(params: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in params.items() if v not in (None, "", [])}


def _print_hits(state: CliState, page: dict[str, Any]) -> None:
    if state.json:
        state.emit(page)
        return
    table = Table()
    table.add_column("dataset", no_wrap=True)
    for name in ("v", "title", "tier", "licence", "organisation", "year"):
        table.add_column(name)

    for h in page["items"]:
        title = h["title"] + (" [withdrawn]" if h["state"] == "withdrawn" else "")
        table.add_row(
            h["dataset_id"], str(h["version"]), title, h["tier"], h["licence"],
            h["organisation"]["name"], str(h["year"]),
        )  # fmt: skip
    state.console.print(table)
    state.console.print(f"{page['total']} found")
    if page["next_cursor"]:
        state.console.print(f"more: --cursor {page['next_cursor']}")


# --- helpers: transfers ---------------------------------------------------------------------------


@contextmanager
def _progress(state: CliState) -> Iterator[Progress]:
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=state.err, disable=state.json) as progress:
        yield progress


def _check(response: httpx.Response) -> httpx.Response:
    if response.status_code >= 400:
        try:
            problem = response.json()
        except ValueError:
            problem = {"detail": response.text[:200], "code": "http-error"}
        raise ApiError(problem if isinstance(problem, dict) else {}, response.status_code)
    return response


def _sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _tus_upload(state: CliState, path: Path) -> str:
    """Create a tus upload and send the file in chunks, resuming after a failed chunk."""
    http = state.client.http
    size = path.stat().st_size
    meta = {"filename": path.name, "sha256": _sha256_of(path)}
    encoded = ",".join(f"{k} {base64.b64encode(v.encode()).decode()}" for k, v in meta.items())
    created = _check(
        http.post(
            "/api/v1/uploads",
            headers={**TUS, "Upload-Length": str(size), "Upload-Metadata": encoded},
        )
    )
    location = created.headers["Location"]
    with _progress(state) as progress, path.open("rb") as handle:
        task = progress.add_task(path.name, total=size)
        offset = int(created.headers.get("Upload-Offset", "0"))
        failures = 0
        while offset < size:
            handle.seek(offset)
            try:
                offset = _send_chunk(http, location, offset, handle.read(CHUNK))
            except httpx.TransportError:
                failures += 1
                if failures > UPLOAD_RETRIES:
                    raise
                offset = int(_check(http.head(location, headers=TUS)).headers["Upload-Offset"])
            progress.update(task, completed=offset)
    return location.rsplit("/", 1)[-1]


def _store_locally(state: CliState, path: Path) -> str:
    """On the node's own data dir: stream the file into the blob store (verified, stored once)."""
    store = blob_store_of(state.node)
    with _progress(state) as progress, path.open("rb") as handle:
        task = progress.add_task(path.name, total=path.stat().st_size)

        def chunks() -> Iterator[bytes]:
            for chunk in iter(lambda: handle.read(CHUNK), b""):
                progress.advance(task, len(chunk))
                yield chunk

        return ingest_chunks(store, chunks()).sha256


def _send_chunk(http: httpx.Client, location: str, offset: int, data: bytes) -> int:
    headers = {
        **TUS,
        "Upload-Offset": str(offset),
        "Content-Type": "application/offset+octet-stream",
    }
    response = _check(http.patch(location, headers=headers, content=data))
    return int(response.headers["Upload-Offset"])


def _fetch(state: CliState, progress: Progress, file: dict[str, Any], folder: Path) -> str:
    """Download one file to ``folder/path`` via ``.part``, resuming, then check its SHA-256."""
    target = _safe_target(folder, file["path"])
    partial = target.with_name(target.name + ".part")
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.exists() and _sha256_of(target) == file["sha256"]:
        return str(target)
    have = partial.stat().st_size if partial.exists() else 0
    task = progress.add_task(file["path"], total=file["size"], completed=have)
    if have < file["size"]:
        headers = {"Range": f"bytes={have}-", "If-Range": f'"{file["sha256"]}"'} if have else {}
        with state.client.http.stream("GET", file["content_url"], headers=headers) as response:
            if response.status_code >= 400:
                response.read()
                _check(response)
            mode = "ab" if response.status_code == 206 else "wb"
            with partial.open(mode) as out:
                for chunk in response.iter_bytes(CHUNK):
                    out.write(chunk)
                    progress.advance(task, len(chunk))
    if _sha256_of(partial) != file["sha256"]:
        partial.unlink()
        raise VerificationFailed(
            f"{file['path']}: the downloaded bytes do not match sha256 {file['sha256']}",
            code="catalog.download-corrupt",
            hint="run the download again",
        )
    partial.replace(target)
    return str(target)


def _safe_target(folder: Path, path: str) -> Path:
    """``folder/path``, refusing any path that would land outside ``folder``."""
    base = folder.resolve()
    target = (base / path).resolve()
    if base not in target.parents:
        raise AccordError(f"refusing to write {path!r} outside {folder}", code="catalog.bad-path")
    return target
