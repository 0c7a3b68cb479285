"""Where a mirror may keep a copy (table of rules), and reading OAI-PMH oai_datacite answers."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from accord.errors import InvalidInput
from accord.federation.oai import parse_list_records
from accord.federation.placement import copy_refusal


@pytest.mark.parametrize(
    ("country", "residency", "allowed", "forbidden", "refusal"),
    [
        ("BR", None, None, [], None),
        ("BR", ["DE"], None, [], "residency"),
        ("DE", ["DE"], None, [], None),
        ("FR", ["EU"], None, [], None),
        ("BR", ["EU"], None, [], "residency"),
        ("BR", None, None, ["BR"], "export.forbidden"),
        ("BR", None, ["KE"], [], "export.not-allowed"),
        ("KE", None, ["KE"], [], None),
    ],
)
def test_copy_refusal(
    country: str,
    residency: list[str] | None,
    allowed: list[str] | None,
    forbidden: list[str],
    refusal: str | None,
) -> None:
    got = copy_refusal(
        country, residency=residency, export_allowed=allowed, export_forbidden=forbidden
    )
    assert got == refusal


PAGE = b"""<?xml version="1.0" encoding="UTF-8"?>
<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/">
<responseDate>2026-01-01T00:00:00Z</responseDate><request verb="ListRecords">x</request>
<ListRecords>
<record><header><identifier>oai:a.example:a/ds_1@v1</identifier>
<datestamp>2026-01-02T03:04:05Z</datestamp></header>
<metadata><oai_datacite xmlns="http://schema.datacite.org/oai/oai-1.1/"><payload>
<resource xmlns="http://datacite.org/schema/kernel-4">
<creators><creator><creatorName>Kamau, Wanjiru</creatorName></creator></creators>
<titles><title>Malaria survey</title></titles><publicationYear>2021</publicationYear>
<subjects><subject>Malaria</subject></subjects>
<rightsList><rights rightsIdentifier="CC-BY-4.0">CC BY 4.0</rights></rightsList>
<descriptions><description>Bed nets.</description></descriptions>
</resource></payload></oai_datacite></metadata></record>
<record><header status="deleted"><identifier>oai:a.example:a/ds_2@v1</identifier>
<datestamp>2026-01-02T03:04:06Z</datestamp></header></record>
<resumptionToken completeListSize="3">tok</resumptionToken>
</ListRecords></OAI-PMH>"""


def test_list_records_page() -> None:
    page = parse_list_records(PAGE)
    assert page.resumption_token == "tok"
    first, deleted = page.records
    assert (first.pid, first.title, first.year, first.rights) == (
        "a/ds_1@v1",
        "Malaria survey",
        2021,
        "CC-BY-4.0",
    )
    assert first.creators == "Kamau, Wanjiru" and first.subjects == "Malaria"
    assert first.datestamp == datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert deleted.deleted and deleted.resource is None


def test_no_records_match_is_an_empty_last_page() -> None:
    answer = (
        PAGE.split(b"<ListRecords>")[0] + b'<error code="noRecordsMatch">none</error></OAI-PMH>'
    )
    page = parse_list_records(answer)
    assert page.records == [] and page.resumption_token is None


@pytest.mark.parametrize(
    "answer",
    [
        b"not xml",
        PAGE.split(b"<ListRecords>")[0] + b'<error code="badArgument">x</error></OAI-PMH>',
    ],
)
def test_bad_answers_raise(answer: bytes) -> None:
    with pytest.raises(InvalidInput):
        parse_list_records(answer)
