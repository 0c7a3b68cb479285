"""``accord agreement …``: validate, explain, publish and attach agreements; check a purpose.

``validate``, ``explain FILE``, ``template`` and ``odrl`` work on files alone; the others talk
to the node through its API, like every other command (decision 0002).
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from accord.agreements import templates
from accord.agreements.document import AgreementDocument
from accord.agreements.errors import AgreementInvalid, Problem
from accord.agreements.explain import agreement_text
from accord.agreements.odrl import agreement_from_odrl, agreement_to_odrl
from accord.agreements.ontology import default_vocabulary
from accord.agreements.validation import load_agreement
from accord.cli.state import CliState, state_of
from accord.errors import InvalidInput
from accord.i18n.translate import N_

agreements = typer.Typer(help="Write, publish and check data-use agreements", no_args_is_help=True)

FileArg = Annotated[Path, typer.Argument(help="Agreement file: YAML, JSON or ODRL JSON-LD")]


def register(app: typer.Typer) -> None:
    app.add_typer(agreements, name="agreement")


@agreements.command("validate")
def validate(ctx: typer.Context, file: FileArg) -> None:
    """Check an agreement file; print what is wrong and where, or a one-line summary."""
    state = state_of(ctx)
    try:
        document = read_document(file)
    except AgreementInvalid as invalid:
        for problem in invalid.problems:
            state.err.print(f"{problem.location}: {problem.message}", markup=False)
        raise
    terms = f"{document.tier.value}, {document.duo.permission}, licence {document.licence}"
    state.emit(document.as_data(), f"valid: {document.title} ({terms})")


@agreements.command("explain")
def explain(
    ctx: typer.Context,
    source: Annotated[str | None, typer.Argument(help="A file, or an agreement agr_…@v<n>")] = None,
    terms: Annotated[
        bool, typer.Option("--terms", help="List the DUO terms this node knows")
    ] = False,
) -> None:
    """An agreement in plain language (or, with --terms, the DUO vocabulary)."""
    state = state_of(ctx)
    if terms:
        _print_terms(state)
    elif source is None:
        raise InvalidInput(N_("name a file or an agreement to explain"), hint=N_("or pass --terms"))
    elif _is_ref(source):
        agreement_id, number = _ref(source)
        page = state.client.get(f"/api/v1/agreements/{agreement_id}/versions/{number}/explanation")
        lines = [page["title"], *_section_lines(page["sections"])]
        state.emit(page, escape("\n".join(lines)))
    else:
        document = read_document(Path(source))
        state.emit(document.as_data(), escape(agreement_text(document, default_vocabulary())))


@agreements.command("show")
def show(
    ctx: typer.Context, ref: Annotated[str, typer.Argument(help="agr_… or agr_…@v<n>")]
) -> None:
    """An agreement's versions, or one version's document."""
    state = state_of(ctx)
    if "@v" in ref:
        agreement_id, number = _ref(ref)
        version = state.client.get(f"/api/v1/agreements/{agreement_id}/versions/{number}")
        state.emit(version, escape(json.dumps(version["document"], indent=2, ensure_ascii=False)))
        return
    agreement = state.client.get(f"/api/v1/agreements/{ref}")
    table = Table("ref", "state", "tier", "title", "sha256")
    for v in agreement["versions"]:
        table.add_row(v["ref"], v["state"], v["tier"], v["title"], v["sha256"][:16])
    if state.json:
        state.emit(agreement)
    else:
        state.console.print(table)


@agreements.command("publish")
def publish(
    ctx: typer.Context,
    file: FileArg,
    agreement: Annotated[
        str | None, typer.Option(help="Publish as the next version of this agreement (agr_…)")
    ] = None,
) -> None:
    """Validate a file and publish it as a new agreement, or as a new version of one."""
    state = state_of(ctx)
    data = read_document(file).as_data()
    path = f"/api/v1/agreements/{agreement}/versions" if agreement else "/api/v1/agreements"
    draft = state.client.post(path, json=data)
    version = state.client.post(
        f"/api/v1/agreements/{draft['agreement_id']}/versions/{draft['number']}/publication"
    )
    state.emit(version, f"Published {version['ref']} (sha256 {version['sha256'][:16]}…)")


@agreements.command("attach")
def attach(
    ctx: typer.Context,
    ref: Annotated[str, typer.Argument(help="agr_…@v<n>")],
    dataset_version: Annotated[str, typer.Option("--dataset-version", help="dv_…")],
) -> None:
    """Let a published agreement version govern a dataset version."""
    state = state_of(ctx)
    agreement_id, number = _ref(ref)
    attached = state.client.post(
        f"/api/v1/agreements/{agreement_id}/attachments",
        json={"dataset_version_id": dataset_version, "version": number},
    )
    state.emit(attached, f"{attached['ref']} now governs {attached['dataset_version_id']}")


@agreements.command("check")
def check(
    ctx: typer.Context,
    dataset: Annotated[str, typer.Option(help="Dataset (ds_…) or dataset version (dv_…)")],
    purpose: Annotated[list[str], typer.Option(help="DUO purpose term, e.g. HMB (repeatable)")],
    country: Annotated[str, typer.Option(help="The requester's country (ISO 3166-1)")],
    disease: Annotated[list[str] | None, typer.Option(help="MONDO id (repeatable)")] = None,
    org: Annotated[str | None, typer.Option(help="The requester's organisation (ROR id)")] = None,
    org_kind: Annotated[
        str, typer.Option(help="not-for-profit, for-profit or unknown")
    ] = "unknown",
    accreditation: Annotated[
        list[str] | None, typer.Option(help="kind[:YYYY-MM-DD expiry] (repeatable)")
    ] = None,
    commercial: Annotated[bool, typer.Option(help="The purpose is commercial")] = False,
    ethics_approval: Annotated[bool, typer.Option(help="Ethics approval is documented")] = False,
    project: Annotated[str | None, typer.Option(help="Project id (for PS)")] = None,
    mode: Annotated[str, typer.Option(help="download or sandbox")] = "download",
    duration: Annotated[str, typer.Option(help="ISO 8601 duration of use")] = "P1Y",
) -> None:
    """What the engine decides for a requester like this, and why (changes nothing)."""
    state = state_of(ctx)
    question: dict[str, Any] = {
        "dataset": dataset,
        "purpose": purpose,
        "diseases": disease or [],
        "country": country,
        "organisation": org,
        "organisation_kind": org_kind,
        "accreditations": [_accreditation(a) for a in accreditation or []],
        "commercial": commercial,
        "ethics_approval": ethics_approval,
        "project": project,
        "mode": mode,
        "duration": duration,
    }
    decision = state.client.post("/api/v1/agreement-checks", json=question)
    state.emit(decision, escape(decision_lines(decision)))


@agreements.command("template")
def template(
    ctx: typer.Context,
    name: Annotated[str | None, typer.Argument(help="Template name; none lists them")] = None,
) -> None:
    """Print an agreement template to start from (or list the templates)."""
    state = state_of(ctx)
    if name is None:
        state.emit(list(templates.NAMES), "\n".join(templates.NAMES))
        return
    try:
        text = templates.template_text(name)
    except KeyError as missing:
        raise InvalidInput(str(missing.args[0]), code="agreements.unknown-template") from None
    state.emit(templates.load_template(name).as_data(), escape(text.rstrip()))


@agreements.command("odrl")
def odrl(
    ctx: typer.Context,
    file: FileArg,
    uid: Annotated[str, typer.Option(help="The policy's uid (an IRI)")] = "urn:accord:agreement",
) -> None:
    """An agreement file as an ODRL 2.2 policy (JSON-LD)."""
    state = state_of(ctx)
    policy = agreement_to_odrl(read_document(file), uid)
    state.emit(policy)


def read_document(file: Path) -> AgreementDocument:
    """Read and validate an agreement file (YAML, JSON, or ODRL JSON-LD exported by a node)."""
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise InvalidInput(
            f"cannot read {file}: {exc.strerror}", code="agreements.unreadable"
        ) from None
    if file.suffix == ".jsonld":
        try:
            return agreement_from_odrl(json.loads(text))
        except json.JSONDecodeError as exc:
            raise AgreementInvalid([_json_problem(exc)]) from None
    return load_agreement(text)


def decision_lines(decision: dict[str, Any]) -> str:
    """A decision from the API as an answer, the deciding reasons, and the duties."""
    outcome, mode = decision["outcome"], decision["mode"]
    answer = {"permit": "Yes", "refer": "Perhaps: the committee decides", "deny": "No"}[outcome]
    lines = [f"{answer}{'' if outcome == 'deny' else f' ({mode})'} under {decision['agreement']}"]
    deciding = {"deny": {"deny"}, "refer": {"refer", "sandbox"}, "permit": {"sandbox"}}[outcome]
    for reason in decision["reasons"]:
        label = "because" if reason["effect"] in deciding else "and"
        if reason["effect"] in deciding or reason["effect"] == "permit":
            lines.append(
                f"  {label}: {reason['text']} [{reason['code']} · {reason['clause']['ref']}]"
            )
    lines += [f"  you must: {o['text']}" for o in decision["obligations"]]
    return "\n".join(lines)


def _print_terms(state: CliState) -> None:
    duo = default_vocabulary().duo
    rows = [
        {"id": t.id, "shorthand": t.shorthand, "label": t.label, "kind": _kind(t.id)}
        for t in sorted(duo, key=lambda t: t.id)
        if t.id.startswith("DUO:") and _kind(t.id)
    ]
    if state.json:
        state.emit(rows)
        return
    table = Table("id", "shorthand", "kind", "label", title=f"DUO {duo.version}")
    for row in rows:
        table.add_row(row["id"], row["shorthand"] or "", row["kind"], row["label"])
    state.console.print(table)


def _kind(term: str) -> str:
    """``permission``, ``modifier`` or ``research type``; empty for DUO's own upper terms."""
    duo = default_vocabulary().duo
    if duo.is_permission(term):
        return "permission"
    if duo.is_modifier(term):
        return "modifier"
    return "research type" if duo.is_research_type(term) else ""


def _section_lines(sections: list[dict[str, Any]]) -> list[str]:
    lines: list[str] = []
    for section in sections:
        lines += ["", section["heading"], *(f"- {line}" for line in section["lines"])]
    return lines


def _is_ref(text: str) -> bool:
    return text.startswith("agr_") and not Path(text).exists()


def _ref(text: str) -> tuple[str, int]:
    agreement_id, _, number = text.partition("@v")
    if not agreement_id.startswith("agr_") or not number.isdigit():
        raise InvalidInput(
            f"{text!r} is not an agreement version", hint="write it as agr_…@v<n>, e.g. agr_01J…@v1"
        )
    return agreement_id, int(number)


def _accreditation(text: str) -> dict[str, Any]:
    kind, _, day = text.partition(":")
    if not day:
        return {"kind": kind}
    try:
        expires = datetime.combine(date.fromisoformat(day) + timedelta(days=1), time(0), tzinfo=UTC)
    except ValueError:
        raise InvalidInput(f"{day!r} is not a date", hint="write kind:YYYY-MM-DD") from None
    return {"kind": kind, "expires": expires.isoformat()}


def _json_problem(exc: json.JSONDecodeError) -> Problem:
    return Problem(f"line {exc.lineno}", f"not valid JSON: {exc.msg}")
