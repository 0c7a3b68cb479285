"""DUO and disease ontologies, loaded once with pronto and queried by subsumption.

The package ships the DUO release (``data/duo/duo.owl``, CC BY 4.0) and a MONDO subset
(``data/mondo/mondo-subset.obo``, CC BY 4.0); ``load_diseases`` also takes a full MONDO file.
After loading, an ontology is a plain, immutable ``Hierarchy`` (ids, labels and ``is_a`` edges):
pronto is used only at load time, and every subsumption query afterwards is a set lookup.
"""

from __future__ import annotations

import io
import re
import warnings
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from pathlib import Path

from pronto.ontology import Ontology
from pronto.pv import LiteralPropertyValue
from pronto.term import Term as OntologyTerm

from accord.agreements.duo import INVESTIGATION, Duo

_OBO = "http://purl.obolibrary.org/obo/"
_OBSOLETE_PARENT = "http://www.geneontology.org/formats/oboInOwl#ObsoleteClass"
_SHORTHAND = "http://www.geneontology.org/formats/oboInOwl#shorthand"
_SUBCLASS_OF = re.compile(rb'subClassOf rdf:resource="([^"]+)"')
_DECLARED = re.compile(rb'owl:Class rdf:about="([^"]+)"')


@dataclass(frozen=True, slots=True)
class Term:
    id: str
    label: str
    definition: str = ""
    shorthand: str | None = None


class Hierarchy:
    """Terms of one ontology and their ``is_a`` graph; ancestor/descendant sets are memoised."""

    def __init__(self, terms: Mapping[str, Term], parents: Mapping[str, frozenset[str]]) -> None:
        self._terms = dict(terms)
        self._parents = {term: parents.get(term, frozenset()) for term in self._terms}
        self._children: dict[str, set[str]] = {term: set() for term in self._terms}
        for child, ups in self._parents.items():
            for parent in ups:
                self._children.setdefault(parent, set()).add(child)
        self._ancestors: dict[str, frozenset[str]] = {}
        self._descendants: dict[str, frozenset[str]] = {}
        self._overlapping: dict[str, frozenset[str]] = {}

    def __contains__(self, term_id: object) -> bool:
        return term_id in self._terms

    def __iter__(self) -> Iterator[Term]:
        return iter(self._terms.values())

    def __len__(self) -> int:
        return len(self._terms)

    def term(self, term_id: str) -> Term:
        return self._terms[term_id]

    def label(self, term_id: str) -> str:
        term = self._terms.get(term_id)
        return term.label if term is not None else term_id

    def parents(self, term_id: str) -> frozenset[str]:
        return self._parents.get(term_id, frozenset())

    def ancestors(self, term_id: str) -> frozenset[str]:
        """``term_id`` and every term it is (transitively) a subclass of."""
        found = self._ancestors.get(term_id)
        if found is None:
            found = self._closure(term_id, self._parents)
            self._ancestors[term_id] = found
        return found

    def descendants(self, term_id: str) -> frozenset[str]:
        """``term_id`` and every term that is (transitively) a subclass of it."""
        found = self._descendants.get(term_id)
        if found is None:
            found = self._closure(term_id, self._children)
            self._descendants[term_id] = found
        return found

    def overlapping(self, term_id: str) -> frozenset[str]:
        """Terms sharing a descendant with ``term_id``: a use of one may be a use of the other."""
        found = self._overlapping.get(term_id)
        if found is None:
            found = frozenset().union(*(self.ancestors(d) for d in self.descendants(term_id)))
            self._overlapping[term_id] = found
        return found

    def is_a(self, child: str, parent: str) -> bool:
        return parent in self.ancestors(child)

    @staticmethod
    def _closure(start: str, edges: Mapping[str, Iterable[str]]) -> frozenset[str]:
        seen = {start}
        stack = [start]
        while stack:
            for nxt in edges.get(stack.pop(), ()):
                if nxt not in seen:
                    seen.add(nxt)
                    stack.append(nxt)
        return frozenset(seen)


class DuoVocabulary(Hierarchy):
    """DUO: the hierarchy plus shorthand codes (``HMB``) and the three families of terms."""

    def __init__(
        self,
        terms: Mapping[str, Term],
        parents: Mapping[str, frozenset[str]],
        version: str,
    ) -> None:
        super().__init__(terms, parents)
        self.version = version
        self._by_shorthand = {t.shorthand: t.id for t in terms.values() if t.shorthand}

    def resolve(self, code: str) -> str | None:
        """The CURIE of a current DUO term written as shorthand, CURIE or OBO IRI; else None."""
        text = code.strip()
        if text.startswith(_OBO):
            text = text[len(_OBO) :].replace("_", ":", 1)
        elif text.startswith("obo:"):
            text = text[4:].replace("_", ":", 1)
        curie = self._by_shorthand.get(text.upper(), text.upper())
        return curie if curie.startswith("DUO:") and curie in self else None

    def shorthand(self, term_id: str) -> str:
        term = self.term(term_id) if term_id in self else None
        return term.shorthand if term is not None and term.shorthand else term_id

    def is_permission(self, term_id: str) -> bool:
        return term_id != Duo.PERMISSION and self.is_a(term_id, Duo.PERMISSION)

    def is_modifier(self, term_id: str) -> bool:
        return term_id != Duo.MODIFIER and self.is_a(term_id, Duo.MODIFIER)

    def is_research_type(self, term_id: str) -> bool:
        return term_id.startswith("DUO:") and self.is_a(term_id, INVESTIGATION)


@dataclass(frozen=True, slots=True)
class Vocabulary:
    """The ontologies an agreement is validated and compiled against."""

    duo: DuoVocabulary
    diseases: Hierarchy


def load_duo(path: Path | None = None) -> DuoVocabulary:
    """Read a DUO release in OWL (RDF/XML); the shipped release when ``path`` is None."""
    raw = path.read_bytes() if path else _packaged("duo/duo.owl")
    ontology = _pronto(_declare_external_parents(raw))
    terms: dict[str, Term] = {}
    parents: dict[str, frozenset[str]] = {}
    for term in ontology.terms():
        if term.obsolete or _OBSOLETE_PARENT in _parent_ids(term):
            continue
        terms[term.id] = Term(
            term.id, term.name or term.id, str(term.definition or ""), _shorthand(term)
        )
        parents[term.id] = frozenset(_parent_ids(term))
    version = str(ontology.metadata.data_version or "unknown").removeprefix("releases/")
    return DuoVocabulary(terms, parents, version)


def load_diseases(path: Path | None = None) -> Hierarchy:
    """Read a disease ontology (MONDO, OBO or OWL); the shipped MONDO subset if ``path`` is None."""
    if path is None:
        raw = _packaged("mondo/mondo-subset.obo")
    else:
        raw = path.read_bytes()
        if path.suffix == ".owl":
            raw = _declare_external_parents(raw)
    ontology = _pronto(raw)
    current = [t for t in ontology.terms() if not t.obsolete]
    terms = {t.id: Term(t.id, t.name or t.id) for t in current}
    parents = {t.id: frozenset(p for p in _parent_ids(t) if p in terms) for t in current}
    return Hierarchy(terms, parents)


@cache
def default_vocabulary() -> Vocabulary:
    """The shipped DUO release and MONDO subset, loaded once per process."""
    return Vocabulary(load_duo(), load_diseases())


def vocabulary_with_diseases(disease_file: Path) -> Vocabulary:
    """The shipped DUO release with another disease ontology file (e.g. a full MONDO release)."""
    return Vocabulary(default_vocabulary().duo, load_diseases(disease_file))


def _packaged(name: str) -> bytes:
    return files("accord.agreements").joinpath("data", *name.split("/")).read_bytes()


def _pronto(raw: bytes) -> Ontology:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return Ontology(io.BytesIO(raw), import_depth=0)


def _declare_external_parents(owl: bytes) -> bytes:
    """Declare, as bare classes, the parents that only the (unfetched) imports define.

    DUO imports IAO, BFO and others over the network; without them pronto cannot link a term
    to an undeclared parent. Declaring those parents keeps every ``is_a`` edge of the file.
    """
    missing = set(_SUBCLASS_OF.findall(owl)) - set(_DECLARED.findall(owl))
    declarations = b"".join(b'<owl:Class rdf:about="' + iri + b'"/>\n' for iri in sorted(missing))
    end = owl.rindex(b"</rdf:RDF>")
    return owl[:end] + declarations + owl[end:]


def _parent_ids(term: OntologyTerm) -> Iterator[str]:
    return (p.id for p in term.superclasses(distance=1, with_self=False))


def _shorthand(term: OntologyTerm) -> str | None:
    for annotation in term.annotations:
        if annotation.property == _SHORTHAND and isinstance(annotation, LiteralPropertyValue):
            return str(annotation.literal)
    return None
