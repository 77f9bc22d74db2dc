"""`plow-tui` Plow subcommands against the sandbox, in-process (`main` with its own streams),
plus one real subprocess for what only a process shows (the entry point, Ctrl+C, exit 130)."""

from __future__ import annotations

import json
import signal
import subprocess
from pathlib import Path


from support import PLOW_TUI
from support.cli import Background, run_here
from plow_tui.commands import ExitCode
from plow_tui.commands.doctor import missing_endpoints
from plow_tui.commands.formats import message_line


def run(args: list[str], env: dict[str, str], stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """The command in a child process: for signals and the real entry point."""
    return subprocess.run(PLOW_TUI + args, env=env, input=stdin, capture_output=True, text=True, timeout=60)


def assert_clean_failure(result: subprocess.CompletedProcess[str], code: int, *secrets: str) -> None:
    assert result.returncode == code, result.stderr
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("plow-tui: ") and result.stderr.count("\n") == 1
    for secret in secrets:
        assert secret not in result.stderr + result.stdout


def test_send_history_and_chats(account) -> None:
    env_base: dict[str, str] = {}
    env = {**env_base, "PLOW_TOKEN": account.token}
    url = ["--api-url", account.base_url]
    sent = run_here(["send", account.chat_uid, "hello from a script", *url], env)
    assert sent.returncode == 0, sent.stderr
    assert sent.stdout.startswith("Sent msg_")
    piped = run_here(["send", account.chat_uid, "-", "--json", *url], env, stdin="line one\nline two\n")
    assert json.loads(piped.stdout)["messages"][0]["body"] == "line one\nline two"
    account.text("a reply")
    history = run_here(["history", account.chat_uid, "--json", *url], env)
    bodies = [m["body"] for m in json.loads(history.stdout)]
    assert bodies == ["hello from a script", "line one\nline two", "a reply"]
    many = run_here(["history", account.chat_uid, "--limit", "150", *url], env)  # above the server's page cap
    assert many.returncode == 0 and len(many.stdout.splitlines()) == 3, many.stderr
    last = run_here(["history", account.chat_uid, "--limit", "1", *url], env)
    assert last.stdout.rstrip().endswith("Ada: a reply")
    chats = json.loads(run_here(["chats", "--json", *url], env).stdout)
    assert [c["uid"] for c in chats] == [account.chat_uid] and chats[0]["number"] == account.number


def test_errors_are_one_sentence_and_an_exit_code(account) -> None:
    env_base: dict[str, str] = {}
    env = {**env_base, "PLOW_TOKEN": account.token}
    url = ["--api-url", account.base_url]
    assert_clean_failure(run_here(["history", "cht_missing", *url], env), ExitCode.NOT_FOUND, account.token)
    assert_clean_failure(run_here(["send", account.chat_uid, "   ", *url], env), ExitCode.USAGE)
    assert_clean_failure(run_here(["chats", "--api-url", "http://127.0.0.1:9"], env), ExitCode.NETWORK, account.token)
    bad = {**env_base, "PLOW_TOKEN": "canary-token-not-valid-42"}
    refused = run_here(["chats", *url], bad)
    assert_clean_failure(refused, ExitCode.NOT_SIGNED_IN, "canary-token-not-valid-42")
    # `activate` cannot help while the variable is set (it wins): say which token was refused.
    assert "The token in PLOW_TOKEN was refused: unset PLOW_TOKEN" in refused.stderr
    unsigned = run_here(["lines", *url], env_base)
    assert_clean_failure(unsigned, ExitCode.NOT_SIGNED_IN)
    assert "PLOW_TOKEN" not in unsigned.stderr and "plow-tui activate" in unsigned.stderr
    account.fault(fail_next={"status": 500, "count": 1})
    unknown = run_here(["send", account.chat_uid, "maybe", *url], env)
    assert_clean_failure(unknown, ExitCode.MAYBE_SENT, account.token)
    assert "may have been sent" in unknown.stderr


def _messages(tail: Background) -> list[dict]:
    events = [json.loads(line) for line in tail.stdout.splitlines()]
    return [event["message"] for event in events if event["type"] == "message"]


def test_tail_json_survives_drops_without_loss_or_duplicates(account) -> None:
    tail = Background(["tail", account.chat_uid, "--json", "--api-url", account.base_url], {"PLOW_TOKEN": account.token})
    # `tail` follows from "now": wait until it is subscribed before texting.
    tail.wait_for(lambda: account.sockets() >= 1, "tail connected")
    total = 15
    for i in range(total):
        account.text(f"msg {i}")
        if i % 4 == 3:
            account.fault(drop_sockets=True)
    tail.wait_for(lambda: len(_messages(tail)) >= total, "every message printed")
    account.fault(revoke_token=account.token)  # tail ends: the token is gone
    assert tail.exit_code() == ExitCode.NOT_SIGNED_IN
    lines = _messages(tail)
    assert [line["body"] for line in lines] == [f"msg {i}" for i in range(total)]
    assert len({line["uid"] for line in lines}) == total
    for key in ("uid", "direction", "body", "sender", "created_at", "status"):
        assert key in lines[0]
    assert lines[0]["direction"] == "inbound" and lines[0]["sender"]["display_name"] == "Ada"
    assert "Traceback" not in tail.stderr and account.token not in tail.stderr


def test_tail_stops_when_the_token_is_revoked(account) -> None:
    tail = Background(["tail", account.chat_uid, "--api-url", account.base_url], {"PLOW_TOKEN": account.token})
    tail.wait_for(lambda: account.sockets() >= 1, "tail connected")
    account.text("before")
    tail.wait_for(lambda: tail.stdout.rstrip().endswith("Ada: before"), "the text printed")
    account.fault(revoke_token=account.token)
    assert tail.exit_code() == ExitCode.NOT_SIGNED_IN
    assert tail.stderr.startswith("plow-tui: ") and "Traceback" not in tail.stderr


def test_activate_stores_token_and_logout_forgets_it(sandbox) -> None:
    import os

    import httpx

    url = ["--api-url", sandbox.base_url, "--insecure-storage"]
    activate = Background(["activate", "--name", "Bo", "--interval", "0.1", *url], {})
    activate.wait_for(lambda: "To:" in activate.stdout, "the instructions")
    said = activate.stdout.splitlines()
    text = said[0].split("text exactly:", 1)[1].strip()
    to = said[1].split(":", 1)[1].strip()
    effect = httpx.post(f"{sandbox.base_url}/sandbox/sms", json={"from": "+15557779999", "to": to, "text": text})
    assert effect.json()["effect"] == "activated"
    assert activate.exit_code() == 0, activate.stderr
    out = activate.stdout
    assert "Signed in." in out and "Your chat: Bo" in out and "secrets.json" in out
    home = Path(os.environ["HOME"])
    secrets = json.loads((home / ".config" / "plow-tui" / "secrets.json").read_text())
    assert list(secrets) == [sandbox.base_url]  # the pending activation is gone
    token = secrets[sandbox.base_url]
    assert run_here(["chats", *url], {}).returncode == 0
    logout = run_here(["logout", *url], {})
    assert logout.returncode == 0 and "Signed out" in logout.stdout
    assert run_here(["chats", *url], {}).returncode == ExitCode.NOT_SIGNED_IN
    log = (home / ".local" / "state" / "plow-tui" / "plow-tui.log").read_text()
    assert token not in log and "act_" not in log and "ticket=" not in log.replace("ticket=[redacted]", "")


def test_activate_resumes_after_ctrl_c(sandbox, cli_env) -> None:
    url = ["--api-url", sandbox.base_url]
    first = subprocess.Popen(
        PLOW_TUI + ["activate", "--no-chat", "--interval", "0.1", *url],
        env=cli_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    assert first.stdout is not None
    code_line = first.stdout.readline()
    first.stdout.readline(), first.stdout.readline()
    assert "Waiting" in first.stdout.readline()
    first.send_signal(signal.SIGINT)
    first.communicate(timeout=60)
    assert first.returncode == ExitCode.INTERRUPTED
    second = subprocess.Popen(
        PLOW_TUI + ["activate", "--no-chat", "--interval", "0.1", *url],
        env=cli_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    assert second.stdout is not None
    assert second.stdout.readline().startswith("Resuming")
    assert second.stdout.readline() == code_line  # the same code, not a new one
    second.send_signal(signal.SIGINT)
    second.communicate(timeout=60)


def test_doctor_reports_each_check(account) -> None:
    result = run_here(["doctor", "--api-url", account.base_url], {"PLOW_TOKEN": account.token})
    lines = result.stdout.splitlines()
    assert [line.split(":")[0] for line in lines] == [
        "ok    API", "ok    OpenAPI", "ok    secret store", "ok    token", "ok    WebSocket", "ok    search",
    ]
    assert result.returncode == 0
    offline = run_here(["doctor", "--api-url", "http://127.0.0.1:9"], {})
    assert offline.stdout.startswith("FAIL  API") and offline.returncode == ExitCode.NETWORK


def test_output_helpers() -> None:
    spec = {"paths": {"/v1/chats/{chat_id}": {"get": {}}, "/v1/lines": {"get": {}}}}
    assert "GET /v1/chats/{}" not in missing_endpoints(spec) and "POST /v1/ws/ticket" in missing_endpoints(spec)
    from plow_tui.client.models import ChatMessage

    assert message_line(ChatMessage.from_json({"uid": "m", "body": "x", "sender": {"display_name": "Ada"}})).endswith("Ada: x")
    line = message_line(ChatMessage.from_json({"uid": "m", "body": "hi\x1b[2Jthere\nnext", "sender": {"display_name": "A"}}))
    assert line.endswith("A: hi␛[2Jthere ↵ next")


def test_unexpected_errors_go_to_the_log_not_the_screen(capsys) -> None:
    import argparse

    from plow_tui.commands import signed_in

    async def broken(args: argparse.Namespace) -> int:
        raise RuntimeError("internal detail tok-should-not-show")

    code = signed_in.run(broken, argparse.Namespace())
    err = capsys.readouterr().err
    assert code == ExitCode.ERROR
    assert err.startswith("plow-tui: Unexpected error (RuntimeError); details in ") and "tok-should" not in err
    import logging

    root = logging.getLogger()
    for handler in [h for h in root.handlers if getattr(h, "_plow_tui_handler", False)]:
        handler.flush()
        log = Path(handler.baseFilename).read_text()
        root.removeHandler(handler)
        handler.close()
    root.setLevel(logging.WARNING)
    assert "RuntimeError: internal detail" in log


def test_a_tail_started_with_ctrl_c_ignored_still_stops_on_it(account) -> None:
    """A shell without job control (`plow-tui tail … &` in a script, some CI runners) starts the
    command with SIGINT ignored; Python keeps it ignored and `asyncio.run` then never sees Ctrl+C."""
    import os

    process = subprocess.Popen(
        PLOW_TUI + ["tail", account.chat_uid, "--api-url", account.base_url],
        env={**os.environ, "PLOW_TOKEN": account.token},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN),
    )
    try:
        from support.waits import wait_until

        wait_until(lambda: account.sockets() >= 1 or process.poll() is not None, "tail connected")
        assert process.poll() is None, process.stderr.read()
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=60) == ExitCode.INTERRUPTED
    finally:
        if process.poll() is None:
            process.kill()
