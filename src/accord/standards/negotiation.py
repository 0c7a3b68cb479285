"""HTTP content negotiation (RFC 9110 §12.5.1 ``Accept``) for dataset URLs.

``negotiate`` picks, among the server's ``Offer``s, the one the client rates highest: an
offer's quality is the ``q`` of the most specific media range that matches it (an exact type
with parameters beats an exact type, which beats ``type/*``, which beats ``*/*``); ``q=0``
refuses; ties go to the server's order. A ``profile`` parameter (JSON-LD profiles, W3C
dx-prof-conneg) must match the offer's profile when the range names one.
"""

from __future__ import annotations

from dataclasses import dataclass, field

MAX_RANGES = 40


@dataclass(frozen=True)
class MediaRange:
    type: str
    subtype: str
    params: dict[str, str] = field(default_factory=dict)
    q: float = 1.0

    def specificity(self, offer: Offer) -> int:
        """How closely this range matches ``offer`` (-1: not at all)."""
        kind, _, sub = offer.media_type.partition("/")
        profile = self.params.get("profile")
        if profile is not None and profile != offer.profile:
            return -1
        if self.type == "*" and self.subtype == "*":
            return 0
        if self.type != kind:
            return -1
        if self.subtype == "*":
            return 1
        if self.subtype != sub:
            return -1
        return 3 if profile is not None else 2


@dataclass(frozen=True)
class Offer:
    """A representation the server can send: its media type, optional profile, and what
    serves it (an export name, ``html`` or ``citation``)."""

    media_type: str
    target: str
    profile: str | None = None


@dataclass(frozen=True)
class Choice:
    offer: Offer
    media_range: MediaRange


def parse_accept(header: str | None) -> list[MediaRange]:
    """The media ranges of an ``Accept`` header; a missing or empty header accepts anything."""
    if not header or not header.strip():
        return [MediaRange("*", "*")]
    return [r for part in header.split(",")[:MAX_RANGES] if (r := _parse_range(part))]


def negotiate(header: str | None, offers: list[Offer]) -> Choice | None:
    """The best offer for ``header``, or None when the client accepts none of them."""
    ranges = parse_accept(header)
    best: Choice | None = None
    best_q = 0.0
    for offer in offers:
        matching = [(r.specificity(offer), r) for r in ranges]
        matching = [(s, r) for s, r in matching if s >= 0]
        if not matching:
            continue
        _, chosen = max(matching, key=lambda pair: pair[0])
        if chosen.q > best_q:
            best, best_q = Choice(offer, chosen), chosen.q
    return best


def _parse_range(text: str) -> MediaRange | None:
    pieces = [p.strip() for p in text.split(";")]
    kind, slash, sub = pieces[0].lower().partition("/")
    if not slash or not kind or not sub:
        return None
    params: dict[str, str] = {}
    q = 1.0
    for piece in pieces[1:]:
        name, equals, value = piece.partition("=")
        if not equals:
            continue
        name, value = name.strip().lower(), value.strip().strip('"')
        if name == "q":
            q = _quality(value)
        else:
            params[name] = value
    return MediaRange(kind, sub, params, q)


def _quality(value: str) -> float:
    try:
        q = float(value)
    except ValueError:
        return 0.0
    return min(max(q, 0.0), 1.0)
