"""Every CLI command's output, text and --json, against a server whose every string is hostile.

The commands run in-process with captured stdout/stderr against
`tests.support.hostile_server` (httpx.MockTransport, and a fake socket for
`tail`). Hypothesis puts controls, ESC/CSI/OSC sequences, C1 controls, markup,
bidi and zero-width characters into every field of every resource, frame and
error; nothing may reach the terminal raw, --json must stay lossless, and no
secret may be printed.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
from collections.abc import Iterator
from unittest import mock

import pytest
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st

import plow_tui.client.http as http_module
import plow_tui.client.stream as stream_module
from plow_tui.cli import main
from plow_tui.terminal_text import safe_line
from tests.support.hostile import hostile_text, raw_characters
from tests.support.hostile_server import BASE_URL, CHAT, FIELDS, SECRET, TOKEN, HostileServer, connect_to

hostile_fields = st.fixed_dictionaries({name: hostile_text() for name in FIELDS})
# No shrinking: a failure names its command and output; shrinking twelve commands takes minutes.
QUICK = (Phase.explicit, Phase.reuse, Phase.generate)

COMMANDS = [
    ["chats"], ["chats", "--json"], ["lines"], ["lines", "--json"],
    ["history", CHAT], ["history", CHAT, "--json"],
    ["send", CHAT, "hi"], ["send", CHAT, "hi", "--json"],
    ["tail", CHAT, "-n", "3"], ["tail", CHAT, "-n", "3", "--json"],
    ["doctor"], ["activate", "--interval", "0", "--insecure-storage"],
]  # fmt: skip


class _Terminal(io.StringIO):
    """Captured output that says it is a terminal (`tail` reports reconnects only to one)."""

    def isatty(self) -> bool:
        return True


@contextlib.contextmanager
def _against(server: HostileServer) -> Iterator[None]:
    """Commands in this block talk to `server`, signed in through PLOW_TOKEN."""

    class Client(http_module.PlowClient):
        def __init__(self, base_url: str, token: str | None = None, **options: object) -> None:
            options.update(transport=server.transport(), max_retries=0)
            super().__init__(base_url, token, **options)  # type: ignore[arg-type]

    class Stream(stream_module.ChatStream):
        def __init__(self, *args: object, **options: object) -> None:
            async def no_wait(delay: float) -> None:
                pass

            options.update(connect=connect_to(server, stay_open=False), sleep=no_wait)
            super().__init__(*args, **options)  # type: ignore[arg-type]

    def no_socket(*args: object, **options: object) -> None:
        raise OSError("no sockets in this test")

    env = {"PLOW_API_URL": BASE_URL, "PLOW_TOKEN": TOKEN, "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}
    with (
        mock.patch.dict(os.environ, env),
        mock.patch.object(http_module, "PlowClient", Client),
        mock.patch.object(stream_module, "ChatStream", Stream),
        mock.patch("websockets.asyncio.client.connect", no_socket),
    ):
        yield


def run(args: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), _Terminal()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(args)
    return code, out.getvalue(), err.getvalue()


def _strings(value: object) -> set[str]:
    if isinstance(value, str):
        return {value}
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, list):
        return set().union(*(_strings(v) for v in value)) if value else set()
    return set()


def assert_safe(args: list[str], out: str, err: str) -> None:
    # Tabs are ours: tables are tab-separated when piped (a network tab became spaces).
    assert raw_characters(out.replace("\t", " ")) == [], (args, out)
    assert raw_characters(err) == [], (args, err)
    for secret in (TOKEN, SECRET):
        assert secret not in out + err, args


@settings(max_examples=6, deadline=None, phases=QUICK, suppress_health_check=[HealthCheck.too_slow])
@given(fields=hostile_fields)
# No title from the server: the shown "title" is the member's name (tag characters in it).
@example(fields=dict.fromkeys(FIELDS, "x") | {"chat_title": "", "member_name": "\U000e0041\U000e00429Z]\x88"})
def test_every_command_prints_hostile_fields_safely(fields: dict[str, str]) -> None:
    with _against(HostileServer(fields)):
        outputs = {tuple(args): run(args) for args in COMMANDS}
    for args, (code, out, err) in outputs.items():
        assert_safe(list(args), out, err)
        # tail ends when the server stops issuing tickets (404); doctor finds endpoints missing.
        assert (code != 0) == (args[0] in ("tail", "doctor")), (args, code, err)
        if "--json" in args:
            lines = out.splitlines() if args[0] == "tail" else [out]
            values = [json.loads(line) for line in lines if line.strip()]
            if args[0] not in ("chats", "lines"):
                assert fields["message_body"] in _strings(values), args  # escaped, not lost
    # Shown literally, visibly: what each field looks like after the one sanitiser.
    assert safe_line(fields["chat_title"]) in outputs[("chats",)][1]
    assert safe_line(fields["line_name"]) in outputs[("lines",)][1]
    assert safe_line(fields["message_body"], line_break=" ↵ ") in outputs[("history", CHAT)][1]
    assert safe_line(fields["message_body"], line_break=" ↵ ") in outputs[("tail", CHAT, "-n", "3")][1]
    # --json loses nothing: the hostile strings come back exactly.
    chats = json.loads(outputs[("chats", "--json")][1])
    # "display_name" is the server's title as sent; "title" is the name shown for the chat
    # (that title, else the member's name, else the number, else the uid), exact too.
    assert chats[0]["display_name"] == fields["chat_title"]
    shown = ("chat_title", "member_name", "line_number", "chat_number", "chat_uid")
    assert chats[0]["title"] == next((fields[name] for name in shown if fields[name]), fields["chat_uid"])
    assert chats[0]["members"][0]["display_name"] == fields["member_name"]
    assert json.loads(outputs[("lines", "--json")][1])[0]["display_name"] == fields["line_name"]


@pytest.mark.parametrize("status", [400, 404, 409, 422, 500, 503])
@settings(max_examples=3, deadline=None, phases=QUICK, suppress_health_check=[HealthCheck.too_slow])
@given(fields=hostile_fields)
def test_every_error_is_printed_safely(status: int, fields: dict[str, str]) -> None:
    with _against(HostileServer(fields, failing=status)):
        for args in COMMANDS:
            code, out, err = run(args)
            assert code != 0, args
            assert_safe(args, out, err)
            assert err or "FAIL" in out, args


def test_an_echoed_token_is_redacted_before_the_message_is_capitalised() -> None:
    # The server's message starts with the token: the client capitalises the
    # first letter of a server's sentence, which used to defeat the redaction.
    fields = dict.fromkeys(FIELDS, "x")
    fields["error_message"] = f"{TOKEN} is not valid here"
    with _against(HostileServer(fields, failing=400)):
        code, out, err = run(["chats"])
    assert code != 0 and "[redacted]" in err
    assert TOKEN[1:] not in err, err


AIRY_CHANNEL = "5d8a3e2f-0c4b-4f7e-9a1d-2b6c8e0f1a3b"


@settings(max_examples=4, deadline=None, phases=QUICK, suppress_health_check=[HealthCheck.too_slow])
@given(fields=hostile_fields, failing=st.sampled_from([None, 400, 404, 500]))
def test_airy_send_prints_hostile_fields_safely(fields: dict[str, str], failing: int | None) -> None:
    import httpx

    import plow_tui.client.airy.http as airy_http

    def answer(request: httpx.Request) -> httpx.Response:
        if failing is not None:
            return httpx.Response(failing, content=json.dumps({"message": fields["error_message"]}).encode())
        if request.url.path == "/chatplugin.authenticate":
            return httpx.Response(200, json={"token": "airy-auth-HOSTILE1234", "messages": []})
        if request.url.path == "/chatplugin.resumeToken":
            return httpx.Response(200, json={"resume_token": "airy-resume-HOSTILE1234"})
        message = {"id": fields["message_uid"] + "0", "content": {"text": fields["message_body"]},
                   "delivery_state": fields["message_status"], "from_contact": False,
                   "sender": {"id": fields["member_uid"], "name": fields["sender_name"]},
                   "sent_at": "2026-09-14T12:00:00Z"}  # fmt: skip
        return httpx.Response(200, content=json.dumps(message).encode())

    class Client(airy_http.AiryClient):
        def __init__(self, url: str, **options: object) -> None:
            super().__init__(url, transport=httpx.MockTransport(answer), **options)  # type: ignore[arg-type]

    base = ["airy", "http://airy.test", "--insecure-storage", "--channel-id", AIRY_CHANNEL, "send", "hi"]
    with mock.patch.object(airy_http, "AiryClient", Client), mock.patch.dict(os.environ, {"PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}):
        for args in (base, [*base, "--json"]):
            code, out, err = run(args)
            assert_safe(args, out, err)
            assert (code != 0) == (failing is not None), (args, code, err)
            shown_as_text = failing is None and fields["message_body"].strip()  # else the content is shown as JSON
            if shown_as_text and "--json" in args:
                assert json.loads(out)["text"] == fields["message_body"]
            elif shown_as_text:
                assert safe_line(fields["message_body"], line_break=" ↵ ") in out
            for secret in ("airy-auth-HOSTILE1234", "airy-resume-HOSTILE1234"):
                assert secret not in out + err
