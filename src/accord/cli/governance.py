"""``accord risk assess|show``, ``accord policy propose|comment|decide|list|respond`` and
``accord sbom``: governance in the open, through the node's API."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from accord.catalog.pids import parse_version_ref
from accord.cli.state import CliState, state_of
from accord.errors import FieldError, InvalidInput

risk_app = typer.Typer(help="Risk assessments of dataset versions", no_args_is_help=True)
policy_app = typer.Typer(help="The node's policies and their consultations", no_args_is_help=True)
Ref = Annotated[str, typer.Argument(help="Dataset version: ds_…@vN, ds_… (current) or a PID")]
Consultation = Annotated[str, typer.Argument(help="Consultation id (cns_…)")]


def register(app: typer.Typer) -> None:
    app.add_typer(risk_app, name="risk")
    app.add_typer(policy_app, name="policy")
    app.command("sbom")(sbom)


# --- risk ------------------------------------------------------------------------------------


@risk_app.command("assess")
def assess(
    ctx: typer.Context,
    ref: Ref,
    reidentification: Annotated[
        str | None, typer.Option(help="Re-identification risk: low, medium or high")
    ] = None,
    harm: Annotated[str | None, typer.Option(help="Harm if misused: low, medium or high")] = None,
    category: Annotated[
        list[str] | None,
        typer.Option(
            help="Sensitivity category (repeat): personal, health, genomic, location, "
            "commercially-confidential, security-relevant"
        ),
    ] = None,
    mitigation: Annotated[
        list[str] | None, typer.Option(help="Mitigation in place (repeat), e.g. de-identified")
    ] = None,
    export_control: Annotated[bool, typer.Option(help="Export-control rules may apply")] = False,
    notes: Annotated[str, typer.Option(help="Notes (shown to stewards only)")] = "",
    tier: Annotated[str | None, typer.Option(help="Choose this tier instead")] = None,
    mode: Annotated[str | None, typer.Option(help="Choose this mode instead")] = None,
    justification: Annotated[str, typer.Option(help="Why you choose differently")] = "",
    file: Annotated[
        Path | None, typer.Option(help="Read the whole request body (JSON) from a file")
    ] = None,
) -> None:
    """Record an assessment; the published rules recommend a tier, mode and safeguards."""
    state = state_of(ctx)
    dataset_id, number = _version(state, ref)
    if file is not None:
        body = _json_file(file)
    else:
        if reidentification is None or harm is None:
            raise InvalidInput(
                "give --reidentification and --harm (or --file)",
                code="governance.invalid-assessment",
            )
        body = {
            "assessment": {
                "categories": category or [],
                "reidentification_risk": reidentification,
                "harm_if_misused": harm,
                "export_control": export_control,
                "mitigations": mitigation or [],
                "notes": notes,
            }
        }
        if tier or mode:
            body["choice"] = {"tier": tier, "mode": mode, "justification": justification}
    path = f"/api/v1/datasets/{dataset_id}/versions/{number}/risk-assessments"
    answer = state.client.post(path, json=body)
    state.emit(answer, _assessment_text(answer))


@risk_app.command("show")
def show(ctx: typer.Context, ref: Ref) -> None:
    """Show a version's assessments, newest first, with the rules' reasons."""
    state = state_of(ctx)
    dataset_id, number = _version(state, ref)
    items = state.client.get(f"/api/v1/datasets/{dataset_id}/versions/{number}/risk-assessments")
    if state.json:
        state.emit(items)
        return
    if not items:
        state.console.print(f"{dataset_id}@v{number} has not been assessed")
    for item in items:
        state.console.print(_assessment_text(item), markup=False)


def _assessment_text(a: dict[str, Any]) -> str:
    r = a["recommendation"]
    lines = [
        f"{a['dataset_id']}@v{a['version']} assessment {a['number']} ({a['id']})",
        f"  recommended: {r['tier']}, {r['mode']}; safeguards: {', '.join(r['safeguards']) or '-'}"
        f" (rules {r['rules_version']})",
    ]
    lines += [f"  - {x['rule']}: {x['because']}" for x in r["reasons"]]
    if a["overridden"]:
        lines.append(f"  chosen: {a['chosen_tier']}, {a['chosen_mode']}: {a['justification']}")
    return "\n".join(lines)


# --- policies --------------------------------------------------------------------------------


@policy_app.command("list")
def policy_list(ctx: typer.Context) -> None:
    """Every version of the node's policies and where each stands."""
    state = state_of(ctx)
    answer = state.client.get("/api/v1/policies", params={"limit": 200})
    if state.json:
        state.emit(answer)
        return
    items = answer["items"]
    table = Table("policy", "version", "title", "status", "effective", "consultation")
    for p in items:
        table.add_row(
            p["kind"],
            str(p["number"]),
            p["title"],
            p["status"],
            p["effective_at"] or "",
            p["consultation_id"] or "",
        )
    state.console.print(table)


@policy_app.command("propose")
def propose(
    ctx: typer.Context,
    kind: Annotated[
        str,
        typer.Argument(
            help="agreement-template, committee-terms, "
            "sanction-guidelines, equity-thresholds or risk-rules"
        ),
    ],
    file: Annotated[Path, typer.Option(help="The proposed text")],
    title: Annotated[str, typer.Option(help="Title of the new version")],
    deadline: Annotated[str, typer.Option(help="Comments accepted until (RFC 3339, UTC)")],
    summary: Annotated[str, typer.Option(help="What changes and why")] = "",
) -> None:
    """Propose a new version of a policy: opens a consultation and tells the peer nodes."""
    state = state_of(ctx)
    content = _read(file)
    body = {
        "kind": kind,
        "title": title,
        "summary": summary,
        "content": content,
        "deadline": _when(deadline, "deadline"),
    }
    answer = state.client.post("/api/v1/policies", json=body)
    told = ", ".join(answer["peers_notified"]) or "no peer"
    state.emit(
        answer,
        f"consultation {answer['id']} open until {answer['deadline_at']} ({told} told)",
    )


@policy_app.command("comment")
def comment(
    ctx: typer.Context,
    consultation: Consultation,
    text: Annotated[str, typer.Argument(help="Your response")],
) -> None:
    """Respond to an open consultation (published with your name)."""
    state = state_of(ctx)
    answer = state.client.post(
        f"/api/v1/consultations/{consultation}/comments", json={"text": text}
    )
    state.emit(answer, f"comment {answer['id']} received")


@policy_app.command("respond")
def respond(
    ctx: typer.Context,
    notice: Annotated[str, typer.Argument(help="A peer's consultation on this node (pcn_…)")],
    text: Annotated[str, typer.Argument(help="This node's response")],
) -> None:
    """Send this node's response to a peer node's consultation (signed with the node key)."""
    state = state_of(ctx)
    answer = state.client.post(
        f"/api/v1/peer-consultations/{notice}/responses", json={"text": text}
    )
    state.emit(answer, f"response sent to {answer['peer_node_id']}")


@policy_app.command("decide")
def decide(
    ctx: typer.Context,
    consultation: Consultation,
    outcome: Annotated[str, typer.Argument(help="adopt or reject")],
    reasons: Annotated[str, typer.Option(help="The reasons, answering the responses")],
    effective: Annotated[
        str | None, typer.Option(help="When an adopted version takes effect (RFC 3339)")
    ] = None,
) -> None:
    """Decide a consultation after its deadline."""
    state = state_of(ctx)
    body: dict[str, Any] = {"outcome": outcome, "reasons": reasons}
    if effective:
        body["effective_at"] = _when(effective, "effective")
    answer = state.client.post(f"/api/v1/consultations/{consultation}/decision", json=body)
    policy = answer["policy"]
    state.emit(
        answer,
        f"{policy['kind']} v{policy['number']}: {policy['status']}"
        + (f", in force from {policy['effective_at']}" if policy["effective_at"] else ""),
    )


# --- sbom ------------------------------------------------------------------------------------


def sbom(
    ctx: typer.Context,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write to a file")] = None,
) -> None:
    """Print the node's CycloneDX SBOM (JSON), validated against the CycloneDX schema."""
    state = state_of(ctx)
    text = state.client.get("/api/v1/sbom")
    document = text if isinstance(text, str) else json.dumps(text, indent=2)
    if output is not None:
        output.write_text(document)
        components = len(json.loads(document).get("components", []))
        state.err.print(f"wrote {output} ({components} components)")
        return
    state.console.out(document, highlight=False)


# --- helpers ---------------------------------------------------------------------------------


def _version(state: CliState, ref: str) -> tuple[str, int]:
    try:
        parsed = parse_version_ref(ref)
    except ValueError as error:
        raise InvalidInput(str(error), code="governance.bad-version-ref") from None
    if parsed.number is not None:
        return parsed.dataset_id, parsed.number
    versions = state.client.get(f"/api/v1/datasets/{parsed.dataset_id}/versions")
    published = [v["number"] for v in versions if v["state"] == "published"]
    if not published:
        raise InvalidInput(
            f"{parsed.dataset_id} has no published version", code="governance.bad-version-ref"
        )
    return parsed.dataset_id, int(published[-1])


def _read(path: Path) -> str:
    try:
        return path.read_text()
    except OSError as error:
        raise InvalidInput(
            f"cannot read {path}: {error.strerror}", code="governance.unreadable-file"
        ) from None


def _json_file(path: Path) -> dict[str, Any]:
    try:
        loaded = json.loads(_read(path))
    except json.JSONDecodeError as error:
        raise InvalidInput(
            f"{path} is not JSON: {error.msg} at line {error.lineno}",
            code="governance.invalid-assessment",
        ) from None
    if not isinstance(loaded, dict):
        raise InvalidInput(f"{path} holds no JSON object", code="governance.invalid-assessment")
    return loaded


def _when(value: str, option: str) -> str:
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise InvalidInput(
            f"--{option} {value!r} is not an RFC 3339 time with a zone (2027-01-31T23:59:59Z)",
            code="governance.invalid-time",
            errors=[FieldError(option, "RFC 3339 with Z or an offset")],
        )
    return moment.isoformat()
