"""What every CLI command shares: settings, where the node is, and how to print."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import typer
from rich.console import Console

from accord.cli.client import NodeClient
from accord.config import Settings
from accord.errors import AccordError
from accord.node import NodeContext, read_identity


@dataclass
class CliState:
    settings: Settings
    url: str | None = None
    token: str | None = None
    json: bool = False
    debug: bool = False
    console: Console = field(default_factory=Console)
    err: Console = field(default_factory=lambda: Console(stderr=True))

    @cached_property
    def node(self) -> NodeContext:
        """The local node (data dir); fails clearly when there is none."""
        identity = read_identity(self.settings.data_dir)
        if identity is None:
            raise AccordError(
                f"no node in {self.settings.data_dir}",
                code="node.missing",
                hint="run `accord init` first, or pass --data-dir or --url",
            )
        return NodeContext(self.settings, identity)

    @cached_property
    def client(self) -> NodeClient:
        if self.url:
            return NodeClient.remote(self.url, self.token)
        return NodeClient.local(self.node)

    def emit(self, data: Any, human: str | None = None) -> None:
        """Print ``data`` as JSON with --json, else the human text (or JSON when there is none)."""
        if self.json or human is None:
            self.console.print_json(json.dumps(data, default=str))
        else:
            self.console.print(human)


def state_of(ctx: typer.Context) -> CliState:
    state = ctx.find_root().obj
    if not isinstance(state, CliState):
        raise RuntimeError("CLI state missing")
    return state
