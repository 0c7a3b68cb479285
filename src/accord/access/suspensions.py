"""Suspensions in force: what pauses grants and bars new ones (read by checks and the engine)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from accord.access.models import Sanction, SanctionKind, SanctionSubject


def suspensions_of(
    session: Session, user_id: str, organisation_id: str | None, now: datetime
) -> list[Sanction]:
    """Suspensions in force now on the user or on their organisation."""
    subjects = [(Sanction.subject_kind == SanctionSubject.USER) & (Sanction.subject_id == user_id)]
    if organisation_id is not None:
        subjects.append(
            (Sanction.subject_kind == SanctionSubject.ORGANISATION)
            & (Sanction.subject_id == organisation_id)
        )
    rows = session.scalars(
        select(Sanction).where(
            Sanction.kind == SanctionKind.SUSPENSION,
            Sanction.lifted_at.is_(None),
            Sanction.starts_at <= now,
            or_(*subjects),
        )
    ).all()
    return [s for s in rows if s.in_force(now)]
