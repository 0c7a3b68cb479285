"""Countries → UN M49 regions and World Bank income groups, from ``data/countries.csv``.

The table is data shipped with the package (see ``data/README.md`` for source and licence); it
is read once. Unknown codes and unclassified territories fall in the ``unknown`` group, never
dropped, so that every request counts somewhere.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Literal

UNKNOWN = "unknown"
Grouping = Literal["country", "region", "subregion", "income_group"]


@dataclass(frozen=True)
class Country:
    code: str
    name: str
    region: str
    subregion: str
    intermediate_region: str
    income_group: str


@dataclass(frozen=True)
class Classification:
    countries: dict[str, Country]
    income_classification: str

    def group_of(self, code: str, grouping: Grouping) -> str:
        """The group ``code`` belongs to under ``grouping`` (``unknown`` when unclassified)."""
        if grouping == "country":
            return code if code else UNKNOWN
        country = self.countries.get(code)
        value = getattr(country, grouping) if country is not None else ""
        return str(value) or UNKNOWN

    def mapping(self, grouping: Grouping) -> dict[str, str]:
        """Country code → group, for the classified countries only (SQL CASE tables)."""
        return {
            code: self.group_of(code, grouping)
            for code in self.countries
            if self.group_of(code, grouping) != UNKNOWN
        }

    def name_of(self, code: str) -> str:
        country = self.countries.get(code)
        return country.name if country is not None else code


@cache
def classification() -> Classification:
    text = resources.files("accord.reports").joinpath("data/countries.csv").read_text("utf-8")
    lines = text.splitlines()
    year = ""
    for line in lines:
        if line.startswith("#") and "income_classification:" in line:
            year = line.split("income_classification:", 1)[1].strip()
    rows = csv.DictReader(line for line in lines if not line.startswith("#"))
    countries = {row["code"]: Country(**row) for row in rows}
    return Classification(countries, year)
