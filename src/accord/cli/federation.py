"""``accord peer add|list|suspend|resume``, ``accord harvest``, ``accord witness``,
``accord mirror add|list``: federation with peer nodes, through the node's API.

Also the witness check behind ``accord log verify --witnesses N``.
"""

from __future__ import annotations

import base64
from typing import Annotated, Any

import httpx
import typer
from rich.table import Table

from accord.cli.state import CliState, state_of
from accord.errors import InvalidInput, NodeUnavailable, VerificationFailed
from accord.federation import peers as peer_service
from accord.federation import witness as witness_service
from accord.federation.cosignature import Witness
from accord.federation.witnessed import Witnessed, check_witnessed
from accord.ledger import merkle
from accord.ledger import service as ledger_service
from accord.ledger.checkpoint import Checkpoint
from accord.ledger.note import NoteError, Verifier
from accord.stopping import stop_on_signals

peer_app = typer.Typer(help="Manage peer nodes", no_args_is_help=True)
mirror_app = typer.Typer(help="Mirror peers' open datasets", no_args_is_help=True)
federation_app = typer.Typer(help="Federation on a schedule", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(peer_app, name="peer")
    app.add_typer(mirror_app, name="mirror")
    app.add_typer(federation_app, name="federation")
    app.command("harvest")(harvest)
    app.command("witness")(witness)


def _peers_table(items: list[dict[str, Any]]) -> Table:
    table = Table("id", "node", "jurisdiction", "url", "state", "fingerprint")
    for p in items:
        table.add_row(
            p["id"], p["node_id"], p["jurisdiction"], p["base_url"], p["state"], p["fingerprint"]
        )
    return table


@peer_app.command("add")
def peer_add(
    ctx: typer.Context,
    url: Annotated[str, typer.Argument(help="The peer's base URL")],
    fingerprint: Annotated[
        str, typer.Option(help="The peer key's fingerprint, checked with its admin out of band")
    ],
) -> None:
    """Add a peer; it becomes active once the peer adds this node too."""
    state = state_of(ctx)
    answer = state.client.post("/api/v1/peers", json={"url": url, "fingerprint": fingerprint})
    peer = answer["peer"]
    waiting = "" if answer["confirmed"] else " (pending: the peer has not added this node yet)"
    state.emit(answer, f"added {peer['node_id']} as {peer['id']}, {peer['state']}{waiting}")


@peer_app.command("recognise")
def peer_recognise(
    ctx: typer.Context,
    peer: Annotated[str, typer.Argument(help="Peer id or node id")],
    kind: Annotated[str, typer.Argument(help="affiliation, country, or accreditation:<kind>")],
) -> None:
    """Accept the peer's visas of this kind in its researchers' passports."""
    state = state_of(ctx)
    answer = state.client.post(f"/api/v1/peers/{peer}/recognitions", json={"kind": kind})
    state.emit(answer, f"{kind} visas from {peer} are recognised")


@peer_app.command("unrecognise")
def peer_unrecognise(
    ctx: typer.Context,
    peer: Annotated[str, typer.Argument(help="Peer id or node id")],
    kind: Annotated[str, typer.Argument(help="A kind recognised now")],
) -> None:
    """Stop accepting the peer's visas of this kind."""
    state = state_of(ctx)
    state.client.delete(f"/api/v1/peers/{peer}/recognitions/{kind}")
    state.emit({"peer": peer, "kind": kind}, f"{kind} visas from {peer} are no longer recognised")


@federation_app.command("run")
def federation_run(
    ctx: typer.Context,
    once: Annotated[bool, typer.Option("--once", help="Run the due tasks once, then stop")] = False,
    harvest_every: Annotated[int, typer.Option(min=10, help="Seconds between harvests")] = 900,
    witness_every: Annotated[int, typer.Option(min=10, help="Seconds between witnessings")] = 300,
    requests_every: Annotated[
        int, typer.Option(min=10, help="Seconds between reading back cross-node requests")
    ] = 120,
) -> None:
    """Harvest and witness every active peer, and read back cross-node requests, on a schedule
    (until stopped; several processes may run: a lease keeps each task to one at a time)."""
    from datetime import timedelta

    from accord.federation.scheduler import Intervals, Scheduler

    state = state_of(ctx)
    intervals = Intervals(
        harvest=timedelta(seconds=harvest_every),
        witness=timedelta(seconds=witness_every),
        requests=timedelta(seconds=requests_every),
    )
    scheduler = Scheduler(state.node, intervals=intervals)
    if once:
        done = scheduler.run_round()
        state.emit(
            [d.__dict__ for d in done],
            "\n".join(f"{d.task}: {d.outcome} ({d.detail})" for d in done) or "nothing was due",
        )
        return
    stop_on_signals(scheduler.stop)
    state.err.print(f"Federation scheduler {scheduler.holder} running", highlight=False)
    scheduler.serve()


@peer_app.command("list")
def peer_list(ctx: typer.Context) -> None:
    """List peers and their state (pending, active, suspended)."""
    state = state_of(ctx)
    items = state.client.get("/api/v1/peers")
    if state.json:
        state.emit(items)
    else:
        state.console.print(_peers_table(items))


def _suspension(ctx: typer.Context, peer: str, suspended: bool) -> None:
    state = state_of(ctx)
    answer = state.client.post(f"/api/v1/peers/{peer}/suspension", json={"suspended": suspended})
    state.emit(answer, f"{answer['node_id']} is {answer['state']}")


@peer_app.command("suspend")
def peer_suspend(ctx: typer.Context, peer: Annotated[str, typer.Argument(help="Peer id")]) -> None:
    """Suspend a peer: its calls are refused; it is neither harvested nor witnessed."""
    _suspension(ctx, peer, True)


@peer_app.command("resume")
def peer_resume(ctx: typer.Context, peer: Annotated[str, typer.Argument(help="Peer id")]) -> None:
    """Lift a peer's suspension."""
    _suspension(ctx, peer, False)


def harvest(
    ctx: typer.Context,
    peer: Annotated[str | None, typer.Option(help="Only this peer (id or node id)")] = None,
    full: Annotated[bool, typer.Option("--full", help="Everything, not only changes")] = False,
) -> None:
    """Harvest peers' catalogues (OAI-PMH oai_datacite), incrementally by default."""
    state = state_of(ctx)
    reports = state.client.post("/api/v1/harvests", json={"peer": peer, "full": full})
    lines = [
        f"{r['peer']}: {r['records']} records ({r['deleted']} deleted) in {r['pages']} pages"
        + (" since the last harvest" if r["incremental"] else "")
        for r in reports
    ]
    state.emit(reports, "\n".join(lines) or "no active peers")


def witness(
    ctx: typer.Context,
    peer: Annotated[str | None, typer.Option(help="Only this peer (id or node id)")] = None,
) -> None:
    """Fetch, check and cosign peers' checkpoints; exit 3 if a peer's log forked."""
    state = state_of(ctx)
    reports = state.client.post("/api/v1/witnessings", json={"peer": peer})
    lines = [
        f"{r['peer']}: {r['outcome']} at size {r['size']} {r['detail']}".rstrip() for r in reports
    ]
    state.emit(reports, "\n".join(lines) or "no active peers")
    forked = [r["peer"] for r in reports if r["outcome"] == "fork"]
    if forked:
        raise VerificationFailed(
            f"the log of {', '.join(forked)} forked: evidence kept, see `/api/v1/forks`",
            code="federation.fork-detected",
        )


@mirror_app.command("add")
def mirror_add(
    ctx: typer.Context,
    peer: Annotated[str, typer.Argument(help="The home node (peer id or node id)")],
    dataset: Annotated[str, typer.Argument(help="The dataset id on the home node")],
) -> None:
    """Mirror a peer's open dataset here (refused where its rules keep copies elsewhere)."""
    state = state_of(ctx)
    mirror = state.client.post("/api/v1/mirrors", json={"peer": peer, "dataset": dataset})
    state.emit(mirror, f"mirrored {mirror['pid']} as {mirror['id']} ({len(mirror['files'])} files)")


@mirror_app.command("list")
def mirror_list(ctx: typer.Context) -> None:
    """List the mirrors this node keeps."""
    state = state_of(ctx)
    items = state.client.get("/api/v1/mirrors")
    table = Table("id", "pid", "files")
    for m in items:
        table.add_row(m["id"], m["pid"], str(len(m["files"])))
    if state.json:
        state.emit(items)
    else:
        state.console.print(table)


# --- accord log verify --witnesses N -----------------------------------------------------------


def require_witnesses(
    state: CliState,
    url: str | None,
    log: Verifier,
    audited: Checkpoint | None,
    required: int,
    keys: list[str],
) -> Witnessed:
    """Check the log's cosigned checkpoint has ``required`` valid witness cosignatures.

    On the local data dir the witnesses are the node's active peers (plus ``keys``); with a URL
    only ``keys`` are trusted, and the cosigned checkpoint must be consistent with ``audited``.
    """
    witnesses = [_witness_key(k) for k in keys]
    if url is None:
        node = state.node
        with node.session(readonly=True) as session:
            witnesses += [peer_service.witness_of(p) for p in peer_service.active_peers(session)]
            note = witness_service.cosigned_checkpoint(session)
            return check_witnessed(
                note, log, witnesses, required, lambda size: ledger_service.root_hash(session, size)
            )
    if not witnesses:
        raise InvalidInput(
            "give the witnesses' keys with --witness-key to check a remote log's cosignatures",
            code="ledger.no-witness-keys",
        )
    if audited is None:
        raise VerificationFailed("the log has no verified checkpoint", code="ledger.verify-failed")
    with httpx.Client(base_url=url, timeout=30) as http:
        note = _get(http, "/api/v1/federation/checkpoint").text
        return check_witnessed(note, log, witnesses, required, _proved_root(http, audited))


def _proved_root(http: httpx.Client, audited: Checkpoint) -> Any:
    def root_at(size: int) -> bytes:
        proof = _get(
            http, "/api/v1/log/proofs/consistency", {"first": size, "second": audited.size}
        ).json()
        first_root = base64.b64decode(proof["first_root"])
        hashes = [base64.b64decode(h) for h in proof["proof"]]
        try:
            merkle.verify_consistency(size, audited.size, hashes, first_root, audited.root_hash)
        except merkle.ProofError as exc:
            raise VerificationFailed(str(exc), code="ledger.verify-failed") from exc
        return first_root

    return root_at


def _get(http: httpx.Client, path: str, params: dict[str, int] | None = None) -> httpx.Response:
    try:
        response = http.get(path, params=params)
    except httpx.TransportError as exc:
        raise NodeUnavailable(f"{http.base_url} did not answer", code="node-unavailable") from exc
    if response.status_code != 200:
        raise VerificationFailed(
            f"{path} answered {response.status_code}", code="ledger.verify-failed"
        )
    return response


def _witness_key(vkey: str) -> Witness:
    try:
        return Witness.from_vkey(vkey)
    except NoteError as exc:
        raise InvalidInput(str(exc), code="ledger.bad-witness-key") from exc
