"""`plow-tui activate`: sign in by sending one text from your phone.

The pending activation is kept in the secret store, so Ctrl+C and a second
`activate` resume the same code rather than asking for a new text.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from plow_tui.client.texts import sms_uri
from plow_tui.commands import ExitCode
from plow_tui.commands.signed_in import api_url, token_store
from plow_tui.terminal_text import error_text, safe_line


async def activate(args: argparse.Namespace) -> int:
    from plow_tui.client.activation import (
        AlreadyRedeemed,
        Expired,
        Pending,
        PollFailed,
        Verified,
        poll_activation,
        start_activation,
    )
    from plow_tui.client.http import PlowClient

    url = api_url(args)
    store = token_store(args)
    async with PlowClient(url) as api:
        pending = await store.get_pending(url)
        resumed = pending is not None and not pending.is_expired()
        if pending is not None and not resumed:
            await store.clear_pending(url)
        # A resumed activation may turn out stale (the live server sometimes
        # answers 410 at once): then start over right away, once.
        for _ in range(2):
            if not resumed:
                pending = await start_activation(api, args.name, provision_chat=args.provision_chat)
                await store.save_pending(url, pending)
            assert pending is not None
            _show_instructions(pending, resumed)
            waiting_said = False
            async for outcome in poll_activation(api, pending, interval=args.poll_interval):
                if isinstance(outcome, Pending) and not waiting_said:
                    print("Waiting for your text… (Ctrl+C stops; `plow-tui activate` resumes.)", flush=True)
                    waiting_said = True
                elif isinstance(outcome, PollFailed):
                    print(
                        f"Could not check ({error_text(outcome.error)}); trying again in {outcome.retry_in:.0f} s.",
                        file=sys.stderr,
                        flush=True,
                    )
                elif isinstance(outcome, Verified):
                    await store.save_token(url, outcome.token)
                    await store.clear_pending(url)
                    print(f"Signed in. The token is kept in {store.location}.")
                    if outcome.chat is not None:
                        chat = outcome.chat
                        print(
                            f"Your chat: {safe_line(chat.title)} — text {safe_line(chat.number or '?')}"
                            f" (chat {safe_line(chat.uid)})."
                        )
                    return ExitCode.OK
                elif isinstance(outcome, AlreadyRedeemed):
                    await store.clear_pending(url)
                    print(
                        "plow-tui: that activation was already redeemed by another client. "
                        "Run `plow-tui activate` again to sign in here.",
                        file=sys.stderr,
                    )
                    return ExitCode.NOT_SIGNED_IN
                elif isinstance(outcome, Expired):
                    await store.clear_pending(url)
                    if resumed and not waiting_said:
                        print("The saved activation is no longer valid; starting a new one.", file=sys.stderr)
                        resumed = False
                        break
                    print(
                        "plow-tui: the code expired before your text arrived. "
                        "Run `plow-tui activate` again for a new one.",
                        file=sys.stderr,
                    )
                    return ExitCode.NOT_SIGNED_IN
    return ExitCode.NOT_SIGNED_IN


def _show_instructions(pending: Any, resumed: bool) -> None:
    expires = pending.expires_at.astimezone().strftime("%H:%M")
    if resumed:
        print("Resuming the activation you started earlier.")
    print(f"From your phone, text exactly:  {safe_line(pending.text)}")
    print(f"To:                             {safe_line(pending.send_to)}")
    print(f"The code is good until {expires}.")
    if sys.stdout.isatty():
        import segno

        print("Or scan this with your phone's camera to open the message ready to send:")
        segno.make(sms_uri(pending.send_to, pending.text), error="m").terminal(compact=True)
    sys.stdout.flush()
