"""Chats named by uid, prefix, title or number; `chat` subcommands; send's and tail's output (in-process)."""

from __future__ import annotations

import io
import json
import threading

import httpx
import pytest

from plow_tui.cli import main
from plow_tui.client.models import Chat
from plow_tui.commands import ExitCode
from plow_tui.commands.naming import match_chats
from plow_tui.settings import config_path


class Terminal(io.StringIO):
    """A stdout that says it is a terminal."""

    def isatty(self) -> bool:
        return True


def run(account, argv: list[str], stdin: str | None = None, stdout: io.StringIO | None = None) -> tuple[int, str, str]:
    out, err = stdout or io.StringIO(), io.StringIO()
    env = {"PLOW_TOKEN": account.token, "PLOW_API_URL": account.base_url}
    code = main(argv, stdout=out, stderr=err, stdin=io.StringIO(stdin or ""), env=env)
    return code, out.getvalue(), err.getvalue()


def _chat(uid: str, title: str, number: str, status: str = "active") -> Chat:
    return Chat.from_json({
        "uid": uid, "status": status, "display_name": title,
        "participants": [{"type": "agent", "line": {"uid": "ln_1", "provider_key": number}}],
    })


def test_match_chats_tiers() -> None:
    chats = [
        _chat("cht_AAAAbbbbCCCCddddEEEE", "Ada", "+15550000001"),
        _chat("cht_AAAAzzzzCCCCddddEEEE", "Ada Lovelace", "+15550000002"),
        _chat("cht_QQQQbbbbCCCCddddEEEE", "Bo", "+15550000002"),
    ]
    uids = lambda name: [c.uid for c in match_chats(name, chats)]  # noqa: E731
    assert uids("ada") == ["cht_AAAAbbbbCCCCddddEEEE"]  # an exact title beats a title prefix
    assert uids("cht_AAAAz") == ["cht_AAAAzzzzCCCCddddEEEE"]
    assert len(uids("cht_AAAA")) == 2  # ambiguous prefix
    assert uids("+1 (555) 000-0001") == ["cht_AAAAbbbbCCCCddddEEEE"]
    assert uids("5550000001") == ["cht_AAAAbbbbCCCCddddEEEE"]  # the leading 1 may be left out
    assert len(uids("+15550000002")) == 2  # one line, two chats
    assert uids("Ada Love") == ["cht_AAAAzzzzCCCCddddEEEE"]
    assert uids("nobody") == []


def _second_chat(account) -> str:
    """A second chat on the same line, named "Ada" too (pending: its member has not verified)."""
    headers = {"authorization": f"Bearer {account.token}"}
    lines = httpx.get(f"{account.base_url}/v1/lines", headers=headers).json()
    line = next(ln for ln in (lines["data"] if isinstance(lines, dict) else lines) if ln["provider_key"] == account.number)
    body = {"participants": [{"type": "agent", "line_id": line["uid"]}, {"type": "member", "display_name": "Ada"}]}
    created = httpx.post(f"{account.base_url}/v1/chats", json=body, headers=headers)
    created.raise_for_status()
    return created.json()["uid"]


def test_send_and_history_name_a_chat_by_title_number_or_prefix(account) -> None:
    code, out, err = run(account, ["send", "Ada", "by title"])
    assert code == 0, err
    assert run(account, ["send", account.number, "by number"])[0] == 0
    assert run(account, ["send", account.chat_uid[:8], "by prefix"])[0] == 0
    code, out, _ = run(account, ["history", account.chat_uid[:8], "--json"])
    assert [m["body"] for m in json.loads(out)] == ["by title", "by number", "by prefix"]
    code, _, err = run(account, ["send", "Zed", "hi"])
    assert code == ExitCode.NOT_FOUND and "No chat is named 'Zed'" in err


def test_an_ambiguous_name_exits_2_listing_the_candidates(account) -> None:
    other = _second_chat(account)
    for name in ("Ada", account.number):
        code, out, err = run(account, ["send", name, "hi"])
        assert code == ExitCode.USAGE and out == ""
        assert account.chat_uid in err and other in err and "could mean 2 chats" in err
    assert run(account, ["history", "Ada"])[0] == ExitCode.USAGE
    assert run(account, ["send", account.chat_uid, "the full uid still works"])[0] == 0


def test_send_json_is_one_shape_and_long_texts_are_announced(account) -> None:
    _, short, _ = run(account, ["send", "Ada", "short", "--json"])
    code, long, err = run(account, ["send", "Ada", "word " * 1000, "--json"])
    assert code == 0
    assert set(json.loads(short)) == set(json.loads(long)) == {"chat_uid", "messages"}
    assert len(json.loads(short)["messages"]) == 1 and len(json.loads(long)["messages"]) == 2
    assert err == "plow-tui: the text is 5000 characters: it goes as 2 texts.\n"
    code, out, err = run(account, ["send", "Ada", "x" * 4001, "--no-split"])
    assert code == ExitCode.USAGE and out == "" and "not sent (--no-split)" in err
    assert run(account, ["send", "Ada", "x" * 4000, "--no-split"])[0] == 0


def test_chats_is_a_table_on_a_terminal_and_tab_separated_in_a_pipe(account) -> None:
    _, piped, _ = run(account, ["chats"])
    assert piped == f"{account.chat_uid}\tactive\t{account.number}\tAda\n"
    tty = Terminal()
    run(account, ["chats"], stdout=tty)
    lines = tty.getvalue().splitlines()
    assert "\x1b[1mCHAT\x1b[0m" in lines[0] and "\x1b[32mactive\x1b[0m" in lines[1]
    no_colour = Terminal()
    out, err = no_colour, io.StringIO()
    main(["chats"], stdout=out, stderr=err, env={"PLOW_TOKEN": account.token, "PLOW_API_URL": account.base_url, "NO_COLOR": "1"})
    text = no_colour.getvalue()
    assert "\x1b" not in text
    header, row = text.splitlines()
    assert header.index("STATUS") == row.index("active")  # aligned columns
    _, _, err = run(account, ["chats", "--all"])
    assert "failed and deleted chats are not listed" in err


def test_chat_new_show_resend_delete_recreate(account) -> None:
    config_path().parent.mkdir(parents=True, exist_ok=True)
    config_path().write_text("poll_interval = 0.05\n")
    code, out, err = run(account, ["chat", "new", "--line", account.number, "--member", "Bo", "--member", "Cy", "--json"])
    assert code == 0, err
    created = json.loads(out)
    uid = created["uid"]
    codes = {m["display_name"]: m["verification_code"] for m in created["members"]}
    assert set(codes) == {"Bo", "Cy"} and all(c.startswith("VERIFY-") for c in codes.values())

    code, out, _ = run(account, ["chat", "show", uid])
    assert code == 0 and "status:  pending" in out and "Bo" in out and "waiting for their code" in out

    code, out, _ = run(account, ["chat", "resend", uid, "bo"])
    assert code == 0 and "VERIFY-" in out and codes["Bo"] not in out
    new_code = out.split("text ", 1)[1].split(" ", 1)[0]

    account.text(new_code, phone="+15557770001")
    account.text(codes["Cy"], phone="+15557770002")
    code, out, _ = run(account, ["chat", "show", uid, "--json"])
    shown = json.loads(out)
    assert shown["status"] == "active" and {m["status"] for m in shown["members"]} == {"active"}

    code, _, err = run(account, ["chat", "delete", uid])
    assert code == ExitCode.USAGE and "without --yes" in err  # not a terminal: nobody to ask
    code, out, _ = run(account, ["chat", "recreate", uid])
    assert code == 0 and "Recreated" in out
    new_uid = out.split(" as ", 1)[1].split(" ", 1)[0]
    assert run(account, ["chat", "show", uid])[0] == ExitCode.NOT_FOUND  # the old one is gone
    assert run(account, ["chat", "delete", new_uid, "--yes"])[0] == 0
    assert run(account, ["chat", "show", new_uid])[0] == ExitCode.NOT_FOUND


def test_chat_new_wait_returns_when_every_member_verified(account) -> None:
    config_path().parent.mkdir(parents=True, exist_ok=True)
    config_path().write_text("poll_interval = 0.05\n")
    out = io.StringIO()
    result: list[int] = []
    env = {"PLOW_TOKEN": account.token, "PLOW_API_URL": account.base_url}
    worker = threading.Thread(
        target=lambda: result.append(main(["chat", "new", "--line", account.number, "--member", "Di", "--wait"], stdout=out, stderr=io.StringIO(), env=env))
    )
    worker.start()
    for _ in range(400):
        if "VERIFY-" in out.getvalue():
            break
        worker.join(0.05)
    code = out.getvalue().split("text ", 1)[1].split(" ", 1)[0]
    assert not result  # still waiting
    account.text(code, phone="+15557770003")
    worker.join(30)
    assert result == [0]
    assert "is active." in out.getvalue()


def test_tail_prints_delivery_changes(account) -> None:
    out = io.StringIO()
    result: list[int] = []
    env = {"PLOW_TOKEN": account.token, "PLOW_API_URL": account.base_url}
    worker = threading.Thread(target=lambda: result.append(main(["tail", "Ada", "--json"], stdout=out, stderr=io.StringIO(), env=env)))
    worker.start()
    try:
        for _ in range(400):
            if account.sockets() >= 1:
                break
            worker.join(0.05)
        # Not through main(): it binds sys.stdout for its run, which tail (in its thread) prints to.
        sent = httpx.post(
            f"{account.base_url}/v1/chats/{account.chat_uid}/messages",
            json={"body": "watch me"},
            headers={"authorization": f"Bearer {account.token}"},
        )
        sent.raise_for_status()
        for _ in range(400):
            if '"type": "status"' in out.getvalue():
                break
            worker.join(0.05)
    finally:
        account.fault(revoke_token=account.token)  # tail stops: the token is gone
        worker.join(30)
    events = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [e["type"] for e in events] == ["message", "status"]
    assert events[0]["message"]["body"] == "watch me" and events[1]["message"]["status"] == "delivered"
    assert result == [ExitCode.NOT_SIGNED_IN]


def test_chat_delete_asks_on_a_terminal(account) -> None:
    env = {"PLOW_TOKEN": account.token, "PLOW_API_URL": account.base_url}
    other = _second_chat(account)
    out = Terminal()
    code = main(["chat", "delete", other], stdin=Terminal("n\n"), stdout=out, stderr=io.StringIO(), env=env)
    assert code == ExitCode.ERROR and "[y/N]" in out.getvalue() and "Not deleted." in out.getvalue()
    assert run(account, ["chat", "show", other])[0] == 0
    out = Terminal()
    assert main(["chat", "delete", other], stdin=Terminal("y\n"), stdout=out, stderr=io.StringIO(), env=env) == 0
    assert f"Deleted chat {other}." in out.getvalue()
    assert run(account, ["chat", "show", other])[0] == ExitCode.NOT_FOUND


def test_a_failed_chat_is_named_by_uid_shown_and_recreated(account) -> None:
    failed = _second_chat(account)
    httpx.post(f"{account.base_url}/sandbox/chats/{failed}/fail", json={"reason": "carrier \x1b[31mrejected"}).raise_for_status()
    _, listed, _ = run(account, ["chats"])
    assert failed not in listed  # the server never lists it
    code, out, _ = run(account, ["chat", "show", failed])
    assert code == 0 and "status:  failed" in out
    assert "reason:  carrier ␛[31mrejected" in out and "\x1b" not in out  # sanitised
    code, out, _ = run(account, ["chat", "recreate", failed])
    assert code == 0 and "Recreated" in out
