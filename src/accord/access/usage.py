""" "Can I use this?": the engine's answer for the signed-in user, a stated purpose and a
dataset version of any tier that an agreement governs. Nothing is stored or logged: the
question changes no state (DESIGN.md rule 1 applies to changes only).

The answer is the one a request would get now, from the same evaluation (the user's
organisation, accreditations with their expiry, suspensions in force, earlier grants), except
that the question may state another country than the user's (where the data would be used).
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import Field
from sqlalchemy.orm import Session

from accord.access.evaluation import Asked, decide
from accord.access.governing import Governing, governing_agreement
from accord.access.requests import requester
from accord.access.schemas import Purpose
from accord.agreements import service as agreements
from accord.agreements.decision import Decision, Mode
from accord.agreements.durations import Duration
from accord.catalog import service as catalog
from accord.catalog.models import DatasetVersion, VersionState
from accord.errors import Conflict, NotFound
from accord.i18n.translate import _l
from accord.identifiers import CountryCode
from accord.identity.principal import Principal


class UseQuestion(Purpose):
    """A stated purpose, and where the data would be used (the user's country when absent)."""

    country: CountryCode | None = Field(
        default=None, description="ISO 3166-1 alpha-2 country of use (default: the user's)"
    )


@dataclass(frozen=True)
class UseAnswer:
    version: DatasetVersion
    governing: Governing
    decision: Decision
    country: str


def use_check(
    session: Session, viewer: Principal, dataset_id: str, number: int, question: UseQuestion
) -> UseAnswer:
    """What the engine decides for ``viewer`` using ``dataset_id@v<number>`` as stated."""
    version = governed_version(session, viewer, dataset_id, number)
    user = requester(session, viewer)
    asked = Asked(
        purpose_codes=tuple(question.purpose),
        disease_codes=tuple(question.diseases),
        commercial=question.commercial,
        ethics_approval=question.ethics_approval,
        project=None,
        mode=Mode.DOWNLOAD,
        duration=Duration(months=12),
        country=question.country,
    )
    governing = governing_agreement(session, version)
    decision = decide(session, user, governing, asked)
    return UseAnswer(version, governing, decision, question.country or user.country)


def governed_version(
    session: Session, viewer: Principal | None, dataset_id: str, number: int
) -> DatasetVersion:
    """A published version that an agreement governs (others have nothing to check)."""
    version = catalog.get_version(session, dataset_id, number, viewer)
    if version.state != VersionState.PUBLISHED:
        raise Conflict(
            _l(
                "%(dataset_id)s@v%(number)s is %(state)s: only published versions are checked",
                dataset_id=dataset_id,
                number=number,
                state=version.state,
            ),
            code="access.version-not-published",
        )
    if agreements.governing(session, version.id) is None:
        raise NotFound(
            _l(
                "no agreement governs %(dataset_id)s@v%(number)s: its tier and licence apply",
                dataset_id=dataset_id,
                number=number,
            ),
            code="agreements.none-attached",
        )
    return version
