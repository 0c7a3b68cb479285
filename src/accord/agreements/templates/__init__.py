"""Agreement templates for common cases, shipped as YAML beside this module.

``open-cc-by``, ``registered``, ``controlled-health`` (HMB + IRB + NPU), ``restricted-sandbox``
and ``localised`` (a jurisdiction list). Each is a complete, valid agreement to copy and edit.
"""

from __future__ import annotations

from importlib.resources import files

from accord.agreements.document import AgreementDocument
from accord.agreements.ontology import Vocabulary
from accord.agreements.validation import load_agreement

NAMES = ("open-cc-by", "registered", "controlled-health", "restricted-sandbox", "localised")


def template_text(name: str) -> str:
    """The YAML text of template ``name`` (one of ``NAMES``)."""
    if name not in NAMES:
        raise KeyError(f"no agreement template {name!r}; templates: {', '.join(NAMES)}")
    return files(__name__).joinpath(f"{name}.yaml").read_text(encoding="utf-8")


def load_template(name: str, vocabulary: Vocabulary | None = None) -> AgreementDocument:
    return load_agreement(template_text(name), vocabulary)
