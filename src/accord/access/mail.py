"""Email: an outbox written in the action's transaction, delivered over SMTP after commit.

A notification's email is a row of ``access_email_outbox`` written in the same transaction as
the step it reports, so no email goes out for a step that rolled back, and none is lost for a
step that committed: rows still pending (relay down) are retried by the access sweep.
Delivery goes through a ``MailTransport``; ``SmtpTransport`` speaks SMTP (RFC 5321) with the
standard library. Mail is off unless ``ACCORD_SMTP_HOST`` (or ``configure_mail``) names a relay.
"""

from __future__ import annotations

import smtplib
import threading
import weakref
from collections.abc import Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Protocol

from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy import select
from sqlalchemy.orm import Session

from accord import ledger
from accord.access.models import OutboxEmail
from accord.node import NodeContext, node_of

PENDING, SENT, FAILED = "pending", "sent", "failed"
MAX_ATTEMPTS = 5


class MailSettings(BaseSettings):
    """The SMTP relay (``ACCORD_SMTP_HOST``, ``ACCORD_SMTP_PORT``...); no host: no email."""

    model_config = SettingsConfigDict(env_prefix="ACCORD_SMTP_", extra="ignore")

    host: str | None = None
    port: int = 25
    sender: str = "accord@localhost"
    starttls: bool = False
    username: str | None = None
    password: SecretStr | None = None
    timeout: float = 10.0


@dataclass(frozen=True)
class Email:
    to: str
    subject: str
    body: str


class MailTransport(Protocol):
    def deliver(self, email: Email) -> None:
        """Hand ``email`` to the relay; raise ``OSError``/``smtplib.SMTPException`` on failure."""
        ...


class SmtpTransport:
    """Delivers through an SMTP relay, with STARTTLS and login when configured."""

    def __init__(self, settings: MailSettings) -> None:
        if not settings.host:
            raise ValueError("SmtpTransport needs a host")
        self._settings = settings
        self._host = settings.host

    def deliver(self, email: Email) -> None:
        settings = self._settings
        message = EmailMessage()
        message["From"] = settings.sender
        message["To"] = email.to
        message["Subject"] = email.subject
        message["Message-ID"] = make_msgid(domain="accord")
        message.set_content(email.body)
        with smtplib.SMTP(self._host, settings.port, timeout=settings.timeout) as smtp:
            if settings.starttls:
                smtp.starttls()
            if settings.username and settings.password:
                smtp.login(settings.username, settings.password.get_secret_value())
            smtp.send_message(message)


_SETTINGS: weakref.WeakKeyDictionary[NodeContext, MailSettings] = weakref.WeakKeyDictionary()
_LOCK = threading.Lock()


def mail_settings_of(node: NodeContext) -> MailSettings:
    """The node's mail settings, read from the environment once per node."""
    with _LOCK:
        settings = _SETTINGS.get(node)
        if settings is None:
            settings = _SETTINGS[node] = MailSettings()
        return settings


def configure_mail(node: NodeContext, settings: MailSettings) -> None:
    """Set the node's mail settings explicitly (embedding, tests)."""
    with _LOCK:
        _SETTINGS[node] = settings


def transport_of(node: NodeContext) -> MailTransport | None:
    settings = mail_settings_of(node)
    return SmtpTransport(settings) if settings.host else None


def deliver_pending(
    node: NodeContext, transport: MailTransport, ids: Sequence[str] | None = None
) -> int:
    """Send pending outbox emails (``ids``, or all); returns how many went out.

    Runs in its own session after the step's commit; each attempt is logged, and a failed row
    stays pending until it has failed ``MAX_ATTEMPTS`` times.
    """
    sent = 0
    with node.session() as session:
        for row in _pending(session, ids):
            sent += _attempt(session, transport, row)
        session.commit()
    return sent


def _pending(session: Session, ids: Sequence[str] | None) -> Sequence[OutboxEmail]:
    query = select(OutboxEmail).where(OutboxEmail.state == PENDING).order_by(OutboxEmail.id)
    if ids is not None:
        query = query.where(OutboxEmail.id.in_(ids))
    return session.scalars(query.limit(500)).all()


def _attempt(session: Session, transport: MailTransport, row: OutboxEmail) -> int:
    """One delivery attempt, logged (``access.email.sent`` or ``access.email.failed``)."""
    row.attempts += 1
    try:
        transport.deliver(Email(row.to_address, row.subject, row.body))
    except (OSError, smtplib.SMTPException) as failure:
        row.last_error = f"{type(failure).__name__}: {failure}"[:500]
        if row.attempts >= MAX_ATTEMPTS:
            row.state = FAILED
        _log(session, "access.email.failed", row)
        return 0
    row.state = SENT
    row.sent_at = node_of(session).clock.now()
    _log(session, "access.email.sent", row)
    return 1


def _log(session: Session, event_type: str, row: OutboxEmail) -> None:
    ledger.append(
        session,
        ledger.Event(
            event_type,
            public={
                "email": row.id,
                "notification": row.notification_id,
                "attempt": row.attempts,
                "state": row.state,
            },
            record={"to": row.to_address, "subject": row.subject, "error": row.last_error},
        ),
    )
