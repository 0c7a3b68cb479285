"""The inbox and email: every step tells the people concerned; with an SMTP relay configured the
same message goes out by email after the step commits (tested against a local aiosmtpd sink)."""

from __future__ import annotations

import email
import socket
from collections.abc import Iterator
from email.message import Message

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from accord.access.mail import MailSettings, configure_mail
from accord.access.models import OutboxEmail
from tests.access.conftest import World, event_types
from tests.catalog.conftest import assert_problem


class Sink:
    """An aiosmtpd handler that keeps what it receives."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], Message]] = []

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.content if isinstance(envelope.content, bytes) else b""
        self.messages.append((list(envelope.rcpt_tos), email.message_from_bytes(content)))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture
def smtp(world: World) -> Iterator[Sink]:
    sink = Sink()
    port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    configure_mail(world.node, MailSettings(host="127.0.0.1", port=port, sender="dac@node.test"))
    yield sink
    controller.stop()


def test_inbox_tells_requester_and_committee(world: World) -> None:
    request = world.submit()
    member_inbox = world.client.get("/api/v1/notifications", headers=world.member.headers).json()
    assert [n["kind"] for n in member_inbox["items"]] == ["request.referred"]
    assert member_inbox["items"][0]["link"] == f"/access/reviews/{request['id']}"
    world.decide(request["id"], outcome="deny")
    inbox = world.client.get(
        "/api/v1/notifications", headers=world.researcher.headers, params={"unread": True}
    ).json()
    assert [n["kind"] for n in inbox["items"]] == ["request.denied"]
    first = inbox["items"][0]["id"]
    read = world.client.post(
        f"/api/v1/notifications/{first}/receipt", headers=world.researcher.headers
    )
    assert read.json()["read_at"] is not None
    unread = world.client.get(
        "/api/v1/notifications", headers=world.researcher.headers, params={"unread": True}
    ).json()
    assert unread["items"] == []
    assert_problem(
        world.client.post(f"/api/v1/notifications/{first}/receipt", headers=world.member.headers),
        404,
        "access.notification-not-found",
    )
    assert "access.notification.read" in event_types(world.node)


def test_email_goes_out_after_commit(world: World, smtp: Sink) -> None:
    request = world.submit()
    world.decide(request["id"], outcome="deny")
    recipients = [to for to, _ in smtp.messages]
    with world.node.session() as s:
        rows = s.query(OutboxEmail).order_by(OutboxEmail.id).all()
        addresses = [r.to_address for r in rows]
        assert {r.state for r in rows} == {"sent"}
    assert recipients == [[a] for a in addresses]
    denied = smtp.messages[-1][1]
    assert denied["Subject"] == f"[Accord] Request {request['id']} was denied"
    assert denied["From"] == "dac@node.test"
    body = denied.get_payload(decode=True)
    assert isinstance(body, bytes)
    assert f"http://testserver/access/requests/{request['id']}".encode() in body
    assert "access.email.sent" in event_types(world.node)


def test_undelivered_email_is_retried_by_the_sweep(world: World) -> None:
    port = free_port()
    configure_mail(world.node, MailSettings(host="127.0.0.1", port=port, timeout=2.0))
    world.submit()
    with world.node.session() as s:
        pending = s.query(OutboxEmail).all()
        assert [r.state for r in pending] == ["pending"]
        assert pending[0].last_error
    sink = Sink()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        swept = world.client.post("/api/v1/access-sweeps", headers=world.admin.headers).json()
    finally:
        controller.stop()
    assert swept["emails_retried"] == 1
    assert len(sink.messages) == 1
    types = event_types(world.node)
    assert types.index("access.email.failed") < types.index("access.email.sent")


def test_no_relay_no_outbox(world: World) -> None:
    world.submit()
    with world.node.session() as s:
        assert s.query(OutboxEmail).count() == 0
