"""Telling people what happened: an in-app inbox, and email when the node has a relay.

``notify`` writes the inbox row (and, with mail configured, an outbox email) in the caller's
transaction, beside the ledger entry of the step it reports; the email is sent once that
transaction commits. Marking a message read, and each delivery attempt, are logged too.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import event, func, select
from sqlalchemy.orm import Session, lazyload

from accord import ledger
from accord.access.mail import PENDING, deliver_pending, transport_of
from accord.access.models import Notification, OutboxEmail
from accord.errors import NotFound
from accord.i18n.locales import SOURCE
from accord.i18n.translate import _l, gettext, use_locale
from accord.identity.models import User
from accord.ids import new_id
from accord.node import node_of
from accord.paging import fetch_page

_QUEUED = "accord.access.outbox"


def notify(
    session: Session, user_id: str, kind: str, title: str, body: str, link: str | None = None
) -> Notification:
    """Put a message in ``user_id``'s inbox (and their mailbox, when mail is on).

    ``title`` and ``body`` are written in the language the recipient reads (their account's
    setting, else English): mark them for translation (``_l``) where they are composed.
    """
    node = node_of(session)
    now = node.clock.now()
    recipient = session.get(User, user_id, options=[lazyload(User.roles)])
    language = recipient.language if recipient and recipient.language else SOURCE
    with use_locale(language):
        row = Notification(
            id=new_id("ntf"),
            user_id=user_id,
            kind=kind,
            title=gettext(title)[:300],
            body=gettext(body),
            link=link,
            created_at=now,
            read_at=None,
        )
        session.add(row)
        if recipient is not None and transport_of(node) is not None:
            _queue_email(session, row, recipient)
    return row


def inbox(
    session: Session,
    user_id: str,
    *,
    unread_only: bool = False,
    limit: int = 50,
    cursor: str | None = None,
) -> tuple[Sequence[Notification], str | None]:
    """The newest messages first would break id cursors; the inbox pages oldest first."""
    query = select(Notification).where(Notification.user_id == user_id)
    if unread_only:
        query = query.where(Notification.read_at.is_(None))
    return fetch_page(session, query, Notification.id, limit=limit, cursor=cursor)


def unread_count(session: Session, user_id: str) -> int:
    count = session.scalar(
        select(func.count())
        .select_from(Notification)
        .where(Notification.user_id == user_id, Notification.read_at.is_(None))
    )
    return int(count or 0)


def mark_read(session: Session, user_id: str, notification_id: str) -> Notification:
    row = session.get(Notification, notification_id)
    if row is None or row.user_id != user_id:
        raise NotFound(
            _l("no notification %(notification_id)r", notification_id=notification_id),
            code="access.notification-not-found",
        )
    if row.read_at is None:
        row.read_at = node_of(session).clock.now()
        ledger.append(
            session,
            ledger.Event(
                "access.notification.read",
                subjects={"actor": user_id},
                public={"notification": row.id, "kind": row.kind},
            ),
        )
    return row


def _queue_email(session: Session, notification: Notification, user: User) -> None:
    email = OutboxEmail(
        id=new_id("eml"),
        notification_id=notification.id,
        to_address=user.email,
        subject=f"[Accord] {notification.title}"[:300],
        body=_email_body(session, notification),
        state=PENDING,
        attempts=0,
        last_error=None,
        created_at=notification.created_at,
        sent_at=None,
    )
    session.add(email)
    queued: list[str] | None = session.info.get(_QUEUED)
    if queued is None:
        queued = session.info[_QUEUED] = []
        event.listen(session, "after_commit", _send_after_commit, once=True)
        event.listen(session, "after_rollback", _forget_queued, once=True)
    queued.append(email.id)


def _email_body(session: Session, notification: Notification) -> str:
    base = node_of(session).identity.base_url
    link = f"\n\n{base}{notification.link}" if notification.link else ""
    signature = gettext(_l("Accord node %(name)s", name=node_of(session).identity.name))
    return f"{notification.body}{link}\n\n-- \n{signature}\n"


def _send_after_commit(session: Session, *_: Any) -> None:
    ids: list[str] = session.info.pop(_QUEUED, [])
    node = node_of(session)
    transport = transport_of(node)
    if ids and transport is not None:
        deliver_pending(node, transport, ids)


def _forget_queued(session: Session, *_: Any) -> None:
    session.info.pop(_QUEUED, None)
