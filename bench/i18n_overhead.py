"""Cost of rendering pages in the reader's language against the former null translations.

Renders the home page and the sign-in page (base layout, navigation, language switcher, footer)
with the environment the node builds, once with Jinja's null translations (English, as before
issue 14: the baseline) and once per shipped language with Babel catalogues, plus the per-request
language choice from a cookie and an ``Accept-Language`` header. Prints microseconds per page and
the ratio to the baseline, measured side by side in one run.

    .venv/bin/python bench/i18n_overhead.py [--renders 3000] [--rounds 5]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import jinja2
from starlette.requests import Request

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from accord.i18n.locales import LANGUAGES
from accord.i18n.translate import use_locale
from accord.web.app import WEB_DIR, _templates
from accord.web.i18n import choose

PAGES = ["home.html", "sign_in.html"]


def baseline_environment() -> jinja2.Environment:
    environment = _templates().env
    environment.install_null_translations(newstyle=True)  # type: ignore[attr-defined]
    return environment


def context() -> dict[str, object]:
    scope = {"type": "http", "path": "/", "query_string": b"", "headers": [], "method": "GET"}
    node = SimpleNamespace(name="Bench node", node_id="bench", jurisdiction="CH")
    return {
        "request": Request(scope),
        "node": node,
        "principal": None,
        "csrf_token": "x" * 43,
        "next": "/account",
        "error": None,
        "email": "",
    }


def per_page(environment: jinja2.Environment, renders: int, code: str, negotiate: bool) -> float:
    templates = [environment.get_template(name) for name in PAGES]
    values = context()
    start = time.perf_counter()
    for i in range(renders):
        if negotiate:
            code = choose("accord_lang=" + code, "fr-CH, fr;q=0.9, en;q=0.5")
        with use_locale(code):
            templates[i % len(templates)].render(values)
    return (time.perf_counter() - start) / renders * 1e6


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--renders", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    assert (WEB_DIR / "templates" / "home.html").exists()
    baseline, localised = baseline_environment(), _templates().env
    results: dict[str, list[float]] = {"baseline (null translations)": []}
    for language in LANGUAGES:
        results[f"{language.code} (catalogue + negotiation)"] = []
    for _ in range(args.rounds):  # alternate so that machine load falls on every variant
        results["baseline (null translations)"].append(
            per_page(baseline, args.renders, "en", negotiate=False)
        )
        for language in LANGUAGES:
            key = f"{language.code} (catalogue + negotiation)"
            results[key].append(per_page(localised, args.renders, language.code, negotiate=True))
    base = statistics.median(results["baseline (null translations)"])
    for name, samples in results.items():
        median = statistics.median(samples)
        print(f"{name:32} {median:8.1f} µs/page   ratio {median / base:5.2f}")


if __name__ == "__main__":
    main()
