"""The shapes of the codes a server chooses and the app shows, copies and links.

An activation code and a member's verification code are shown large, copied
to the clipboard and put into an `sms:` link: a server could make them carry
markup, escape sequences or a second line. So they are checked against their
shape (PROTOCOL §0: `ABCDE`; `VERIFY-` + 6 characters; phones in E.164) before
anything shows them; a code of another shape is an error, never displayed.

Tolerant where the protocol is silent: any length up to 32, either case, and
`-` inside an activation code; only the alphabet is strict.
"""

from __future__ import annotations

import re

from plow_tui.client.errors import PlowError

_ACTIVATION_CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]{0,31}")
_VERIFICATION_CODE = re.compile(r"VERIFY-[A-Za-z0-9]{1,32}", re.IGNORECASE)
_E164 = re.compile(r"\+[1-9][0-9]{1,14}")


class UnexpectedCode(PlowError):
    """The server sent a code or number that does not have its documented shape."""


def check_activation(display_code: str, send_to: str) -> None:
    """Raise `UnexpectedCode` unless the activation's code and number look as they must."""
    if not _ACTIVATION_CODE.fullmatch(display_code):
        raise UnexpectedCode("The server sent an activation code of an unexpected shape; it is not shown.")
    if not _E164.fullmatch(send_to):
        raise UnexpectedCode("The server sent a number to text that is not a phone number; it is not shown.")


def check_verification_code(code: str | None) -> None:
    """Raise `UnexpectedCode` unless `code` (when there is one) looks like `VERIFY-AB12CD`."""
    if code is not None and not _VERIFICATION_CODE.fullmatch(code):
        raise UnexpectedCode("The server sent a verification code of an unexpected shape; it is not shown.")
