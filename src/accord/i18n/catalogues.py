"""The gettext catalogues: extract the strings, merge them into each language, compile.

``python -m accord.i18n.catalogues`` extracts every string of the templates and the Python code,
adds new ones to each ``locale/<lang>/LC_MESSAGES/messages.po`` (keeping translations, dropping
strings no longer used) and compiles the ``.mo`` files the node loads. The compiled files are
committed, so an install needs nothing but Python (decision 1201).
"""

from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

from accord.i18n.locales import LANGUAGES, SOURCE
from accord.i18n.translate import DOMAIN, LOCALE_DIR

PACKAGE_DIR = LOCALE_DIR.parent
KEYWORDS = {
    "_": None,
    "gettext": None,
    "N_": None,
    "_l": None,
    "_nl": (1, 2),
    "NP_": ((1, "c"), 2),
    "ngettext": (1, 2),
    "pgettext": ((1, "c"), 2),
}
METHODS = [
    ("**/templates/**.html", "jinja2"),
    ("**/i18n/**.py", "ignore"),
    ("**/migrations/**.py", "ignore"),
    ("**.py", "python"),
]
JINJA_OPTIONS = {"extensions": "jinja2.ext.i18n", "newstyle_gettext": "true"}


def extract() -> Catalog:
    """Every translatable string of the package, with where it is used."""
    catalog = Catalog(project="Accord", domain=DOMAIN, charset="utf-8")
    found = extract_from_dir(
        PACKAGE_DIR,
        method_map=METHODS,
        options_map={"**/templates/**.html": JINJA_OPTIONS},
        keywords=KEYWORDS,
        comment_tags=("Translators:",),
    )
    for filename, lineno, message, comments, context in found:
        catalog.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    return catalog


def po_path(code: str) -> Path:
    return LOCALE_DIR / code / "LC_MESSAGES" / f"{DOMAIN}.po"


def read(code: str) -> Catalog:
    with po_path(code).open("rb") as file:
        return read_po(file, locale=code, domain=DOMAIN)


def update(template: Catalog) -> None:
    """Merge the extracted strings into every language's catalogue and compile it."""
    for language in LANGUAGES:
        if language.code == SOURCE:
            continue
        path = po_path(language.code)
        path.parent.mkdir(parents=True, exist_ok=True)
        catalog = read(language.code) if path.exists() else Catalog(locale=language.code)
        catalog.update(template, no_fuzzy_matching=True)
        catalog.obsolete.clear()
        with path.open("wb") as file:
            write_po(file, catalog, width=100, omit_header=False, sort_output=True)
        compile_mo(language.code)


def compile_mo(code: str) -> None:
    catalog = read(code)
    with po_path(code).with_suffix(".mo").open("wb") as file:
        write_mo(file, catalog)


def missing(code: str, template: Catalog) -> list[str]:
    """Strings of ``template`` that the ``code`` catalogue does not translate (or marks fuzzy)."""
    catalog = read(code)
    gaps = []
    for message in template:
        if not message.id:
            continue
        found = catalog.get(message.id, context=message.context)
        text = found.string if found else None
        done = all(text) if isinstance(text, tuple) else bool(text)
        if not found or not done or found.fuzzy:
            gaps.append(message.id if isinstance(message.id, str) else message.id[0])
    return gaps


def main() -> int:
    template = extract()
    update(template)
    for language in LANGUAGES:
        if language.code != SOURCE and (gaps := missing(language.code, template)):
            print(f"{language.code}: {len(gaps)} strings to translate", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
