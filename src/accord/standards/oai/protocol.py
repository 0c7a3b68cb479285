"""OAI-PMH 2.0 requests: the six verbs, their arguments, and the errors bad requests get.

``parse_request`` turns the request's arguments (GET query or POST form, as key/value pairs in
order) into one typed request, or raises ``OaiError``: ``badVerb`` for a missing, repeated or
unknown verb (§3.1.1.2); ``badArgument`` for an illegal, repeated or missing argument, a
resumption token with other arguments (it is exclusive), a malformed date, dates of different
granularities, or ``from`` after ``until`` (§3.3.1).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from accord.standards.oai.errors import OaiError

VERBS = (
    "Identify",
    "ListMetadataFormats",
    "ListSets",
    "ListIdentifiers",
    "ListRecords",
    "GetRecord",
)
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_SECONDS = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
_ALLOWED = {
    "Identify": set(),
    "ListMetadataFormats": {"identifier"},
    "ListSets": {"resumptionToken"},
    "ListIdentifiers": {"metadataPrefix", "from", "until", "set", "resumptionToken"},
    "ListRecords": {"metadataPrefix", "from", "until", "set", "resumptionToken"},
    "GetRecord": {"identifier", "metadataPrefix"},
}
_REQUIRED = {"GetRecord": {"identifier", "metadataPrefix"}}
Pairs = Sequence[tuple[str, str]]


@dataclass(frozen=True)
class Identify:
    pass


@dataclass(frozen=True)
class ListMetadataFormats:
    identifier: str | None


@dataclass(frozen=True)
class ListSets:
    resumption_token: str | None


@dataclass(frozen=True)
class ListRequest:
    """ListIdentifiers or ListRecords: a new list, or the next page of one (``token``)."""

    verb: str
    prefix: str | None = None
    set_spec: str | None = None
    start: int | None = None
    until: int | None = None
    token: str | None = None


@dataclass(frozen=True)
class GetRecord:
    identifier: str
    prefix: str


Request = Identify | ListMetadataFormats | ListSets | ListRequest | GetRecord


def parse_request(pairs: Pairs) -> Request:
    """The typed request for these arguments, or ``OaiError``."""
    verb = _verb(pairs)
    args = _arguments(verb, pairs)
    if verb == "Identify":
        return Identify()
    if verb == "ListMetadataFormats":
        return ListMetadataFormats(args.get("identifier"))
    if verb == "ListSets":
        return ListSets(args.get("resumptionToken"))
    if verb == "GetRecord":
        return GetRecord(args["identifier"], args["metadataPrefix"])
    return _list_request(verb, args)


def request_attributes(pairs: Pairs) -> dict[str, str]:
    """The arguments echoed in ``<request>``: only for requests free of badVerb/badArgument."""
    return dict(pairs)


def parse_datestamp(value: str, *, end_of_day: bool) -> tuple[int, str]:
    """A ``from``/``until`` value as epoch seconds and its granularity (``day``/``seconds``).

    ``YYYY-MM-DD`` covers the whole day: as ``until`` it means its last second.
    """
    try:
        if _SECONDS.match(value):
            moment = datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
            return int(moment.timestamp()), "seconds"
        if _DAY.match(value):
            day = datetime.strptime(value, "%Y-%m-%d").replace(tzinfo=UTC)
            if end_of_day:
                day += timedelta(days=1, seconds=-1)
            return int(day.timestamp()), "day"
    except ValueError:
        pass
    raise OaiError(
        "badArgument",
        f"{value!r} is not a UTC datestamp (YYYY-MM-DD or YYYY-MM-DDThh:mm:ssZ)",
    )


def format_datestamp(moment: datetime) -> str:
    """``YYYY-MM-DDThh:mm:ssZ`` (called once per record of every list: kept cheap)."""
    if moment.tzinfo is not UTC:
        moment = moment.astimezone(UTC)
    return moment.isoformat(timespec="seconds")[:19] + "Z"


def _verb(pairs: Pairs) -> str:
    verbs = [value for key, value in pairs if key == "verb"]
    if len(verbs) != 1:
        raise OaiError("badVerb", "give exactly one verb" if verbs else "the verb is missing")
    if verbs[0] not in VERBS:
        raise OaiError("badVerb", f"{verbs[0][:60]!r} is not an OAI-PMH verb")
    return verbs[0]


def _arguments(verb: str, pairs: Pairs) -> dict[str, str]:
    args: dict[str, str] = {}
    for key, value in pairs:
        if key == "verb":
            continue
        if key not in _ALLOWED[verb]:
            raise OaiError("badArgument", f"{verb} does not take the argument {key[:60]!r}")
        if key in args:
            raise OaiError("badArgument", f"the argument {key!r} is repeated")
        args[key] = value
    if "resumptionToken" in args and len(args) > 1:
        raise OaiError("badArgument", "resumptionToken is an exclusive argument")
    missing = _REQUIRED.get(verb, set()) - set(args)
    if verb in {"ListIdentifiers", "ListRecords"} and "resumptionToken" not in args:
        missing |= {"metadataPrefix"} - set(args)
    if missing:
        raise OaiError("badArgument", f"{verb} needs the argument(s) {', '.join(sorted(missing))}")
    return args


def _list_request(verb: str, args: dict[str, str]) -> ListRequest:
    if "resumptionToken" in args:
        return ListRequest(verb, token=args["resumptionToken"])
    start = until = None
    granularities: set[str] = set()
    if "from" in args:
        start, granularity = parse_datestamp(args["from"], end_of_day=False)
        granularities.add(granularity)
    if "until" in args:
        until, granularity = parse_datestamp(args["until"], end_of_day=True)
        granularities.add(granularity)
    if len(granularities) > 1:
        raise OaiError("badArgument", "from and until must have the same granularity")
    if start is not None and until is not None and start > until:
        raise OaiError("badArgument", "from is later than until")
    return ListRequest(
        verb, prefix=args["metadataPrefix"], set_spec=args.get("set"), start=start, until=until
    )
