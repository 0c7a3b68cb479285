"""``accord log verify|show|prove|checkpoint``: audit and read the transparency log.

``verify`` is the auditor's command. With ``--url`` it reads a node's public API only and trusts
nothing but the key (``--key``, or the one remembered from the last run, or, the first time, the
key the node's descriptor publishes); without a URL it audits this node's own database, every
stored hash included. Either way it remembers the last verified checkpoint (per log origin) and
reports any fork.
"""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path
from typing import Annotated, Any

import httpx
import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from accord.cli import federation
from accord.cli.state import CliState, state_of
from accord.errors import InvalidInput, VerificationFailed
from accord.i18n.translate import N_
from accord.ledger import merkle, rotation, service
from accord.ledger.audit import AuditReport, LogSource, TrustedState, audit
from accord.ledger.canonical import canonical_json
from accord.ledger.checkpoint import CheckpointError, open_checkpoint
from accord.ledger.keyring import KeyHistoryError, Keyring, keyring_from_json, verify_rotation
from accord.ledger.note import NoteError, Verifier
from accord.ledger.sources import DatabaseLogSource, HttpLogSource

app = typer.Typer(help="Audit and read the transparency log", no_args_is_help=True)

UrlOption = Annotated[
    str | None, typer.Option("--url", help="Node to audit (default: this node's data dir)")
]
KeyOption = Annotated[
    str | None,
    typer.Option("--key", help="The log's verifier key <name>+<hex id>+<base64 key>"),
]

StateDirOption = Annotated[
    Path | None,
    typer.Option(
        "--state-dir", envvar="ACCORD_LOG_STATE_DIR", help="Where verified checkpoints are kept"
    ),
]


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="log")


@app.command("verify")
def verify(
    ctx: typer.Context,
    url: UrlOption = None,
    key: KeyOption = None,
    full: Annotated[
        bool, typer.Option("--full", help="Check every entry, not only those since last time")
    ] = False,
    state_dir: StateDirOption = None,
    witnesses: Annotated[
        int, typer.Option("--witnesses", min=0, help="Require this many witness cosignatures")
    ] = 0,
    witness_key: Annotated[
        list[str] | None,
        typer.Option("--witness-key", help="A trusted witness's cosignature key (repeatable)"),
    ] = None,
) -> None:
    """Check the log: checkpoint signature, every entry against the signed roots, no fork."""
    state = state_of(ctx)
    url = url or state.url
    if url:
        with _http(url) as http:
            source = HttpLogSource(http)
            store = TrustStore(state_dir or _default_state_dir())
            verifier = _verifier(state, key, store, source)
            history = _published_history(source, verifier)
            report = _run(state, source, verifier, store, full=full, keys=history)
    else:
        node = state.node
        verifier = service.verifier(node)
        if key and Verifier.from_key(key).vkey() != verifier.vkey():
            raise VerificationFailed(
                "--key is not this node's log key", code="ledger.verify-failed"
            )
        store = TrustStore(state_dir or node.settings.data_dir / "log-verify")
        with node.session(readonly=True) as session:
            history = rotation.keyring(session)
            own = DatabaseLogSource(session)
            report = _run(state, own, verifier, store, full=True, keys=history)
    if witnesses and report.ok:
        federation.require_witnesses(
            state, url, verifier, report.checkpoint, witnesses, witness_key or []
        )
    _print_report(state, report, verifier)


@app.command("show")
def show(
    ctx: typer.Context,
    start: Annotated[int | None, typer.Option("--from", help="First sequence number")] = None,
    limit: Annotated[int, typer.Option(help="How many entries")] = 20,
    newest_first: Annotated[bool, typer.Option("--newest", help="Newest first")] = False,
    event_type: Annotated[str | None, typer.Option("--type", help="Only this event type")] = None,
    dataset: Annotated[str | None, typer.Option(help="Only entries about this dataset")] = None,
) -> None:
    """List log entries (public fields only)."""
    state = state_of(ctx)
    params: dict[str, Any] = {"limit": limit, "order": "desc" if newest_first else "asc"}
    for name, value in (("cursor", start), ("type", event_type), ("dataset", dataset)):
        if value is not None:
            params[name] = str(value)
    page = state.client.get("/api/v1/log/entries", params=params)
    table = Table("#", "time", "event", "public fields", "subjects")
    for item in page["items"]:
        entry = item["entry"]
        public = " ".join(f"{k}={v}" for k, v in entry["public"].items())
        subjects = " ".join(f"{k}={v}" for k, v in entry["subjects"].items())
        table.add_row(str(item["seq"]), entry["time"], entry["type"], public, subjects)
    if state.json:
        state.emit(page)
    else:
        state.console.print(table)
        if page["next_cursor"]:
            state.console.print(f"more: accord log show --from {page['next_cursor']}")


@app.command("prove")
def prove(
    ctx: typer.Context,
    seq: Annotated[int | None, typer.Argument(help="Sequence number of the entry")] = None,
    leaf_hash: Annotated[
        str | None, typer.Option("--leaf-hash", help="Base64 leaf hash, instead of a number")
    ] = None,
    url: UrlOption = None,
    key: KeyOption = None,
    state_dir: StateDirOption = None,
) -> None:
    """Fetch an entry's inclusion proof and check it against the signed checkpoint."""
    state = state_of(ctx)
    if (seq is None) == (leaf_hash is None):
        raise InvalidInput(N_("give an entry number or --leaf-hash"), code="ledger.proof-arguments")
    params: dict[str, Any] = {"index": seq} if seq is not None else {"leaf_hash": leaf_hash}
    url = url or state.url
    if url:
        with _http(url) as http:
            store = TrustStore(state_dir or _default_state_dir())
            verifier = _verifier(state, key, store, HttpLogSource(http))
            body = http.get("/api/v1/log/proofs/inclusion", params=params)
            if body.status_code != 200:
                raise InvalidInput(body.json().get("detail", body.text), code="ledger.no-proof")
            proof = body.json()
            entry = http.get(f"/api/v1/log/entries/{proof['leaf_index']}").json()["entry"]
    else:
        verifier = service.verifier(state.node)
        proof = state.client.get("/api/v1/log/proofs/inclusion", params=params)
        entry = state.client.get(f"/api/v1/log/entries/{proof['leaf_index']}")["entry"]
    _check_proof(proof, entry, verifier)
    if state.json:
        state.emit({**proof, "entry": entry, "verified": True})
        return
    state.console.print(
        f"[green]OK[/]  entry {proof['leaf_index']} ({entry['type']}) is in the log of "
        f"{proof['tree_size']} entries signed by {verifier.name}",
        soft_wrap=True,
        highlight=False,
    )
    for n, h in enumerate(proof["proof"], 1):
        state.console.print(f"  proof {n}: {h}")
    state.console.print(f"  root:    {proof['root_hash']}")


@app.command("checkpoint")
def checkpoint(ctx: typer.Context) -> None:
    """Sign a checkpoint now if one is due, and print the newest (this node only)."""
    state = state_of(ctx)
    cp = service.current_checkpoint(state.node)
    if state.json:
        state.emit({"size": cp.size, "note": cp.note})
    else:
        state.console.print(cp.note, end="", soft_wrap=True, markup=False, highlight=False)


# --- verify: the parts ------------------------------------------------------------------------


class TrustStore:
    """Remembered checkpoints, one JSON file per log origin; forks are kept beside them."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def load(self, origin: str) -> TrustedState | None:
        path = self._path(origin)
        if not path.exists():
            return None
        return TrustedState.from_json(json.loads(path.read_text()))

    def save(self, state: TrustedState) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        path = self._path(state.origin)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(state.as_json(), indent=2) + "\n")
        os.replace(tmp, path)

    def save_fork(self, origin: str, evidence: dict[str, Any]) -> Path:
        self.directory.mkdir(parents=True, exist_ok=True)
        path = self.directory / (self._path(origin).stem + ".fork.json")
        path.write_text(json.dumps(evidence, indent=2) + "\n")
        return path

    def _path(self, origin: str) -> Path:
        name = "".join(c if c.isalnum() or c in "-._" else "_" for c in origin)
        return self.directory / f"{name}.json"


def _run(
    state: CliState,
    source: LogSource,
    verifier: Verifier,
    store: TrustStore,
    *,
    full: bool,
    keys: Keyring | None = None,
) -> AuditReport:
    trusted = store.load(verifier.name)
    known = {verifier.vkey()} | {v.vkey() for v in (keys.verifiers(verifier.name) if keys else [])}
    if trusted is not None and trusted.verifier_key not in known:
        raise VerificationFailed(
            f"the log {verifier.name} was verified before with another key",
            code="ledger.key-changed",
            hint=f"the remembered key is {trusted.verifier_key}; check why it changed",
        )
    columns = (TextColumn("checking entries"), BarColumn(), MofNCompleteColumn())
    with Progress(*columns, TimeRemainingColumn(), console=state.err, transient=True) as bar:
        task = bar.add_task("verify", total=None)
        report = audit(
            source,
            verifier,
            trusted,
            full=full,
            progress=lambda done: bar.update(task, completed=done),
            keys=keys,
        )
    if report.fork is not None:
        path = store.save_fork(verifier.name, report.as_json())
        report.problems.append(f"evidence of the fork written to {path}")
    elif report.trusted is not None:
        store.save(report.trusted)
    return report


def _print_report(state: CliState, report: AuditReport, verifier: Verifier) -> None:
    if state.json:
        state.emit(report.as_json())
    elif report.ok and report.checkpoint is not None:
        cp = report.checkpoint
        since = f", {report.started_at} trusted from before" if report.started_at else ""
        state.console.print(
            f"[green]OK[/]  log {cp.origin}: {cp.size} entries, root "
            f"{base64.b64encode(cp.root_hash).decode()}\n"
            f"    checked {report.entries_checked} entries{since} and "
            f"{report.checkpoints_checked} checkpoints signed by {verifier.vkey()}"
            + (
                f"\n    {report.uncovered} newer entries are not in a checkpoint yet"
                if report.uncovered
                else ""
            ),
            markup=True,
            highlight=False,
            soft_wrap=True,
        )
    else:
        state.console.print(f"[red]FAILED[/]  log {report.origin}", highlight=False, soft_wrap=True)
        if report.fork is not None:
            state.console.print(f"  FORK: {report.fork.reason}", markup=False)
            for label, note in (
                ("trusted", report.fork.trusted),
                ("presented", report.fork.presented),
            ):
                state.console.print(
                    f"  {label} checkpoint:\n{_indent(note)}", markup=False, soft_wrap=True
                )
        for problem in report.problems:
            state.console.print(f"  - {problem}", markup=False, highlight=False, soft_wrap=True)
    if not report.ok:
        raise VerificationFailed(
            "the log does not verify" + (" (fork)" if report.fork else ""),
            code="ledger.verify-failed",
        )


def _verifier(
    state: CliState, key: str | None, store: TrustStore, source: HttpLogSource
) -> Verifier:
    """``--key``; else the key this log was verified with before; else, trusted on first use,
    the key the node's descriptor publishes (said out loud)."""
    if key:
        return _parse_key(key)
    descriptor = source.descriptor().get("log", {})
    origin = str(descriptor.get("origin", ""))
    remembered = store.load(origin) if origin else None
    if remembered is not None:
        return _parse_key(remembered.verifier_key)
    published = descriptor.get("verifier_key")
    if not published:
        raise InvalidInput("the node publishes no log key", code="ledger.no-key", hint="pass --key")
    state.err.print(
        f"trusting the key the node publishes, {published}, on first use: "
        "pass --key to pin a key you got another way",
        markup=False,
        highlight=False,
        soft_wrap=True,
    )
    return _parse_key(str(published))


def _published_history(source: HttpLogSource, trusted: Verifier) -> Keyring | None:
    """The key history the node publishes, accepted only if it holds the trusted key and each
    later key is introduced by its predecessor's signature (the audit then finds each rotation
    in the log itself)."""
    items = source.descriptor().get("keys")
    if not items or len(items) < 2:
        return None
    try:
        history = keyring_from_json(items)
        anchor = next(i for i, k in enumerate(history.keys) if k.public_key == trusted.public_key)
        for old, new in zip(history.keys[anchor:], history.keys[anchor + 1 :], strict=False):
            verify_rotation(str(source.descriptor().get("node_id", "")), old, new)
    except StopIteration:
        raise VerificationFailed(
            "the node's key history does not hold the key this log is trusted with",
            code="ledger.key-changed",
        ) from None
    except KeyHistoryError as exc:
        raise VerificationFailed(str(exc), code="ledger.verify-failed") from exc
    return history


def _check_proof(proof: dict[str, Any], entry: dict[str, Any], verifier: Verifier) -> None:
    try:
        if proof["checkpoint"] is None:
            raise CheckpointError("no signed checkpoint came with the proof")
        cp = open_checkpoint(proof["checkpoint"], verifier)
        leaf = merkle.leaf_hash(canonical_json(entry))
        hashes = [base64.b64decode(h) for h in proof["proof"]]
        merkle.verify_inclusion(proof["leaf_index"], cp.size, leaf, hashes, cp.root_hash)
    except (CheckpointError, NoteError, merkle.ProofError) as exc:
        raise VerificationFailed(
            f"entry {proof['leaf_index']} does not verify: {exc}", code="ledger.verify-failed"
        ) from exc


def _parse_key(text: str) -> Verifier:
    try:
        return Verifier.from_key(text)
    except (NoteError, ValueError) as exc:
        raise InvalidInput(f"bad verifier key: {exc}", code="ledger.bad-key") from exc


def _http(url: str) -> httpx.Client:
    return httpx.Client(
        base_url=url.rstrip("/"), timeout=60.0, headers={"accept-encoding": "identity"}
    )


def _default_state_dir() -> Path:
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "accord" / "log-verify"


def _indent(text: str) -> str:
    return "\n".join("    " + line for line in text.rstrip("\n").splitlines())
