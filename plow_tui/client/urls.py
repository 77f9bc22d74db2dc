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


def plain_http_warning(base_url: str) -> str | None:
    """What to tell a person whose API URL is plain `http://` to another machine, else None.

    The token travels in every request and the ticket in the socket URL; over
    plain HTTP anyone on the path can read them. Loopback (`localhost`,
    127.0.0.0/8, ::1), where the sandbox runs, is exempt.
    """
    parts = urlsplit(base_url.strip())
    if parts.scheme != "http":
        return None
    host = (parts.hostname or "").rstrip(".").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return None
    import ipaddress

    try:
        if ipaddress.ip_address(host).is_loopback:
            return None
    except ValueError:
        pass
    return f"{host or base_url} is reached over plain http: the token is sent unencrypted. Use https."


def ws_url(base_url: str, ticket: str) -> str:
    """The socket URL for `ticket` (`https`→`wss`). It holds a credential: never log or show it."""
    parts = urlsplit(normalize_base_url(base_url))
    scheme = "wss" if parts.scheme == "https" else "ws"
    path = parts.path.rstrip("/") + "/v1/ws"
    return urlunsplit((scheme, parts.netloc, path, f"ticket={quote(ticket, safe='')}", ""))
