"""`plow-tui airy URL --channel-id UUID send|tail` against the Airy sandbox."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from typing import TYPE_CHECKING

import pytest
from support.waits import QUIET, wait_until

from plow_tui.cli import main
from plow_tui.commands import ExitCode

if TYPE_CHECKING:
    from tests.airy.conftest import AiryServer


def _airy(server: AiryServer, *rest: str, channel: str | None = None) -> list[str]:
    return ["airy", server.base_url, "--insecure-storage", "--channel-id", channel or server.channel_id, *rest]


def test_send_twice_lands_in_one_conversation(airy_server: AiryServer, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(_airy(airy_server, "send", "hello")) == ExitCode.OK
    assert main(_airy(airy_server, "send", "--json", "again")) == ExitCode.OK
    out = capsys.readouterr().out.splitlines()
    assert out[0].endswith("you: hello")
    sent = json.loads(out[1])
    assert sent["text"] == "again" and sent["from_contact"] is True and sent["delivery_state"] == "delivered"
    assert len(airy_server.conversation_ids()) == 1


def test_send_reads_stdin(airy_server: AiryServer, capsys, monkeypatch) -> None:
    import io

    monkeypatch.setattr("sys.stdin", io.StringIO("from stdin\n"))
    assert main(_airy(airy_server, "send", "-")) == ExitCode.OK
    assert capsys.readouterr().out.rstrip().endswith("you: from stdin")


def test_expired_resume_token_starts_over_and_says_so(airy_server: AiryServer, capsys) -> None:
    assert main(_airy(airy_server, "send", "one")) == ExitCode.OK
    airy_server.fault(expire_tokens=True)
    assert main(_airy(airy_server, "send", "two")) == ExitCode.OK
    assert "a new conversation has started" in capsys.readouterr().err
    assert len(airy_server.conversation_ids()) == 2


@pytest.mark.parametrize(
    ("args", "code", "said"),
    [
        (("send", "hi"), ExitCode.NOT_FOUND, "no longer connected"),
        (("send", "   "), ExitCode.USAGE, "empty"),
    ],
)
def test_errors_are_one_sentence_and_an_exit_code(airy_server: AiryServer, capsys, args, code, said) -> None:
    unknown = "00000000-0000-4000-8000-000000000000"
    assert main(_airy(airy_server, *args, channel=unknown)) == code
    err = capsys.readouterr().err
    assert said in err and "Traceback" not in err


def test_unreachable_instance_is_a_network_error(capsys) -> None:
    argv = ["airy", "http://127.0.0.1:9", "--insecure-storage", "--channel-id", "5f1e7c2a-8b4d-4e6f-9a1c-3d2b0e4f6a70"]
    assert main([*argv, "send", "hi"]) == ExitCode.NETWORK
    assert main(["airy", "ftp://x", "--channel-id", "5f1e7c2a-8b4d-4e6f-9a1c-3d2b0e4f6a70", "send", "hi"]) == ExitCode.USAGE
    assert "Cannot reach" in capsys.readouterr().err


def test_tail_survives_dropped_sockets_without_loss_or_duplicates(airy_server: AiryServer) -> None:
    assert main(_airy(airy_server, "send", "before tail")) == ExitCode.OK
    conversation = airy_server.only_conversation()
    proc = subprocess.Popen(
        [sys.executable, "-m", "plow_tui", *_airy(airy_server, "tail", "--json", "-n", "1")],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=os.environ.copy(),
    )
    lines: list[dict] = []
    reader = threading.Thread(target=lambda: lines.extend(json.loads(line) for line in proc.stdout), daemon=True)
    reader.start()
    try:
        def printed(count: int) -> bool:
            assert proc.poll() is None, proc.stderr.read()
            return len(lines) >= count

        wait_until(lambda: printed(1), "the history line")
        assert lines[0]["text"] == "before tail"
        # Once tail prints a message sent now, its stream is subscribed (live, or by its catch-up on connecting).
        expected = [airy_server.agent_says(conversation, "are you there?")["id"]]
        wait_until(lambda: printed(2), "tail following")
        for n in range(8):
            expected.append(airy_server.agent_says(conversation, f"agent {n}")["id"])
            if n % 3 == 1:
                airy_server.fault(drop_sockets=True)
        wait_until(lambda: set(expected) <= {line["id"] for line in lines}, "every message printed")
        time.sleep(QUIET)  # any duplicate would show up by now (an absence cannot be waited for)
        ids = [line["id"] for line in lines]
        assert len(ids) == len(set(ids)) == len(expected) + 1
        assert all(line["conversation_id"] in (None, conversation) for line in lines)
    finally:
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=60) == ExitCode.INTERRUPTED


def test_tokens_never_leak_into_output_or_logs(airy_server: AiryServer, capsys) -> None:
    import logging

    from plow_tui.client.secret_backends import FileStore
    from plow_tui.logs import default_log_path

    # DEBUG everywhere: websockets and httpx then log every frame and request.
    logging.getLogger().setLevel(logging.DEBUG)
    try:
        assert main(_airy(airy_server, "send", "one")) == ExitCode.OK
        airy_server.fault(drop_sockets=True)
        assert main(_airy(airy_server, "send", "--json", "two")) == ExitCode.OK
    finally:
        logging.getLogger().setLevel(logging.WARNING)
    secrets = json.loads(FileStore().path.read_text())
    (resume_token,) = [v for k, v in secrets.items() if k.startswith("airy:")]
    assert len(resume_token) > 20
    out = capsys.readouterr()
    log_text = default_log_path().read_text()
    assert "chatplugin.send" in log_text  # the log did record the traffic
    for text in (out.out, out.err, log_text):
        assert resume_token not in text
