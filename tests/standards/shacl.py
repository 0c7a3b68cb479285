"""The official DCAT-AP 3.0.1 SHACL shapes, loaded once, and a checker that names violations."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from pyshacl import validate
from rdflib import Graph

import accord.standards

SHAPES_DIR = Path(accord.standards.__file__).parent / "data" / "dcat-ap"


@cache
def shapes() -> Graph:
    graph = Graph()
    for name in ("shapes.ttl", "range.ttl", "shapes_recommended.ttl"):
        graph.parse(SHAPES_DIR / name, format="turtle")
    return graph


def assert_conforms(data: Graph) -> None:
    """Fail with pySHACL's report unless ``data`` has no violation (warnings are allowed)."""
    conforms, _, report = validate(
        data,
        shacl_graph=shapes(),
        inference="none",
        do_owl_imports=False,
        allow_warnings=True,
    )
    assert conforms, report
