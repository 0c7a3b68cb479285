"""Notifications and their emails are written in the language their recipient reads."""

from __future__ import annotations

from email.header import decode_header, make_header

from accord.identity import service
from accord.identity.schemas import Preferences
from accord.node import NodeContext
from tests.access.conftest import World
from tests.access.test_notifications import Sink, smtp  # noqa: F401


def _reads(node: NodeContext, user_id: str, language: str) -> None:
    with node.session() as s:
        me = service.principal_for(service.get_user(s, user_id), via="test")
        service.set_preferences(s, me, Preferences(language=language))
        s.commit()


def test_the_email_and_inbox_are_in_the_recipients_language(
    world: World,
    smtp: Sink,  # noqa: F811
) -> None:
    _reads(world.node, world.researcher.id, "fr")
    _reads(world.node, world.member.id, "ar")
    request = world.submit()
    world.decide(request["id"], outcome="deny")

    inbox = world.client.get("/api/v1/notifications", headers=world.researcher.headers).json()
    denied = inbox["items"][-1]
    assert denied["title"] == f"La demande {request['id']} a été refusée"
    assert "Vous pouvez faire appel jusqu’au" in denied["body"]

    messages = {to[0]: message for to, message in smtp.messages}
    french = messages[world.researcher.email]
    assert str(make_header(decode_header(french["Subject"]))) == (
        f"[Accord] La demande {request['id']} a été refusée"
    )
    body = french.get_payload(decode=True).decode()
    assert "Vous pouvez faire appel jusqu’au" in body
    assert "Nœud Accord Test node" in body

    arabic = messages[world.member.email]
    subject = str(make_header(decode_header(arabic["Subject"])))
    assert subject.startswith("[Accord] طلب جديد للمراجعة:")


def test_without_a_setting_notifications_stay_in_english_whatever_the_actor_reads(
    world: World,
) -> None:
    request = world.submit()
    decided = world.client.post(
        f"/api/v1/requests/{request['id']}/decision",
        json={"outcome": "deny", "reasons": "Out of scope."},
        headers={**world.member.headers, "Accept-Language": "es"},
    )
    assert decided.status_code == 200, decided.text
    inbox = world.client.get("/api/v1/notifications", headers=world.researcher.headers).json()
    assert inbox["items"][-1]["title"] == f"Request {request['id']} was denied"
