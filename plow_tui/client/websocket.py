"""Opening the Plow socket: websockets' `connect`, minus redirects to another origin.

websockets follows a 3xx answer to the handshake wherever it points (only
dropping an `Authorization` header on the way). The socket URL carries a
ticket, and a redirect chosen by the server may carry it on to a host the
person never chose; a status check would then report that other host as
"connected". So a redirect that changes scheme, host or port is refused here;
one within the same origin is still followed. Imported only where a socket is
opened (websockets is heavy).
"""

from __future__ import annotations

from typing import Any

from websockets.asyncio.client import connect
from websockets.exceptions import InvalidHandshake
from websockets.uri import parse_uri


class CrossOriginRedirect(InvalidHandshake):
    """The handshake was answered with a redirect to another origin, which was not followed."""

    def __str__(self) -> str:
        # Never the target URL: the server may have put the ticket in it.
        return "the server redirected the live connection to another server; it was not followed"


class connect_same_origin(connect):  # noqa: N801 - used like websockets' own `connect`
    """`websockets.asyncio.client.connect` that never follows a redirect to another origin."""

    def process_redirect(self, exc: Exception) -> Exception | str:
        target: Any = super().process_redirect(exc)
        if not isinstance(target, str):
            return target
        new, old = parse_uri(target), self.ws_uri
        if (new.secure, new.host, new.port) != (old.secure, old.host, old.port):
            return CrossOriginRedirect()
        return target
