"""``accord user|org|token|accredit``: people, organisations, tokens, accreditations, TOTP."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

import typer
from rich.table import Table

from accord.cli.state import CliState, state_of
from accord.errors import NotFound

users = typer.Typer(help="Manage users", no_args_is_help=True)
orgs = typer.Typer(help="Manage organisations", no_args_is_help=True)
tokens = typer.Typer(help="Manage API tokens", no_args_is_help=True)
totp = typer.Typer(help="A user's TOTP second factor", no_args_is_help=True)
users.add_typer(totp, name="totp")


def register(app: typer.Typer) -> None:
    app.add_typer(users, name="user")
    app.add_typer(orgs, name="org")
    app.add_typer(tokens, name="token")
    app.command("accredit")(accredit)


def _user_id(state: CliState, ref: str) -> str:
    """Accept a user id or an email address."""
    if ref.startswith("usr_"):
        return ref
    page = state.client.get("/api/v1/users", params={"email": ref, "limit": 1})
    if not page["items"]:
        raise NotFound(f"no user {ref!r}", code="identity.user-not-found")
    return str(page["items"][0]["id"])


def _users_table(items: list[dict[str, Any]]) -> Table:
    table = Table("id", "name", "email", "country", "roles", "status")
    for u in items:
        roles = ", ".join(r["role"] for r in u["roles"])
        table.add_row(u["id"], u["name"], u["email"], u["country"], roles, u["status"])
    return table


@users.command("add")
def user_add(
    ctx: typer.Context,
    name: Annotated[str, typer.Option(help="Full name")],
    email: Annotated[str, typer.Option(help="Email address")],
    country: Annotated[str, typer.Option(help="ISO 3166-1 alpha-2 country")],
    orcid: Annotated[str | None, typer.Option(help="ORCID iD")] = None,
    org: Annotated[str | None, typer.Option(help="Organisation id")] = None,
    role: Annotated[list[str] | None, typer.Option(help="Role (repeatable)")] = None,
) -> None:
    """Add a user; a generated password is printed once."""
    state = state_of(ctx)
    body: dict[str, Any] = {"name": name, "email": email, "country": country}
    if orcid:
        body["orcid"] = orcid
    if org:
        body["organisation_id"] = org
    if role:
        body["roles"] = role
    created = state.client.post("/api/v1/users", json=body)
    user = created["user"]
    state.emit(
        created,
        f"Added {user['email']} ({user['id']}); password: [bold]{created['password']}[/]"
        " (shown once)",
    )


@users.command("list")
def user_list(
    ctx: typer.Context,
    limit: int = 50,
    cursor: Annotated[str | None, typer.Option()] = None,
) -> None:
    """List users."""
    state = state_of(ctx)
    page = state.client.get("/api/v1/users", params={"limit": limit, "cursor": cursor})
    if state.json:
        state.emit(page)
        return
    state.console.print(_users_table(page["items"]))
    if page["next_cursor"]:
        state.console.print(f"more: --cursor {page['next_cursor']}")


@users.command("suspend")
def user_suspend(
    ctx: typer.Context,
    user: Annotated[str, typer.Argument(help="User id or email")],
    reason: Annotated[str, typer.Option(help="Why (kept in the private record)")],
    lift: Annotated[bool, typer.Option("--lift", help="Reactivate instead")] = False,
) -> None:
    """Suspend a user (ends their sessions), or reactivate with --lift."""
    state = state_of(ctx)
    user_id = _user_id(state, user)
    path = f"/api/v1/users/{user_id}/suspension"
    result = state.client.delete(path) if lift else state.client.post(path, json={"reason": reason})
    state.emit(result, f"{result['email']} is now {result['status']}")


@users.command("role")
def user_role(
    ctx: typer.Context,
    user: Annotated[str, typer.Argument(help="User id or email")],
    role: Annotated[str, typer.Argument(help="Role name")],
    remove: Annotated[bool, typer.Option("--remove", help="Remove instead of grant")] = False,
    scope_kind: Annotated[str, typer.Option(help="node, organisation or dataset")] = "node",
    scope_id: Annotated[str, typer.Option(help="Organisation or dataset id")] = "",
) -> None:
    """Grant a role (node-wide or scoped), or remove it with --remove."""
    state = state_of(ctx)
    user_id = _user_id(state, user)
    if remove:
        current = state.client.get(f"/api/v1/users/{user_id}")
        match = [
            r
            for r in current["roles"]
            if r["role"] == role and r["scope_kind"] == scope_kind and r["scope_id"] == scope_id
        ]
        if not match:
            raise NotFound(f"user does not hold {role} there", code="identity.role-not-found")
        result = state.client.delete(f"/api/v1/users/{user_id}/roles/{match[0]['id']}")
    else:
        body = {"role": role, "scope_kind": scope_kind, "scope_id": scope_id}
        result = state.client.post(f"/api/v1/users/{user_id}/roles", json=body)
    roles = ", ".join(r["role"] for r in result["roles"])
    state.emit(result, f"{result['email']} now holds: {roles or 'no role'}")


@totp.command("status")
def totp_status(
    ctx: typer.Context,
    user: Annotated[str, typer.Argument(help="User id or email")],
) -> None:
    """Show whether a user has a TOTP key and how many recovery codes are left."""
    state = state_of(ctx)
    result = state.client.get(f"/api/v1/users/{_user_id(state, user)}/totp")
    if result["enrolled"]:
        text = (
            f"{user}: TOTP on since {result['enrolled_at']}, "
            f"{result['recovery_codes_left']} recovery codes left"
        )
    else:
        text = f"{user}: no TOTP key"
    state.emit(result, text)


@totp.command("enrol")
def totp_enrol(
    ctx: typer.Context,
    user: Annotated[str, typer.Argument(help="User id or email")],
) -> None:
    """Give a user a TOTP key now; the key, its otpauth URI and recovery codes print once."""
    state = state_of(ctx)
    result = state.client.post(f"/api/v1/users/{_user_id(state, user)}/totp")
    codes = "\n".join(f"  {c}" for c in result["recovery_codes"])
    state.emit(
        result,
        f"TOTP key for {user}: [bold]{result['secret']}[/]\n{result['otpauth_uri']}\n"
        f"recovery codes (each works once):\n{codes}\n(shown once: hand them over now)",
    )


@totp.command("reset")
def totp_reset(
    ctx: typer.Context,
    user: Annotated[str, typer.Argument(help="User id or email")],
) -> None:
    """Remove a user's TOTP key (lost device); they enrol again at their next sign-in."""
    state = state_of(ctx)
    result = state.client.delete(f"/api/v1/users/{_user_id(state, user)}/totp")
    state.emit(result, f"TOTP removed for {user}; they set it up again at their next sign-in")


@orgs.command("add")
def org_add(
    ctx: typer.Context,
    name: Annotated[str, typer.Option(help="Organisation name")],
    country: Annotated[str, typer.Option(help="ISO 3166-1 alpha-2 country")],
    ror: Annotated[str | None, typer.Option(help="ROR id")] = None,
) -> None:
    """Add an organisation."""
    state = state_of(ctx)
    body: dict[str, Any] = {"name": name, "country": country}
    if ror:
        body["ror_id"] = ror
    org = state.client.post("/api/v1/organisations", json=body)
    state.emit(org, f"Added {org['name']} ({org['id']})")


@orgs.command("list")
def org_list(
    ctx: typer.Context,
    limit: int = 50,
    cursor: Annotated[str | None, typer.Option()] = None,
) -> None:
    """List organisations."""
    state = state_of(ctx)
    page = state.client.get("/api/v1/organisations", params={"limit": limit, "cursor": cursor})
    if state.json:
        state.emit(page)
        return
    table = Table("id", "name", "ROR", "country")
    for o in page["items"]:
        table.add_row(o["id"], o["name"], o["ror_id"] or "", o["country"])
    state.console.print(table)


@tokens.command("create")
def token_create(
    ctx: typer.Context,
    name: Annotated[str, typer.Option(help="What the token is for")],
    scope: Annotated[list[str] | None, typer.Option(help="Permission (repeatable)")] = None,
    days: Annotated[int, typer.Option(help="Days until it expires")] = 90,
    user: Annotated[str | None, typer.Option(help="Issue for this user (admins)")] = None,
) -> None:
    """Create an API token; the secret is printed once."""
    state = state_of(ctx)
    body: dict[str, Any] = {"name": name, "expires_in_days": days}
    if scope:
        body["scopes"] = scope
    params = {"user_id": _user_id(state, user)} if user else None
    created = state.client.post("/api/v1/tokens", json=body, params=params)
    state.emit(
        created,
        f"Token {created['id']} expires {created['expires_at']}\n[bold]{created['token']}[/]"
        "\n(shown once: store it now)",
    )


@tokens.command("revoke")
def token_revoke(
    ctx: typer.Context,
    token_id: Annotated[str, typer.Argument(help="Token id (tok_…)")],
) -> None:
    """Revoke an API token."""
    state = state_of(ctx)
    result = state.client.post(f"/api/v1/tokens/{token_id}/revocation")
    state.emit(result, f"Revoked {result['id']}")


def accredit(
    ctx: typer.Context,
    user: Annotated[str, typer.Argument(help="User id or email")],
    kind: Annotated[str, typer.Option(help="Kind, e.g. accredited-researcher")],
    issuer: Annotated[str, typer.Option(help="Who issued it")],
    issued: Annotated[
        str | None, typer.Option(help="Issue date (YYYY-MM-DD); default today")
    ] = None,
    expires: Annotated[str | None, typer.Option(help="Expiry date (YYYY-MM-DD)")] = None,
) -> None:
    """Record an accreditation held by a user."""
    state = state_of(ctx)
    body: dict[str, Any] = {
        "kind": kind,
        "issuer": issuer,
        "issued_on": issued or date.today().isoformat(),
    }
    if expires:
        body["expires_on"] = expires
    result = state.client.post(f"/api/v1/users/{_user_id(state, user)}/accreditations", json=body)
    state.emit(result, f"Recorded {result['kind']} ({result['id']})")
