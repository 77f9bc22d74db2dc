"""`plow-tui airy URL --channel-id UUID [send|tail]`: the Airy Chat Plugin, interactive or from a script.

Without an action it opens the Airy screen (the app's conversation pane and
editor on this backend). The conversation is resumed across runs: its resume
token is kept in the secret store (key `airy:<url>#<channel>`), so `send`
twice lands in one conversation, `tail` shows its history, and the screen
shows the whole conversation again. Output is for people by default and for
scripts with `--json`; errors are one sentence on stderr and an `ExitCode`.
"""

from __future__ import annotations

import argparse
import sys
import uuid
from typing import TYPE_CHECKING, Any

from plow_tui.commands import ExitCode, options
from plow_tui.commands.output import connection_note, local_time
from plow_tui.commands.running import Command, Explanation, UsageError, fail, non_negative_int, run_command
from plow_tui.terminal_text import error_text, safe_json, safe_line

if TYPE_CHECKING:
    from plow_tui.client.airy.conversation import AiryConversation
    from plow_tui.client.airy.models import AiryMessage


STORAGE_HELP = {"insecure_storage": "keep the conversation's resume token in a 0600 file instead of the system keyring"}


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "airy",
        help="Chat with an Airy Core instance as a website visitor (Chat Plugin).",
        description=(
            "Talk to an Airy Core instance's Chat Plugin channel as a website visitor does. "
            "The conversation is resumed across runs (its resume token is kept in the secret store)."
        ),
    )
    parser.add_argument("url", metavar="URL", help="the Airy instance, e.g. https://airy.example.com")
    parser.add_argument("--channel-id", required=True, type=_channel_id, metavar="UUID", help="the Chat Plugin channel")
    options.add(parser, "insecure_storage", "notifications", help=STORAGE_HELP)
    parser.set_defaults(func=run_screen)  # no action: the interactive screen
    actions = parser.add_subparsers(
        dest="action", metavar="[ACTION]", required=False, title="actions (none: open the conversation in the app)"
    )

    send_parser = actions.add_parser("send", help="send one message", description="Send one message.")
    send_parser.add_argument("text", metavar="TEXT", help="the message, or - to read it from stdin")
    send_parser.add_argument("--json", action="store_true", help="print the sent message as JSON")
    options.add(send_parser, "insecure_storage", help=STORAGE_HELP)
    send_parser.set_defaults(func=lambda args: run(send, args))

    tail_parser = actions.add_parser(
        "tail",
        help="print new messages as they arrive, until Ctrl+C",
        description="Print the conversation's new messages as they arrive, until Ctrl+C. "
        "Dropped connections are rejoined without losing or repeating a message.",
    )
    tail_parser.add_argument("-n", "--lines", type=non_negative_int, default=0, help="first print the last N messages")
    tail_parser.add_argument("--json", action="store_true", help="one JSON object per message, per line")
    options.add(tail_parser, "insecure_storage", help=STORAGE_HELP)
    tail_parser.set_defaults(func=lambda args: run(tail, args))


def _channel_id(text: str) -> str:
    try:
        return str(uuid.UUID(text.strip()))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a channel UUID: {text!r}") from None


def run_screen(args: argparse.Namespace) -> int:
    """Open the Airy screen on the conversation (resumed when a resume token is saved)."""
    from plow_tui.client.airy.http import normalize_instance_url
    from plow_tui.client.tokens import TokenStore
    from plow_tui.logs import configure_logging
    from plow_tui.tui.standalone import AiryApp
    from plow_tui.tui.clipboard import clipboard_commands

    try:
        url = normalize_instance_url(args.url)
    except ValueError as error:
        return fail(error_text(error), ExitCode.USAGE)
    configure_logging()  # the terminal belongs to the app: everything else goes to the private log
    store = TokenStore.default(force_file=args.insecure_storage, env=getattr(args, "env", None))
    bell = getattr(args, "notifications", "bell") != "off"
    app = AiryApp(
        url, args.channel_id, token_store=store, screen_options={"bell": bell}, clipboard_commands=clipboard_commands()
    )
    app.run()
    return int(app.return_code or ExitCode.OK)


# -- running a command ---------------------------------------------------------------


def run(command: Command, args: argparse.Namespace) -> int:
    """Run an async command; turn every failure into one sentence and an exit code."""
    return run_command(command, args, _explain)


def _explain(error: Exception, args: argparse.Namespace) -> Explanation | None:
    """The Airy client's errors as an exit code and what the user can do about them."""
    from plow_tui.client.airy.errors import (
        AiryBadRequest,
        AiryChannelNotFound,
        AiryError,
        AiryNetworkError,
        AiryUnauthorized,
    )

    if isinstance(error, AiryChannelNotFound):
        return ExitCode.NOT_FOUND, f"Check --channel-id {args.channel_id}."
    if isinstance(error, AiryUnauthorized):
        return ExitCode.NOT_SIGNED_IN, ""
    if isinstance(error, AiryNetworkError):
        return ExitCode.NETWORK, ""
    if isinstance(error, AiryBadRequest):
        return ExitCode.USAGE, ""
    if isinstance(error, AiryError):
        return ExitCode.ERROR, ""
    return None


async def _conversation(args: argparse.Namespace, client: Any) -> AiryConversation:
    from plow_tui.client.airy.conversation import AiryConversation
    from plow_tui.client.tokens import TokenStore

    store = TokenStore.default(force_file=args.insecure_storage, env=getattr(args, "env", None))
    conversation = AiryConversation(client, args.channel_id, store=store)
    await conversation.start()
    _print_notices(conversation)
    return conversation


def _client(args: argparse.Namespace) -> Any:
    from plow_tui.client.airy.http import AiryClient

    try:
        return AiryClient(args.url)
    except ValueError as error:
        raise UsageError(str(error)) from None


def _print_notices(conversation: AiryConversation) -> None:
    from plow_tui.client.airy.events import AiryConversationRestarted

    # Nothing else reads the queue yet: a restart notice must still reach the user.
    for event in conversation.drain_events():
        if isinstance(event, AiryConversationRestarted):
            print(f"plow-tui: {safe_line(event.notice)}", file=sys.stderr, flush=True)


# -- output -----------------------------------------------------------------------------


def message_json(message: AiryMessage, conversation_id: str | None) -> dict[str, Any]:
    sender = message.sender
    return {
        "id": message.id,
        "conversation_id": conversation_id,
        "from_contact": message.from_contact,
        "text": message.text,
        "content": message.content,
        "delivery_state": message.delivery_state,
        "sender": None if sender is None else {"id": sender.id, "name": sender.name, "avatar_url": sender.avatar_url},
        "sent_at": message.sent_at.isoformat().replace("+00:00", "Z") if message.sent_at else None,
    }


def message_line(message: AiryMessage) -> str:
    when = local_time(message.sent_at)
    who = "you" if message.from_contact else (message.sender_name or "agent")
    state = (
        f"  [{safe_line(message.delivery_state)}]"
        if message.from_contact and message.delivery_state not in (None, "delivered")
        else ""
    )
    return f"{when}  {safe_line(who)}: {safe_line(message.text, line_break=' ↵ ')}{state}"


def _emit(args: argparse.Namespace, message: AiryMessage, conversation_id: str | None) -> None:
    if args.json:
        print(safe_json(message_json(message, conversation_id)), flush=True)
    else:
        print(message_line(message), flush=True)


# -- send ---------------------------------------------------------------------------------


async def send(args: argparse.Namespace) -> int:
    text = sys.stdin.read() if args.text == "-" else args.text
    if not text.strip():
        raise UsageError("The message is empty.")
    async with _client(args) as client:
        conversation = await _conversation(args, client)
        sent = await conversation.send(text.rstrip("\n") if args.text == "-" else text)
        _print_notices(conversation)
        _emit(args, sent, conversation.conversation_id)
    return ExitCode.OK


# -- tail -----------------------------------------------------------------------------------


async def tail(args: argparse.Namespace) -> int:
    from contextlib import aclosing

    from plow_tui.client.airy.events import AiryConversationRestarted, AiryMessagesArrived
    from plow_tui.client.airy.stream import AiryStream
    from plow_tui.client.events import ConnectionChanged

    async with _client(args) as client:
        conversation = await _conversation(args, client)
        history = conversation.messages
        printed = {m.id for m in history}
        for message in history[len(history) - args.lines :] if args.lines else []:
            _emit(args, message, conversation.conversation_id)
        chatty = sys.stderr.isatty()
        async with aclosing(AiryStream(conversation).events()) as events:
            async for event in events:
                if isinstance(event, AiryMessagesArrived):
                    for message in event.messages:
                        if message.id not in printed:
                            printed.add(message.id)
                            _emit(args, message, conversation.conversation_id)
                elif isinstance(event, AiryConversationRestarted):
                    print(f"plow-tui: {safe_line(event.notice)}", file=sys.stderr, flush=True)
                elif isinstance(event, ConnectionChanged) and chatty:
                    note = connection_note(event.state, event.reason, event.retry_in)
                    if note is not None:
                        print(note, file=sys.stderr, flush=True)
    return ExitCode.OK
