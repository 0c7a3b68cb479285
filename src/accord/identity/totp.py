"""The TOTP second factor (RFC 6238): enrolment, verification without replay, recovery codes.

Codes are the usual six digits over 30-second steps (SHA-1), which every authenticator app
reads from an ``otpauth://`` URI or from the key typed in by hand. A code is accepted one step
either side of the node's clock, and only for a step later than the last one used, so a code
seen over a shoulder cannot be used again (RFC 6238 §5.2). Recovery codes are single-use and
stored as Argon2id hashes, like passwords.

A user who loses or changes their device replaces their key themselves: once their password and
a current code or a recovery code are checked (``identity.signin``), :func:`new_replacement`
hands them a new key sealed for replacement only, for ten minutes, and
:func:`confirm_replacement` swaps it in when a code from the new app matches (decision 1317).
"""

from __future__ import annotations

import base64
import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from accord import ledger
from accord.errors import Conflict, FieldError, InvalidInput, NotFound, Unauthenticated
from accord.i18n.translate import N_
from accord.identity.models import RecoveryCode, TotpCredential, TotpStep, User
from accord.identity.principal import Principal
from accord.identity.sealing import seal, sealing_key, unseal
from accord.ids import new_id
from accord.node import node_of

PERIOD = 30
DIGITS = 6
WINDOW = 1
RECOVERY_CODES = 10
REPLACEMENT_LIFETIME = timedelta(minutes=10)

Factor = Literal["totp", "recovery-code"]

CODE_HASHER = PasswordHasher(time_cost=2, memory_cost=8 * 1024, parallelism=1)
"""Argon2id for recovery codes: lighter than for passwords because each code is 40 random bits
(not a guessable word), so ten of them hash in well under a second (decision 1302)."""


@dataclass(frozen=True)
class Enrolment:
    """A new TOTP key, shown once: the key for typing in, the URI for apps, and a sealed copy
    that the confirmation form sends back (nothing is stored until a code from it is shown)."""

    secret: str
    uri: str
    sealed: str


@dataclass(frozen=True)
class TotpStatus:
    enrolled: bool
    enrolled_at: datetime | None
    recovery_codes_left: int


def new_enrolment(session: Session, user: User) -> Enrolment:
    secret = pyotp.random_base32()
    uri = pyotp.TOTP(secret, digits=DIGITS, interval=PERIOD).provisioning_uri(
        name=user.email, issuer_name=f"Accord {node_of(session).identity.name}"
    )
    sealed = seal(_key(session), secret.encode(), _purpose(user.id))
    return Enrolment(secret, uri, base64.urlsafe_b64encode(sealed).decode())


def confirm_enrolment(
    session: Session, actor: Principal, user: User, sealed: str, code: str
) -> list[str]:
    """Store the key sealed in ``sealed`` once ``code`` shows the user's app holds it; returns
    the recovery codes (shown once)."""
    secret = _unseal_form(session, user.id, sealed)
    now = _now(session)
    step = _matching_step(secret, _digits(code), now)
    if step is None:
        raise _new_key_mismatch()
    codes = _enrol(session, actor, user, secret, now)
    session.add(TotpStep(user_id=user.id, last_step=step))
    return codes


def new_replacement(session: Session, user: User) -> Enrolment:
    """A new key for a user whose password and second factor were just checked: sealed for
    replacing their key (not for a first enrolment), with the time it was issued."""
    if session.get(TotpCredential, user.id) is None:
        raise _not_enrolled()
    secret = pyotp.random_base32()
    uri = pyotp.TOTP(secret, digits=DIGITS, interval=PERIOD).provisioning_uri(
        name=user.email, issuer_name=f"Accord {node_of(session).identity.name}"
    )
    issued = int(_now(session).timestamp())
    sealed = seal(_key(session), f"{issued}:{secret}".encode(), _replacing(user.id))
    return Enrolment(secret, uri, base64.urlsafe_b64encode(sealed).decode())


def confirm_replacement(
    session: Session, actor: Principal, user: User, sealed: str, code: str
) -> list[str]:
    """Replace the user's key with the one in ``sealed`` once ``code`` shows their new app
    holds it; the old key and recovery codes stop working. Returns the new recovery codes."""
    issued, _, secret = _unseal_form(session, user.id, sealed, _replacing).partition(":")
    now = _now(session)
    if not issued.isdigit() or now.timestamp() - int(issued) > REPLACEMENT_LIFETIME.total_seconds():
        raise InvalidInput(
            N_("this new key was handed out more than ten minutes ago"),
            code="identity.totp-replacement-expired",
            hint=N_("start again: enter your password and a code to get a new key"),
        )
    step = _matching_step(secret, _digits(code), now)
    if step is None:
        raise _new_key_mismatch()
    if session.get(TotpCredential, user.id) is None:
        raise _not_enrolled()
    _remove(session, user.id)
    session.flush()
    codes = _enrol(session, actor, user, secret, now, "identity.totp.replaced")
    session.add(TotpStep(user_id=user.id, last_step=step))
    return codes


def enrol_for(session: Session, actor: Principal, user: User) -> tuple[Enrolment, list[str]]:
    """Enrol ``user`` at once (an administrator hands the key over): key and recovery codes."""
    enrolment = new_enrolment(session, user)
    codes = _enrol(session, actor, user, enrolment.secret, _now(session))
    return enrolment, codes


def reset(session: Session, actor: Principal, user: User) -> None:
    """Remove the user's key and recovery codes; they enrol again at their next sign-in."""
    if session.get(TotpCredential, user.id) is None:
        raise _not_enrolled()
    _remove(session, user.id)
    ledger.append(
        session,
        ledger.Event(
            "identity.totp.reset",
            subjects={"actor": actor.user_id, "user": user.id},
        ),
    )


def status(session: Session, user_id: str) -> TotpStatus:
    credential = session.get(TotpCredential, user_id)
    left = len(_unused_codes(session, user_id))
    return TotpStatus(credential is not None, credential.enrolled_at if credential else None, left)


def is_enrolled(session: Session, user_id: str) -> bool:
    return session.get(TotpCredential, user_id) is not None


def verify(session: Session, user: User, code: str) -> Factor:
    """Accept a current TOTP code or an unused recovery code, or raise ``Unauthenticated``."""
    credential = session.get(TotpCredential, user.id)
    if credential is None:
        raise _not_enrolled()
    code = code.strip().replace(" ", "")
    if "-" in code or not code.isdigit():
        _use_recovery_code(session, user, code.lower())
        return "recovery-code"
    secret = unseal(_key(session), credential.secret_sealed, _purpose(user.id)).decode()
    step = _matching_step(secret, code, _now(session))
    if step is None:
        raise _wrong_code()
    if not _advance(session, user.id, step):
        raise Unauthenticated(
            N_("this code was used already"),
            code="identity.totp-replayed",
            hint=N_("wait for the next code from your app"),
        )
    return "totp"


def current_code(secret: str, moment: datetime) -> str:
    """The code an authenticator app shows at ``moment`` (for tests and the CLI's checks)."""
    return pyotp.TOTP(secret, digits=DIGITS, interval=PERIOD).at(moment)


# --- helpers ---------------------------------------------------------------------------------


def _enrol(
    session: Session,
    actor: Principal,
    user: User,
    secret: str,
    now: datetime,
    event: str = "identity.totp.enrolled",
) -> list[str]:
    if session.get(TotpCredential, user.id) is not None:
        raise Conflict(
            N_("this user has a TOTP key already"),
            code="identity.totp-enrolled",
            hint=N_("an administrator can reset it with `accord user totp reset`"),
        )
    session.add(
        TotpCredential(
            user_id=user.id,
            secret_sealed=seal(_key(session), secret.encode(), _purpose(user.id)),
            enrolled_at=now,
        )
    )
    codes = _recovery_codes()
    session.add_all(
        RecoveryCode(
            id=new_id("rcv"),
            user_id=user.id,
            lookup=c[:4],
            code_hash=CODE_HASHER.hash(c),
            created_at=now,
        )
        for c in codes
    )
    ledger.append(
        session,
        ledger.Event(
            event,
            subjects={"actor": actor.user_id, "user": user.id},
            public={"recovery_codes": len(codes)},
        ),
    )
    return codes


def _remove(session: Session, user_id: str) -> None:
    for table in (TotpCredential, TotpStep, RecoveryCode):
        session.execute(delete(table).where(table.user_id == user_id))


def _not_enrolled() -> NotFound:
    return NotFound(N_("this user has no TOTP key"), code="identity.totp-not-enrolled")


def _new_key_mismatch() -> InvalidInput:
    return InvalidInput(
        N_("that code does not match the new key"),
        code="identity.totp-wrong-code",
        errors=[FieldError("code", N_("does not match"))],
        hint=N_("check the clock of the device with the authenticator app, then try the next code"),
    )


def _matching_step(secret: str, code: str, now: datetime) -> int | None:
    """The time step within the window whose code is ``code`` (latest first), if any."""
    if len(code) != DIGITS or not code.isdigit():
        return None
    totp = pyotp.TOTP(secret, digits=DIGITS, interval=PERIOD)
    current = int(now.timestamp()) // PERIOD
    for step in range(current + WINDOW, current - WINDOW - 1, -1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def _advance(session: Session, user_id: str, step: int) -> bool:
    """Record ``step`` as used unless it (or a later one) was used before; atomic."""
    moved = session.execute(
        update(TotpStep)
        .where(TotpStep.user_id == user_id, TotpStep.last_step < step)
        .values(last_step=step)
    )
    if moved.rowcount:  # type: ignore[attr-defined]
        return True
    if session.get(TotpStep, user_id, populate_existing=True) is not None:
        return False
    try:
        with session.begin_nested():
            session.add(TotpStep(user_id=user_id, last_step=step))
    except IntegrityError:
        return False
    return True


def _use_recovery_code(session: Session, user: User, code: str) -> None:
    now = _now(session)
    unused = _unused_codes(session, user.id)
    candidate = next((row for row in unused if row.lookup == code[:4]), None)
    if candidate is None or not _code_matches(candidate.code_hash, code):
        raise _wrong_code()
    candidate.used_at = now
    ledger.append(
        session,
        ledger.Event(
            "identity.recovery-code.used",
            subjects={"user": user.id},
            public={"recovery_codes_left": len(unused) - 1},
        ),
    )


def _code_matches(code_hash: str, code: str) -> bool:
    try:
        return CODE_HASHER.verify(code_hash, code)
    except (VerificationError, InvalidHashError):
        return False


def _unused_codes(session: Session, user_id: str) -> list[RecoveryCode]:
    return list(
        session.scalars(
            select(RecoveryCode).where(
                RecoveryCode.user_id == user_id, RecoveryCode.used_at.is_(None)
            )
        )
    )


def _wrong_code() -> Unauthenticated:
    return Unauthenticated(
        N_("wrong code"),
        code="identity.totp-wrong-code",
        hint=N_("enter the current code from your authenticator app, or a recovery code"),
    )


def _recovery_codes() -> list[str]:
    """Codes ``llll-sssss-sssss``: a lookup group distinct among the user's codes, then 40
    random bits."""
    lookups: set[str] = set()
    while len(lookups) < RECOVERY_CODES:
        lookups.add(secrets.token_hex(2))
    codes = []
    for lookup in sorted(lookups):
        raw = secrets.token_hex(5)
        codes.append(f"{lookup}-{raw[:5]}-{raw[5:]}")
    return codes


def _digits(code: str) -> str:
    return code.strip().replace(" ", "")


def _unseal_form(
    session: Session, user_id: str, sealed: str, purpose: Callable[[str], str] | None = None
) -> str:
    try:
        raw = base64.urlsafe_b64decode(sealed.encode())
    except ValueError:
        raw = b""
    return unseal(_key(session), raw, (purpose or _purpose)(user_id)).decode()


def _purpose(user_id: str) -> str:
    return f"totp:{user_id}"


def _replacing(user_id: str) -> str:
    return f"totp-replacement:{user_id}"


def _key(session: Session) -> bytes:
    return sealing_key(node_of(session).pseudonym_key)


def _now(session: Session) -> datetime:
    return node_of(session).clock.now()
