"""A guard for DESIGN.md rule 1: no committed change without its log entry.

Installed for the whole test suite (``tests/conftest.py``), it watches every ORM session's
transaction: the statements that change tables, and the log's size when the transaction began.
A commit that changed a table outside the ledger while the log did not grow fails with
:class:`UnloggedChange`, naming the tables, so every test that drives a service checks that the
service logs what it changes.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Engine, event
from sqlalchemy.orm import Session, SessionTransaction

EXEMPT: dict[str, str] = {
    "alembic_version": "schema bookkeeping, written by migrations",
    "web_sessions": "sign-in sessions: operational, and a sign-in is not a change of the node",
    "rate_counters": "rate-limit and lockout counters: operational, not a change of the node",
    "federation_leases": "scheduler leases: which process runs a task, not a change of the node",
    "sign_in_flows": "OIDC round trips and second steps under way: sign-in state, like sessions",
    "totp_steps": "the last TOTP step used (replay guard): sign-in state, like lockout counters",
}
"""Tables whose changes are not events of the node, with the reason."""

_DML = re.compile(
    r'^\s*(INSERT|UPDATE|DELETE)\s+(?:OR\s+\w+\s+)?(?:INTO\s+|FROM\s+)?"?([A-Za-z_]\w*)"?', re.I
)
_STATE = "accord.test.ledger_guard"
_SIZE = "SELECT COALESCE(MAX(seq) + 1, 0) FROM ledger_entries"


class UnloggedChange(AssertionError):
    """A transaction committed changes to the node's tables without appending a log entry."""


@contextmanager
def every_change_is_logged() -> Iterator[None]:
    event.listen(Session, "after_begin", _began)
    event.listen(Engine, "before_cursor_execute", _statement)
    event.listen(Engine, "commit", _commit)
    event.listen(Engine, "rollback", _rollback)
    try:
        yield
    finally:
        event.remove(Engine, "rollback", _rollback)
        event.remove(Engine, "commit", _commit)
        event.remove(Engine, "before_cursor_execute", _statement)
        event.remove(Session, "after_begin", _began)


def changed_table(statement: str) -> str | None:
    """``"UPDATE users"`` for a statement that changes a table, else None."""
    match = _DML.match(statement)
    return f"{match.group(1).upper()} {match.group(2).lower()}" if match else None


def _began(session: Session, transaction: SessionTransaction, connection: Connection) -> None:
    if transaction.parent is not None and not transaction.nested:
        return
    if _STATE in connection.info or not _has_ledger(connection):
        return
    size = connection.exec_driver_sql(_SIZE).scalar()
    connection.info[_STATE] = {"size": size, "tables": set()}


def _statement(
    conn: Connection, cursor: Any, statement: str, parameters: Any, context: Any, many: bool
) -> None:
    state = conn.info.get(_STATE)
    table = changed_table(statement)
    if state is not None and table is not None:
        state["tables"].add(table)


def _commit(conn: Connection) -> None:
    state = conn.info.pop(_STATE, None)
    if state is None:
        return
    tables = {change for change in state["tables"] if not _exempt(change)}
    if not tables:
        return
    size = conn.exec_driver_sql(_SIZE).scalar()
    if size == state["size"]:
        raise UnloggedChange(
            f"a transaction changed {sorted(tables)} and committed without a log entry "
            "(DESIGN.md rule 1: call ledger.append(session, event) before commit)"
        )


def _exempt(change: str) -> bool:
    table = change.split(" ", 1)[1]
    return table.startswith("ledger_") or table in EXEMPT or change in EXEMPT


def _rollback(conn: Connection) -> None:
    conn.info.pop(_STATE, None)


def _has_ledger(connection: Connection) -> bool:
    key = "accord.test.has_ledger"
    if key not in connection.info:
        names = connection.dialect.get_table_names(connection)
        connection.info[key] = "ledger_entries" in names
    return bool(connection.info[key])
