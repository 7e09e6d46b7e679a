"""Canonical URLs: one spelling per page, so a re-fetch or a share link never makes a second item."""

from __future__ import annotations

import hashlib
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit, urlunsplit

# Parameters that only say who shared a link or how it was reached, never which page it is. Generic names
# (ref, source, src) are left alone: some sites use them to pick the page.
TRACKING_PARAMS = frozenset(
    {
        "spm",
        "from",
        "fromsource",
        "scene",
        "sharer",
        "share_token",
        "wfr",
        "gclid",
        "fbclid",
        "yclid",
        "msclkid",
        "mc_cid",
        "mc_eid",
        "isappinstalled",
        "vd_source",
        "_hsenc",
        "_hsmi",
    }
)
TRACKING_PREFIXES = ("utm_", "share_", "spm_")
DEFAULT_PORTS = {"http": 80, "https": 443}


def is_tracking(name: str) -> bool:
    """Tell whether a query parameter is tracking noise."""
    lowered = name.lower()
    return lowered in TRACKING_PARAMS or lowered.startswith(TRACKING_PREFIXES)


def canonical_url(url: str) -> str:
    """Lower-case scheme and host, drop default ports, fragment and tracking parameters, sort the query."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").rstrip(".")
    try:
        host = host.encode("idna").decode("ascii") if host and not host.isascii() else host.lower()
    except UnicodeError:
        host = host.lower()
    port = parts.port
    netloc = host if port is None or DEFAULT_PORTS.get(scheme) == port else f"{host}:{port}"
    # Re-quoting the unquoted path makes %E4%B8%AD and 中 the same page; reserved characters stay as they are.
    path = quote(unquote(parts.path), safe="/:@!$&'()*+,;=~-._") or "/"
    query = sorted(
        (name, value)
        for name, value in parse_qsl(parts.query, keep_blank_values=True)
        if not is_tracking(name)
    )
    return urlunsplit((scheme, netloc, path, urlencode(query), ""))


def url_key(canonical: str) -> str:
    """Return the fixed-size unique key of a canonical URL."""
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()
