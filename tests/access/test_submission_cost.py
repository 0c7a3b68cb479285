"""What a submission costs the database, and the per-process cache of agreement documents
(decision 0707)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event

from accord.access import governing
from tests.access.conftest import World, agreement


def test_a_referred_submission_reads_no_roles_and_nothing_back(world: World) -> None:
    world.govern(agreement(committee={"name": "DAC", "review": "every-request"}))
    world.submit()  # first use: the caches of this process fill
    statements: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if not statement.startswith(("BEGIN", "COMMIT", "SAVEPOINT", "RELEASE")):
            statements.append(statement)

    event.listen(world.node.engine, "before_cursor_execute", count)
    try:
        request = world.submit(project_title="Second study")
    finally:
        event.remove(world.node.engine, "before_cursor_execute", count)
    assert request["state"] == "referred", request["engine"]
    assert request["messages"] == []
    # No one's role rows are loaded (the committee is found by one query over them), and the
    # new request's empty thread and votes are not read back.
    role_loads = [s for s in statements if s.startswith("SELECT role_assignments.")]
    read_back = [s for s in statements if "FROM access_request_messages" in s]
    read_back += [s for s in statements if "FROM access_votes" in s]
    assert not role_loads and not read_back, "\n".join(role_loads + read_back)


def test_a_published_agreement_document_is_parsed_once(world: World) -> None:
    ref = world.govern(agreement())
    world.submit()
    document = governing._published_documents[ref]
    world.submit(project_title="Second study")
    assert governing._published_documents[ref] is document
