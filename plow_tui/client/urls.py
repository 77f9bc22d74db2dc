"""The two URL rules of PROTOCOL §1, kept free of heavy imports (the secret store uses them)."""

from __future__ import annotations

from urllib.parse import quote, urlsplit, urlunsplit


def normalize_base_url(url: str) -> str:
    """`https://api.plow.co/v1/` → `https://api.plow.co`: the base is kept without `/v1`.

    The secret store keys tokens by this form, so `…/v1` and `…/` find the same token.
    """
    url = url.strip().rstrip("/")
    if url.endswith("/v1"):
        url = url[: -len("/v1")].rstrip("/")
    if not url.startswith(("http://", "https://")) or not urlsplit(url).netloc:
        raise ValueError(f"The API URL must look like https://host (got {url!r}).")
    return url


def ws_url(base_url: str, ticket: str) -> str:
    """The socket URL for `ticket` (`https`→`wss`). It holds a credential: never log or show it."""
    parts = urlsplit(normalize_base_url(base_url))
    scheme = "wss" if parts.scheme == "https" else "ws"
    path = parts.path.rstrip("/") + "/v1/ws"
    return urlunsplit((scheme, parts.netloc, path, f"ticket={quote(ticket, safe='')}", ""))
