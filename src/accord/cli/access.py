"""``accord request|review|grant|appeal|breach|sanction``: the access workflow from the shell.

Every command calls the access API through ``state.client``: on the node's own data dir as the
local operator (committee, review body and admin work), or on any node with ``--url`` and a
person's ``--token`` (a researcher submitting requests, filing appeals, renewing grants).
"""

from __future__ import annotations

import mimetypes
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from accord.cli.state import CliState, state_of
from accord.errors import FieldError, InvalidInput

requests_app = typer.Typer(help="Request access to controlled data", no_args_is_help=True)
reviews_app = typer.Typer(help="Review requests as a data access committee", no_args_is_help=True)
grants_app = typer.Typer(help="Grants: list, revoke, renew; the access sweep", no_args_is_help=True)
appeals_app = typer.Typer(
    help="Appeal a denial or a sanction; decide appeals", no_args_is_help=True
)
breaches_app = typer.Typer(help="Report and resolve suspected breaches", no_args_is_help=True)
sanctions_app = typer.Typer(help="Impose and lift sanctions (review body)", no_args_is_help=True)

Reasons = Annotated[str, typer.Option("--reasons", help="Written reasons (at least 10 characters)")]


def register(app: typer.Typer) -> None:
    app.add_typer(requests_app, name="request")
    app.add_typer(reviews_app, name="review")
    app.add_typer(grants_app, name="grant")
    app.add_typer(appeals_app, name="appeal")
    app.add_typer(breaches_app, name="breach")
    app.add_typer(sanctions_app, name="sanction")


# --- requests ------------------------------------------------------------------------------------


@requests_app.command("submit")
def request_submit(
    ctx: typer.Context,
    dataset: Annotated[str, typer.Argument(help="Dataset id (ds_…)")],
    purpose: Annotated[list[str], typer.Option("--purpose", help="DUO purpose, e.g. HMB")],
    title: Annotated[str, typer.Option(help="Project title")],
    summary: Annotated[str, typer.Option(help="Lay summary of the project")],
    institution: Annotated[str, typer.Option(help="Your institution")],
    accept_duties: Annotated[
        bool, typer.Option("--accept-duties", help="Accept the duties of the dataset's agreement")
    ] = False,
    version: Annotated[int | None, typer.Option(help="Version number (default: current)")] = None,
    disease: Annotated[list[str] | None, typer.Option(help="MONDO id (for DS)")] = None,
    commercial: Annotated[bool, typer.Option(help="The purpose is commercial")] = False,
    ethics_ref: Annotated[str | None, typer.Option(help="Ethics approval reference")] = None,
    collaborator: Annotated[
        list[str] | None, typer.Option(help='"Name|Institution" (repeatable)')
    ] = None,
    mode: Annotated[str, typer.Option(help="download or sandbox")] = "download",
    duration: Annotated[str, typer.Option(help="ISO 8601, e.g. P6M")] = "P1Y",
) -> None:
    """Request access; the engine answers at once: granted, denied (with reasons), or referred."""
    state = state_of(ctx)
    body: dict[str, Any] = {
        "dataset_id": dataset,
        "version": version,
        "purpose": purpose,
        "diseases": disease or [],
        "commercial": commercial,
        "ethics_approval": ethics_ref is not None,
        "ethics_reference": ethics_ref,
        "project_title": title,
        "lay_summary": summary,
        "institution": institution,
        "collaborators": [_collaborator(c) for c in collaborator or []],
        "mode": mode,
        "duration": duration,
        "accept_duties": accept_duties,
    }
    request = state.client.post("/api/v1/requests", json=body)
    state.emit(request, _request_text(request))


def _collaborator(text: str) -> dict[str, str]:
    name, _, institution = text.partition("|")
    if not name.strip() or not institution.strip():
        raise InvalidInput(
            f"collaborator {text!r} should read 'Name|Institution'",
            code="access.bad-collaborator",
            errors=[FieldError("collaborator", "Name|Institution")],
        )
    return {"name": name.strip(), "institution": institution.strip()}


@requests_app.command("status")
def request_status(
    ctx: typer.Context,
    request_id: Annotated[str | None, typer.Argument(help="Request id; none: list yours")] = None,
) -> None:
    """Show a request (decision, reasons, thread), or list yours."""
    state = state_of(ctx)
    if request_id is None:
        page = state.client.get("/api/v1/requests", params={"limit": 200})
        _table_or_json(state, page, _requests_table(page["items"]))
        return
    request = state.client.get(f"/api/v1/requests/{request_id}")
    state.emit(request, _request_text(request, thread=True))


@requests_app.command("withdraw")
def request_withdraw(
    ctx: typer.Context,
    request_id: str,
    reason: Annotated[str | None, typer.Option(help="Why (kept private)")] = None,
) -> None:
    """Withdraw a pending request."""
    state = state_of(ctx)
    request = state.client.post(
        f"/api/v1/requests/{request_id}/withdrawal", json={"reason": reason}
    )
    state.emit(request, f"{request['id']} is {request['state']}")


@requests_app.command("reply")
def request_reply(ctx: typer.Context, request_id: str, message: str) -> None:
    """Answer the committee's question on a request (its deadline resumes)."""
    state = state_of(ctx)
    sent = state.client.post(f"/api/v1/requests/{request_id}/messages", json={"body": message})
    state.emit(sent, f"sent to the committee of {request_id}")


# --- reviews -------------------------------------------------------------------------------------


@reviews_app.command("list")
def review_list(ctx: typer.Context) -> None:
    """Requests waiting for your committee: deadline, engine's recommendation, votes."""
    state = state_of(ctx)
    queue = state.client.get("/api/v1/reviews")
    table = Table("request", "dataset", "project", "deadline", "engine", "votes", "note")
    for item in queue["items"]:
        note = "OVERDUE" if item["overdue"] else item["state"]
        if item["conflict_of_interest"]:
            note += " · conflict of interest"
        table.add_row(
            item["id"],
            f"{item['dataset_id']}@v{item['version']}",
            item["project_title"],
            (item["deadline_at"] or "")[:10],
            item["recommendation"],
            f"{item['votes']}/{item['quorum']} of {item['members']}",
            note,
        )
    _table_or_json(state, queue, table)
    if not state.json and queue["overdue_duties"]:
        state.console.print(f"{len(queue['overdue_duties'])} overdue duties: accord grant list")


@reviews_app.command("show")
def review_show(ctx: typer.Context, request_id: str) -> None:
    """A request with the engine's reasons, the thread and the votes so far."""
    state = state_of(ctx)
    request = state.client.get(f"/api/v1/requests/{request_id}")
    state.emit(request, _request_text(request, thread=True))


@reviews_app.command("decide")
def review_decide(
    ctx: typer.Context,
    request_id: str,
    reasons: Reasons,
    approve: Annotated[bool, typer.Option("--approve", help="Approve")] = False,
    deny: Annotated[bool, typer.Option("--deny", help="Deny")] = False,
    condition: Annotated[
        list[str] | None, typer.Option(help="Condition of approval (repeatable)")
    ] = None,
) -> None:
    """Approve (with conditions) or deny, with reasons; decided once the quorum agrees."""
    state = state_of(ctx)
    outcome = _one_of({"approve": approve, "deny": deny})
    body = {"outcome": outcome, "reasons": reasons, "conditions": condition or []}
    request = state.client.post(f"/api/v1/requests/{request_id}/decision", json=body)
    state.emit(request, _request_text(request))


@reviews_app.command("ask")
def review_ask(ctx: typer.Context, request_id: str, question: str) -> None:
    """Ask the requester for clarification (the deadline pauses until they answer)."""
    state = state_of(ctx)
    sent = state.client.post(f"/api/v1/requests/{request_id}/messages", json={"body": question})
    state.emit(sent, f"asked the requester of {request_id}")


# --- grants --------------------------------------------------------------------------------------


@grants_app.command("list")
def grant_list(
    ctx: typer.Context,
    overseen: Annotated[
        bool, typer.Option("--overseen", help="Grants of the datasets you oversee")
    ] = False,
) -> None:
    """Your grants (or, with --overseen, your committee's), with state and overdue duties."""
    state = state_of(ctx)
    params = {"scope": "overseen" if overseen else "mine", "limit": 200}
    page = state.client.get("/api/v1/grants", params=params)
    table = Table("grant", "dataset", "holder", "mode", "state", "expires", "overdue duties")
    for grant in page["items"]:
        overdue = [d["kind"] for d in grant["duties"] if d["overdue"]]
        table.add_row(
            grant["id"],
            f"{grant['dataset_id']}@v{grant['version']}",
            grant["user_id"],
            grant["mode"],
            grant["state"],
            grant["expires_at"][:10],
            ", ".join(overdue),
        )
    _table_or_json(state, page, table)


@grants_app.command("revoke")
def grant_revoke(
    ctx: typer.Context, grant_id: str, reason: Annotated[str, typer.Option(help="Why")]
) -> None:
    """Revoke a grant, with a reason the holder sees."""
    state = state_of(ctx)
    grant = state.client.post(f"/api/v1/grants/{grant_id}/revocation", json={"reason": reason})
    state.emit(grant, f"{grant['id']} is {grant['state']}")


@grants_app.command("renew")
def grant_renew(
    ctx: typer.Context,
    grant_id: str,
    justification: Annotated[str, typer.Option(help="Why more time is needed")],
    duration: Annotated[str, typer.Option(help="ISO 8601 from now, e.g. P6M")] = "P1Y",
) -> None:
    """Ask for more time; the renewal is evaluated like a new request."""
    state = state_of(ctx)
    body = {"duration": duration, "justification": justification}
    request = state.client.post(f"/api/v1/grants/{grant_id}/renewal", json=body)
    state.emit(request, _request_text(request))


@grants_app.command("sweep")
def grant_sweep(ctx: typer.Context) -> None:
    """Record expiries, remind duties coming due, flag overdue ones, retry email (run daily)."""
    state = state_of(ctx)
    result = state.client.post("/api/v1/access-sweeps")
    state.emit(
        result,
        f"expired {result['expired']} · reminded {result['reminded']} · "
        f"overdue {result['overdue']} · emails retried {result['emails_retried']}",
    )


# --- appeals -------------------------------------------------------------------------------------


@appeals_app.command("file")
def appeal_file(
    ctx: typer.Context,
    grounds: Annotated[str, typer.Option(help="Why the decision should change")],
    request: Annotated[str | None, typer.Option("--request", help="A denied request")] = None,
    sanction: Annotated[str | None, typer.Option("--sanction", help="A sanction")] = None,
) -> None:
    """Appeal a denied request (within its window) or a sanction."""
    state = state_of(ctx)
    body = {"request_id": request, "sanction_id": sanction, "grounds": grounds}
    appeal = state.client.post("/api/v1/appeals", json=body)
    state.emit(appeal, f"Filed {appeal['id']}: the review body decides")


@appeals_app.command("decide")
def appeal_decide(
    ctx: typer.Context,
    appeal_id: str,
    reasons: Reasons,
    uphold: Annotated[bool, typer.Option("--uphold", help="The decision stands")] = False,
    overturn: Annotated[bool, typer.Option("--overturn", help="The decision is reversed")] = False,
) -> None:
    """Uphold or overturn (review body); overturning a denial makes the grant."""
    state = state_of(ctx)
    outcome = _one_of({"uphold": uphold, "overturn": overturn})
    appeal = state.client.post(
        f"/api/v1/appeals/{appeal_id}/decision", json={"outcome": outcome, "reasons": reasons}
    )
    grant = f"; grant {appeal['grant_id']}" if appeal["grant_id"] else ""
    state.emit(appeal, f"{appeal['id']} {appeal['state']}{grant}")


@appeals_app.command("list")
def appeal_list(
    ctx: typer.Context,
    review: Annotated[bool, typer.Option("--review", help="Appeals you may decide")] = False,
) -> None:
    state = state_of(ctx)
    page = state.client.get("/api/v1/appeals", params={"scope": "review" if review else "mine"})
    table = Table("appeal", "subject", "of", "state", "filed")
    for a in page["items"]:
        table.add_row(
            a["id"], a["subject"], a["request_id"] or a["sanction_id"], a["state"], a["created_at"]
        )
    _table_or_json(state, page, table)


# --- breaches and sanctions ----------------------------------------------------------------------


@breaches_app.command("report")
def breach_report(
    ctx: typer.Context,
    description: Annotated[str, typer.Option(help="What happened")],
    grant: Annotated[str | None, typer.Option("--grant", help="The grant concerned")] = None,
    dataset: Annotated[str | None, typer.Option("--dataset", help="Or the dataset")] = None,
    evidence: Annotated[
        list[Path] | None, typer.Option(help="Evidence file (repeatable)", exists=True)
    ] = None,
) -> None:
    """Report a suspected breach of a grant or of a dataset's terms."""
    state = state_of(ctx)
    body = {"grant_id": grant, "dataset_id": dataset, "description": description}
    breach = state.client.post("/api/v1/breaches", json=body)
    for path in evidence or []:
        media_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        state.client.post(
            f"/api/v1/breaches/{breach['id']}/evidence",
            params={"filename": path.name},
            content=path.read_bytes(),
            headers={"Content-Type": media_type},
        )
    state.emit(breach, f"Reported {breach['id']}: the review body investigates")


@breaches_app.command("resolve")
def breach_resolve(
    ctx: typer.Context,
    breach_id: str,
    outcome: Annotated[str, typer.Option(help="unfounded or substantiated")],
    resolution: Annotated[str, typer.Option(help="What was found and done")],
) -> None:
    """Resolve a breach report (review body); impose sanctions with `accord sanction impose`."""
    state = state_of(ctx)
    body = {"outcome": outcome, "resolution": resolution}
    breach = state.client.post(f"/api/v1/breaches/{breach_id}/resolution", json=body)
    state.emit(breach, f"{breach['id']} resolved: {breach['outcome']}")


@breaches_app.command("note")
def breach_note(ctx: typer.Context, breach_id: str, note: str) -> None:
    """Add an investigation note (the report moves to investigating)."""
    state = state_of(ctx)
    added = state.client.post(f"/api/v1/breaches/{breach_id}/notes", json={"body": note})
    state.emit(added, f"noted on {breach_id}")


@breaches_app.command("list")
def breach_list(
    ctx: typer.Context,
    review: Annotated[bool, typer.Option("--review", help="Reports you investigate")] = False,
) -> None:
    state = state_of(ctx)
    page = state.client.get("/api/v1/breaches", params={"scope": "review" if review else "mine"})
    table = Table("breach", "dataset", "grant", "state", "outcome", "reported")
    for b in page["items"]:
        table.add_row(
            b["id"],
            b["dataset_id"],
            b["grant_id"] or "",
            b["state"],
            b["outcome"] or "",
            b["created_at"][:10],
        )
    _table_or_json(state, page, table)


@sanctions_app.command("impose")
def sanction_impose(
    ctx: typer.Context,
    kind: Annotated[str, typer.Option(help="warning, suspension or revocation")],
    reason: Annotated[str, typer.Option(help="Why (the subject sees it)")],
    user: Annotated[str | None, typer.Option("--user", help="A user (usr_…)")] = None,
    org: Annotated[str | None, typer.Option("--org", help="Or an organisation (org_…)")] = None,
    duration: Annotated[str | None, typer.Option(help="Suspensions: e.g. P90D")] = None,
    breach: Annotated[str | None, typer.Option("--breach", help="The breach report")] = None,
    grant: Annotated[
        list[str] | None, typer.Option("--grant", help="Revocation: which grants (default all)")
    ] = None,
) -> None:
    """Warn, suspend a user or an organisation for a period, or revoke grants."""
    state = state_of(ctx)
    subject_kind = _one_of({"user": user is not None, "organisation": org is not None})
    body = {
        "kind": kind,
        "subject_kind": subject_kind,
        "subject_id": user or org,
        "reason": reason,
        "duration": duration,
        "breach_id": breach,
        "grant_ids": grant,
    }
    sanction = state.client.post("/api/v1/sanctions", json=body)
    until = f" until {sanction['ends_at'][:10]}" if sanction["ends_at"] else ""
    state.emit(sanction, f"Imposed {sanction['id']} ({sanction['kind']}{until})")


@sanctions_app.command("lift")
def sanction_lift(
    ctx: typer.Context, sanction_id: str, reason: Annotated[str, typer.Option(help="Why")]
) -> None:
    """Lift a sanction now (paused grants resume)."""
    state = state_of(ctx)
    sanction = state.client.post(
        f"/api/v1/sanctions/{sanction_id}/lifting", json={"reason": reason}
    )
    state.emit(sanction, f"Lifted {sanction['id']}")


@sanctions_app.command("list")
def sanction_list(ctx: typer.Context) -> None:
    state = state_of(ctx)
    page = state.client.get("/api/v1/sanctions")
    table = Table("sanction", "kind", "subject", "in force", "ends", "lifted")
    for s in page["items"]:
        table.add_row(
            s["id"],
            s["kind"],
            s["subject_id"],
            "yes" if s["in_force"] else "no",
            (s["ends_at"] or "")[:10],
            (s["lifted_at"] or "")[:10],
        )
    _table_or_json(state, page, table)


# --- output --------------------------------------------------------------------------------------


def _one_of(flags: dict[str, bool]) -> str:
    chosen = [name for name, on in flags.items() if on]
    if len(chosen) != 1:
        names = " or ".join(f"--{name}" for name in flags)
        raise InvalidInput(f"give exactly one of {names}", code="cli.choose-one")
    return chosen[0]


def _request_text(request: dict[str, Any], *, thread: bool = False) -> str:
    engine = request["engine"]
    lines = [
        f"[bold]{request['id']}[/] {request['project_title']!r} → "
        f"{request['dataset_id']}@v{request['version']}: [bold]{request['state']}[/]",
        f"engine: {engine['outcome']} ({engine['mode']})"
        + (f" under {engine['agreement']}" if engine["agreement"] else ""),
    ]
    lines += [f"  because: {r['text']} [{r['code']}]" for r in engine["deciding"]]
    if request["decision_reasons"] and request["decided_by"] != "engine":
        lines.append(f"decided by {request['decided_by']}: {request['decision_reasons']}")
    if request["grant_id"]:
        lines.append(f"grant: {request['grant_id']}")
    if request["deadline_at"] and request["state"] in {"referred", "awaiting-clarification"}:
        overdue = " (overdue)" if request["overdue"] else ""
        lines.append(f"committee decides by {request['deadline_at'][:10]}{overdue}")
    if request["appealable_until"]:
        lines.append(f"appeal until {request['appealable_until'][:10]}: accord appeal file …")
    if thread:
        lines += [f"  {m['author_role']}: {m['body']}" for m in request["messages"]]
        for vote in request.get("votes") or []:
            lines.append(f"  vote {vote['member_id']}: {vote['outcome']} — {vote['reasons']}")
    return "\n".join(lines)


def _requests_table(items: list[dict[str, Any]]) -> Table:
    table = Table("request", "dataset", "project", "state", "grant")
    for r in items:
        table.add_row(
            r["id"],
            f"{r['dataset_id']}@v{r['version']}",
            r["project_title"],
            r["state"],
            r["grant_id"] or "",
        )
    return table


def _table_or_json(state: CliState, data: Any, table: Table) -> None:
    if state.json:
        state.emit(data)
    else:
        state.console.print(table)
