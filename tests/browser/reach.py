"""Crawling a live node's pages as several people, for the accessibility and weight checks."""

from __future__ import annotations

import gzip
import re
from collections import deque
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import httpx

SKIP_PREFIXES = ("/api/", "/docs", "/static/", "/ga4gh/", "/.well-known/", "/catalog/static/")
SKIP_SUFFIXES = (".json", ".ttl", ".xml", ".csv", ".txt", ".jsonld", ".bib", ".ris", ".zip")
ID_SEGMENT = re.compile(r"^(\d+|[a-z]{2,5}_[0-9A-Za-z]{8,})$")


@dataclass
class Crawled:
    url: str  # path and query
    who: str  # "anonymous" or a demo handle
    html: str


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.assets: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "a" and values.get("href") and "download" not in values:
            self.links.append(str(values["href"]))
        if tag == "link" and values.get("rel") == "stylesheet" and values.get("href"):
            self.assets.append(str(values["href"]))
        if tag == "script" and values.get("src"):
            self.assets.append(str(values["src"]))


def pattern(path: str) -> str:
    """``/datasets/ds_01J…/versions/1`` → ``/datasets/{}/versions/{}``: one page per kind."""
    return "/".join("{}" if ID_SEGMENT.match(part) else part for part in path.split("/"))


def signed_in_client(base: str, email: str, password: str) -> httpx.Client:
    client = httpx.Client(base_url=base, timeout=60, headers={"Accept": "text/html"})
    form = client.get("/sign-in").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', form)
    assert token, "no CSRF token on the sign-in page"
    answer = client.post(
        "/sign-in",
        data={"email": email, "password": password, "csrf_token": token.group(1), "next": "/"},
    )
    assert answer.status_code in (200, 303), answer.text[:500]
    return client


@dataclass
class Crawler:
    base: str
    seen: set[str] = field(default_factory=set)
    pages: list[Crawled] = field(default_factory=list)

    def crawl(self, client: httpx.Client, who: str, seeds: list[str], limit: int = 40) -> None:
        queue = deque(seeds)
        visited: set[str] = set()
        kinds: set[str] = set()  # one page of each kind per person: enough to find the links
        while queue and limit > 0:
            url = queue.popleft()
            split = urlsplit(url)
            kind = pattern(split.path)
            if url in visited or self._skipped(split.path) or kind in kinds:
                continue
            visited.add(url)
            kinds.add(kind)
            answer = client.get(url)
            if answer.status_code != 200 or "text/html" not in answer.headers["content-type"]:
                continue
            if kind not in self.seen:
                self.seen.add(kind)
                self.pages.append(Crawled(url, who, answer.text))
                limit -= 1
            parser = _Links()
            parser.feed(answer.text)
            for link in parser.links:
                target = urlsplit(urljoin(self.base + split.path, link))
                if target.netloc == urlsplit(self.base).netloc and target.path not in visited:
                    queue.append(target.path + (f"?{target.query}" if target.query else ""))

    @staticmethod
    def _skipped(path: str) -> bool:
        return path.startswith(SKIP_PREFIXES) or path.endswith(SKIP_SUFFIXES) or "lang=" in path


def compressed_weight(client: httpx.Client, html: str) -> tuple[int, dict[str, int]]:
    """Bytes of the page and the stylesheets and scripts it loads, each gzip-compressed."""
    parser = _Links()
    parser.feed(html)
    sizes = {"html": len(gzip.compress(html.encode(), compresslevel=6))}
    for asset in parser.assets:
        body = client.get(asset).content
        sizes[asset] = len(gzip.compress(body, compresslevel=6))
    return sum(sizes.values()), sizes
