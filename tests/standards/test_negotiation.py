"""``Accept`` negotiation (RFC 9110 §12.5.1): table of cases, and invariants."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from accord.standards.conneg import OFFERS
from accord.standards.negotiation import Offer, negotiate, parse_accept

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,*/*;q=0.8"


@pytest.mark.parametrize(
    ("accept", "target"),
    [
        (None, "html"),
        ("", "html"),
        ("*/*", "html"),
        (BROWSER, "html"),
        ("text/turtle", "dcat.ttl"),
        ("application/ld+json", "schema.org.jsonld"),
        ('application/ld+json; profile="http://www.w3.org/ns/dcat#"', "dcat.jsonld"),
        ("application/vnd.schemaorg.ld+json", "schema.org.jsonld"),
        ("application/rdf+xml", "dcat.rdf"),
        ("application/vnd.datacite.datacite+xml", "datacite.xml"),
        ("application/vnd.datacite.datacite+json", "datacite.json"),
        ("application/x-bibtex", "citation.bib"),
        ("application/x-research-info-systems", "citation.ris"),
        ("application/vnd.citationstyles.csl+json", "citation.csl.json"),
        ("text/x-bibliography; style=apa", "citation"),
        ("text/turtle;q=0.5, application/rdf+xml", "dcat.rdf"),
        ("text/*;q=0.3, text/turtle", "dcat.ttl"),
        ("text/html;q=0, */*", "schema.org.jsonld"),
        ("TEXT/TURTLE", "dcat.ttl"),
        ("text/turtle;q=abc, text/html;q=0.1", "html"),
    ],
)
def test_choice(accept: str | None, target: str) -> None:
    choice = negotiate(accept, OFFERS)
    assert choice is not None
    assert choice.offer.target == target


@pytest.mark.parametrize("accept", ["application/pdf", "image/*", "text/turtle;q=0", "nonsense"])
def test_nothing_acceptable(accept: str) -> None:
    assert negotiate(accept, OFFERS) is None


def test_parameters_and_qualities_are_read() -> None:
    [one] = parse_accept('text/x-bibliography; style="chicago"; q=0.7')
    assert (one.type, one.subtype, one.params, one.q) == (
        "text",
        "x-bibliography",
        {"style": "chicago"},
        0.7,
    )


media = st.sampled_from(
    [o.media_type for o in OFFERS] + ["*/*", "text/*", "application/*", "image/png"]
)
quality = st.sampled_from(["", ";q=0", ";q=0.2", ";q=0.5", ";q=1"])


@given(st.lists(st.tuples(media, quality), min_size=1, max_size=6))
def test_the_choice_is_never_refused_and_never_beaten(ranges: list[tuple[str, str]]) -> None:
    header = ", ".join(m + q for m, q in ranges)
    choice = negotiate(header, OFFERS)
    if choice is None:
        return
    assert choice.media_range.q > 0
    for offer in OFFERS:
        matching = [r for r in parse_accept(header) if r.specificity(offer) >= 0]
        if matching:
            best = max(matching, key=lambda r: r.specificity(offer))
            assert best.q <= choice.media_range.q


def test_server_order_breaks_ties() -> None:
    offers = [Offer("text/turtle", "first"), Offer("application/rdf+xml", "second")]
    choice = negotiate("application/rdf+xml, text/turtle", offers)
    assert choice is not None and choice.offer.target == "first"
