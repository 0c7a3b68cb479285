"""``accord init`` and ``accord serve``: create a node, run it."""

from __future__ import annotations

import os
from typing import Annotated, Any

import typer
import uvicorn

from accord import demo
from accord.cli.sandbox import worker_processes
from accord.cli.state import state_of
from accord.config import Settings
from accord.setup import default_node_id, initialise


def register(app: typer.Typer) -> None:
    app.command("init")(init)
    app.command("serve")(serve)


def init(
    ctx: typer.Context,
    with_demo: Annotated[bool, typer.Option("--demo", help="Also seed demo content")] = False,
    node_id: Annotated[
        str | None, typer.Option(help="Short node id used in persistent ids")
    ] = None,
    name: Annotated[str, typer.Option(help="Human name of the node")] = "Accord demo node",
    jurisdiction: Annotated[str, typer.Option(help="ISO 3166-1 alpha-2 country")] = "CH",
    admin_email: Annotated[
        str, typer.Option(help="Email of the first admin")
    ] = "admin@localhost.localdomain",
) -> None:
    """Create the data dir, apply migrations, create the node identity, keys and first admin."""
    state = state_of(ctx)
    settings = state.settings
    report = initialise(
        settings,
        node_id=node_id or default_node_id(settings.data_dir),
        name=name,
        jurisdiction=jurisdiction,
        admin_email=admin_email,
    )
    seeded = demo.seed(report.node) if with_demo else False
    identity = report.node.identity
    result = {
        "data_dir": str(settings.data_dir.resolve()),
        "node_id": identity.node_id,
        "jurisdiction": identity.jurisdiction,
        "created_identity": report.created_identity,
        "created_keys": report.created_keys,
        "admin_email": report.admin_email,
        "admin_password": report.admin_password,
        "demo_seeded": seeded,
    }
    lines = [
        f"Node [bold]{identity.node_id}[/] ({identity.jurisdiction}) ready in {result['data_dir']}",
    ]
    if report.admin_password:
        lines.append(
            f"First admin: {report.admin_email}  password: [bold]{report.admin_password}[/]"
            "  (shown once: note it now)"
        )
    if seeded:
        lines.append(f"Demo users: <role>@demo.accord.example, password {demo.DEMO_PASSWORD}")
    state.emit(result, "\n".join(lines))


def serve(
    ctx: typer.Context,
    host: Annotated[str | None, typer.Option(help="Address to listen on")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on")] = None,
    processes: Annotated[int, typer.Option(help="API server processes")] = 1,
    access_log: Annotated[bool, typer.Option(help="Log every request")] = True,
) -> None:
    """Serve the API and web UI (uvicorn)."""
    state = state_of(ctx)
    settings = state.settings
    _ = state.node  # fail early and clearly when the data dir holds no node
    os.environ["ACCORD_DATA_DIR"] = str(settings.data_dir.resolve())
    if not access_log:
        os.environ["ACCORD_ACCESS_LOG"] = "false"
    with worker_processes(settings, settings.workers):
        _serve_http(settings, host, port, processes, access_log)


def _serve_http(
    settings: Settings, host: str | None, port: int | None, processes: int, access_log: bool
) -> None:
    uvicorn.run(
        "accord.web.app:app_from_environment",
        factory=True,
        host=host or settings.host,
        port=port or settings.port,
        **server_options(processes, access_log),
    )


def server_options(processes: int, access_log: bool) -> dict[str, Any]:
    """How uvicorn serves a node (``bench/api_overhead.py`` serves its baseline the same way)."""
    return {
        "workers": processes if processes > 1 else None,
        "log_level": "info",
        "access_log": access_log,
        "proxy_headers": True,
        "server_header": False,
    }
