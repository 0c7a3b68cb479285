"""``/.well-known/security.txt`` (RFC 9116): how to report a vulnerability in this node.

The file is written from settings each time it is served: ``Contact`` (required, §2.5.3) from
``security_contact`` (default ``mailto:security@<host of the node's URL>``), ``Expires`` (required,
§2.5.5) 180 days after now, so it never goes stale while the node runs, plus
``Preferred-Languages``, ``Canonical`` and ``Policy`` (the node's disclosure policy page).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from urllib.parse import urlsplit

from accord.clock import rfc3339
from accord.config import Settings

PATH = "/.well-known/security.txt"
POLICY_PATH = "/security"
VALIDITY = timedelta(days=180)


def contact(settings: Settings, base_url: str) -> str:
    """The Contact URI: the configured one, or ``mailto:security@<host of the node's URL>``."""
    configured = settings.security_contact
    if configured:
        return configured
    host = urlsplit(base_url).hostname or "localhost"
    return f"mailto:security@{host}"


def render(settings: Settings, base_url: str, now: datetime) -> str:
    """The security.txt document of the node published at ``base_url`` (RFC 9116 fields; LF
    line ends are allowed, §2.2)."""
    base = base_url.rstrip("/")
    languages = settings.security_languages
    expires = (now + VALIDITY).replace(microsecond=0)
    lines = [
        f"Contact: {contact(settings, base)}",
        f"Expires: {rfc3339(expires)}",
        f"Preferred-Languages: {languages}",
        f"Canonical: {base}{PATH}",
        f"Policy: {base}{POLICY_PATH}",
    ]
    return "\n".join(lines) + "\n"
