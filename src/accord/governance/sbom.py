"""The node's CycloneDX SBOM: the installed distributions the node runs, with versions.

Built with the CycloneDX library from the running environment's package metadata: the ``accord``
distribution and the closure of its runtime requirements (extras it asks for included,
environment markers evaluated here), each with its version, its PyPI package URL, its declared
licence and its own dependencies. It is checked against the CycloneDX JSON schema shipped with
the library (no network) before it is served.
"""

from __future__ import annotations

import platform
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from importlib import metadata

from cyclonedx.contrib.license.factories import LicenseFactory
from cyclonedx.model import Property
from cyclonedx.model.bom import Bom
from cyclonedx.model.component import Component, ComponentType
from cyclonedx.model.license import License
from cyclonedx.output.json import JsonV1Dot6
from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator
from packageurl import PackageURL
from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from accord.errors import VerificationFailed

ROOT = "accord"
MEDIA_TYPE = "application/vnd.cyclonedx+json; version=1.6"
SCHEMA = SchemaVersion.V1_6


@dataclass(frozen=True)
class Installed:
    name: str
    version: str
    requires: tuple[str, ...]
    license: str | None


def closure(root: str = ROOT) -> dict[str, Installed]:
    """The distribution ``root`` and every distribution its runtime requirements pull in."""
    installed = _installed()
    found: dict[str, Installed] = {}
    waiting: list[tuple[str, frozenset[str]]] = [(root, frozenset())]
    while waiting:
        name, extras = waiting.pop()
        key = canonicalize_name(name)
        dist = installed.get(key)
        if dist is None:
            continue
        requirements = list(_requirements(dist, extras))
        known = found.get(key)
        names = tuple(sorted({canonicalize_name(r.name) for r in requirements}))
        if known is not None and set(names) <= set(known.requires):
            continue
        merged = tuple(sorted(set(names) | set(known.requires if known else ())))
        found[key] = Installed(dist.metadata["Name"], dist.version, merged, _licence(dist))
        waiting.extend((r.name, frozenset(r.extras)) for r in requirements)
    return found


def build(node_version: str) -> Bom:
    """The SBOM of this node: ``accord`` as the subject, its installed closure as components."""
    installed = closure()
    components = {
        key: _component(dist) for key, dist in installed.items() if key != canonicalize_name(ROOT)
    }
    bom = Bom()
    subject = Component(
        name=ROOT,
        version=node_version,
        type=ComponentType.APPLICATION,
        bom_ref=f"pkg:pypi/{ROOT}@{node_version}",
        purl=PackageURL("pypi", name=ROOT, version=node_version),
        properties=[Property(name="accord:python", value=platform.python_version())],
    )
    bom.metadata.component = subject
    for component in components.values():
        bom.components.add(component)
    root = installed.get(canonicalize_name(ROOT))
    bom.register_dependency(
        subject, [components[r] for r in (root.requires if root else ()) if r in components]
    )
    for key, dist in installed.items():
        if key in components:
            bom.register_dependency(
                components[key], [components[r] for r in dist.requires if r in components]
            )
    return bom


@lru_cache(maxsize=4)
def sbom_json(node_version: str) -> str:
    """The SBOM as CycloneDX 1.6 JSON, validated (built once per process and version)."""
    text = JsonV1Dot6(build(node_version)).output_as_string(indent=2)
    validate(text)
    return text


def validate(text: str) -> None:
    """Raise ``VerificationFailed`` unless ``text`` is valid CycloneDX 1.6 JSON."""
    error = JsonStrictValidator(SCHEMA).validate_str(text)
    if error is not None:
        raise VerificationFailed(
            f"the SBOM does not follow the CycloneDX {SCHEMA.to_version()} schema: {error}",
            code="governance.invalid-sbom",
        )


def _installed() -> dict[str, metadata.Distribution]:
    """Every installed distribution by canonical name (the first on the path wins)."""
    found: dict[str, metadata.Distribution] = {}
    for dist in metadata.distributions():
        name = dist.metadata["Name"]
        if name:
            found.setdefault(canonicalize_name(name), dist)
    return found


def _requirements(dist: metadata.Distribution, extras: frozenset[str]) -> Iterator[Requirement]:
    for line in dist.requires or ():
        try:
            requirement = Requirement(line)
        except InvalidRequirement:
            continue
        marker = requirement.marker
        if marker is None or any(marker.evaluate({"extra": e}) for e in ({""} | set(extras))):
            yield requirement


def _licence(dist: metadata.Distribution) -> str | None:
    fields = dist.metadata.json
    expression = fields.get("license_expression")
    if isinstance(expression, str) and expression:
        return expression
    declared = fields.get("license")
    if isinstance(declared, str) and declared and "\n" not in declared and len(declared) <= 100:
        return declared
    return None


def _component(dist: Installed) -> Component:
    purl = PackageURL("pypi", name=canonicalize_name(dist.name), version=dist.version)
    licences: list[License] = []
    if dist.license:
        licences.append(LicenseFactory().make_from_string(dist.license))
    return Component(
        name=dist.name,
        version=dist.version,
        type=ComponentType.LIBRARY,
        bom_ref=purl.to_string(),
        purl=purl,
        licenses=licences,
    )
