"""``accord``: one sub-command group per domain; errors are one line and a non-zero exit."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from accord.cli import (
    access,
    agreement,
    catalog,
    deid,
    federation,
    governance,
    identity,
    key,
    log,
    node,
    ops,
    report,
    sandbox,
    standards,
)
from accord.cli.state import CliState
from accord.config import load_settings
from accord.errors import AccordError
from accord.i18n.locales import from_environment
from accord.i18n.translate import gettext as _
from accord.i18n.translate import set_locale

app = typer.Typer(
    name="accord",
    help="Accord node: share research data under verifiable agreements.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
node.register(app)
identity.register(app)
agreement.register(app)
log.register(app)
key.register(app)
catalog.register(app)
deid.register(app)
sandbox.register(app)
access.register(app)
federation.register(app)
governance.register(app)
standards.register(app)
ops.register(app)
report.register(app)


@app.callback()
def main_options(
    ctx: typer.Context,
    data_dir: Annotated[
        Path | None,
        typer.Option("--data-dir", envvar="ACCORD_DATA_DIR", help="Node data dir"),
    ] = None,
    url: Annotated[
        str | None,
        typer.Option("--url", envvar="ACCORD_URL", help="Talk to a remote node"),
    ] = None,
    token: Annotated[
        str | None,
        typer.Option("--token", envvar="ACCORD_TOKEN", help="API token for --url"),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON for scripts")] = False,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks")] = False,
) -> None:
    settings = load_settings(data_dir=data_dir)
    ctx.obj = CliState(settings=settings, url=url, token=token, json=as_json, debug=debug)


def main() -> None:
    """Console entry: run the app, turning every known error into one line and an exit code."""
    err = Console(stderr=True, highlight=False, soft_wrap=True)
    set_locale(from_environment(os.environ))  # ACCORD_LANG, else the POSIX locale
    try:
        app(standalone_mode=False)
    except AccordError as error:
        err.print(f"error[{error.code}]: {_(error.message)}", markup=False)
        if error.hint:
            err.print(f"hint: {_(error.hint)}", markup=False)
        sys.exit(error.exit_code)
    except typer.Exit as done:
        sys.exit(done.exit_code)
    except typer.Abort:
        err.print(_("aborted"))
        sys.exit(1)
    except Exception as exc:  # a bug: one line unless --debug
        if "--debug" in sys.argv:
            raise
        if isinstance(exc, typer.exceptions.TyperException) and hasattr(exc, "show"):
            exc.show()  # usage errors: Click's own message, exit 2
            sys.exit(int(getattr(exc, "exit_code", 2)))
        err.print(f"error[internal]: {type(exc).__name__}: {exc}", markup=False)
        err.print("hint: " + _("run again with --debug for details"), markup=False)
        sys.exit(1)
