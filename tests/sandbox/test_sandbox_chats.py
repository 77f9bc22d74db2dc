"""Chats (PROTOCOL.md §3–§4): lines, creation, member verification, resend, list, delete."""

from __future__ import annotations

import re

from sandbox_helpers import ADA, BOB, CAROL, Api


def test_lines_list_the_pool(api: Api) -> None:
    ada = api.sign_in()
    answer = api.http.get("/v1/lines", headers=ada.headers).json()
    assert answer["object"] == "list" and answer["has_more"] is False and answer["url"] == "/v1/lines"
    numbers = [ln["provider_key"] for ln in answer["data"]]
    assert numbers == [f"+1555000000{i}" for i in range(1, 7)]
    assert all(ln["object"] == "line" and ln["uid"].startswith("ln_") for ln in answer["data"])


def test_create_chat_gives_pending_members_with_codes(api: Api) -> None:
    ada = api.sign_in()
    line = api.lines(ada)[2]
    answer = api.create_chat(ada, line["uid"], "Sarah", "Tom")
    assert answer.status_code == 201
    chat = answer.json()
    assert chat["status"] == "pending"
    members = [p for p in chat["participants"] if p["type"] == "member"]
    assert [m["display_name"] for m in members] == ["Sarah", "Tom"]
    for m in members:
        assert re.fullmatch(r"VERIFY-[A-Z0-9]{6}", m["verification_code"])
        assert m["verification_code_expires_at"].endswith("Z")
        assert m["status"] == "pending_verification" and m["provider_key"] is None
    # Codes appear only in the create (and resend) answer.
    read = api.http.get(f"/v1/chats/{chat['uid']}", headers=ada.headers).json()
    assert all("verification_code" not in p for p in read["participants"])


def test_members_verify_by_text_then_the_chat_is_active(api: Api) -> None:
    ada = api.sign_in()
    line = api.lines(ada)[2]
    chat = api.create_chat(ada, line["uid"], "Bob", "Carol").json()
    bob_code, carol_code = (p["verification_code"] for p in chat["participants"] if p["type"] == "member")
    # The code on the wrong line, or with extra words, does nothing.
    assert api.sms(BOB, api.lines(ada)[3]["provider_key"], bob_code) == "ignored"
    assert api.sms(BOB, line["provider_key"], f"my code is {bob_code}") == "ignored"
    assert api.sms(BOB, line["provider_key"], bob_code) == "member_verified"
    assert api.sms(CAROL, line["provider_key"], bob_code) == "ignored"  # used codes die
    read = api.http.get(f"/v1/chats/{chat['uid']}", headers=ada.headers).json()
    assert read["status"] == "pending"
    assert api.sms(CAROL, line["provider_key"], f" {carol_code}\n") == "member_verified"
    read = api.http.get(f"/v1/chats/{chat['uid']}", headers=ada.headers).json()
    assert read["status"] == "active"
    phones = {p["display_name"]: p["provider_key"] for p in read["participants"] if p["type"] == "member"}
    assert phones == {"Bob": BOB, "Carol": CAROL}


def test_the_owner_verifying_from_their_own_phone_is_the_owner(api: Api) -> None:
    ada = api.sign_in(ADA)
    line = api.lines(ada)[4]
    chat = api.create_chat(ada, line["uid"], "Ada").json()
    code = chat["participants"][0]["verification_code"]
    api.sms(ADA, line["provider_key"], code)
    member = api.http.get(f"/v1/chats/{chat['uid']}", headers=ada.headers).json()["participants"][0]
    assert member["role"] == "owner"


def test_expired_member_codes_are_ignored(make_api) -> None:  # noqa: ANN001
    api: Api = make_api(member_code_ttl=60)
    ada = api.sign_in()
    line = api.lines(ada)[1]
    chat = api.create_chat(ada, line["uid"], "Bob").json()
    api.advance(61)
    assert api.sms(BOB, line["provider_key"], chat["participants"][0]["verification_code"]) == "ignored"


def test_resend_issues_a_fresh_code_and_kills_the_old(api: Api) -> None:
    ada = api.sign_in()
    line = api.lines(ada)[1]
    chat = api.create_chat(ada, line["uid"], "Bob").json()
    member = chat["participants"][0]
    url = f"/v1/chats/{chat['uid']}/invitations/{member['uid']}/resend"
    answer = api.http.post(url, headers=ada.headers)
    assert answer.status_code == 200
    fresh = answer.json()
    assert fresh["uid"] == member["uid"] and fresh["verification_code"] != member["verification_code"]
    assert api.sms(BOB, line["provider_key"], member["verification_code"]) == "ignored"
    assert api.sms(BOB, line["provider_key"], fresh["verification_code"]) == "member_verified"
    again = api.http.post(url, headers=ada.headers)
    assert again.status_code == 409
    unknown = api.http.post(f"/v1/chats/{chat['uid']}/invitations/cp_nope/resend", headers=ada.headers)
    assert unknown.status_code == 404


def test_create_chat_validation(api: Api) -> None:
    ada = api.sign_in()
    line_uid = api.lines(ada)[0]["uid"]
    agent = {"type": "agent", "line_id": line_uid}
    member = {"type": "member", "display_name": "Sarah"}
    bad_bodies = [
        {},
        {"participants": []},
        {"participants": [member]},  # no agent
        {"participants": [agent]},  # no member
        {"participants": [agent, agent, member]},
        {"participants": [{"type": "agent", "line_id": "ln_unknown"}, member]},
        {"participants": [agent, {"type": "member", "display_name": ""}]},
        {"participants": [agent, {"type": "member", "display_name": "x" * 256}]},
        {"participants": [agent, {"type": "member"}]},
        {"participants": [agent, {"type": "robot"}]},
        {"participants": [agent, "Sarah"]},
        {"participants": "Sarah"},
    ]
    for body in bad_bodies:
        answer = api.http.post("/v1/chats", json=body, headers=ada.headers)
        assert answer.status_code == 422, body
        assert isinstance(answer.json()["detail"], str)
    ok = api.http.post(
        "/v1/chats", json={"participants": [agent, {"type": "member", "display_name": "x" * 255}]}, headers=ada.headers
    )
    assert ok.status_code == 201


def test_list_excludes_failed_and_deleted_and_delete_is_final(api: Api) -> None:
    ada = api.sign_in()
    lines = api.lines(ada)
    pending = api.create_chat(ada, lines[1]["uid"], "Bob").json()
    doomed = api.create_chat(ada, lines[2]["uid"], "Carol").json()
    failed = api.http.post(f"/sandbox/chats/{doomed['uid']}/fail", json={"reason": "carrier_rejected"})
    assert failed.status_code == 200 and failed.json()["status"] == "failed"
    assert failed.json()["failure_reason"] == "carrier_rejected"
    listed = {c["uid"] for c in api.http.get("/v1/chats", headers=ada.headers).json()["data"]}
    assert listed == {ada.chat_uid, pending["uid"]}
    # A failed chat can still be read, and then deleted.
    assert api.http.get(f"/v1/chats/{doomed['uid']}", headers=ada.headers).json()["status"] == "failed"
    assert api.http.delete(f"/v1/chats/{pending['uid']}", headers=ada.headers).status_code == 200
    chat_url = f"/v1/chats/{pending['uid']}"
    member_uid = pending["participants"][0]["uid"]
    assert api.http.get(chat_url, headers=ada.headers).status_code == 404
    assert api.http.delete(chat_url, headers=ada.headers).status_code == 404
    assert api.send(ada, pending["uid"], "hi").status_code == 404
    assert api.http.get(f"{chat_url}/messages", headers=ada.headers).status_code == 404
    assert api.http.post(f"{chat_url}/invitations/{member_uid}/resend", headers=ada.headers).status_code == 404
    listed = {c["uid"] for c in api.http.get("/v1/chats", headers=ada.headers).json()["data"]}
    assert listed == {ada.chat_uid}
    # Its member's code died with it.
    code = pending["participants"][0]["verification_code"]
    assert api.sms(BOB, lines[1]["provider_key"], code) == "ignored"


def test_another_accounts_chat_is_404_everywhere(api: Api) -> None:
    ada = api.sign_in(ADA)
    bob = api.sign_in(BOB, "Bob")
    url = f"/v1/chats/{ada.chat_uid}"
    assert api.http.get(url, headers=bob.headers).status_code == 404
    assert api.http.delete(url, headers=bob.headers).status_code == 404
    assert api.send(bob, ada.chat_uid, "hi").status_code == 404
    assert api.http.get(f"{url}/messages", headers=bob.headers).status_code == 404
    assert api.http.post("/v1/ws/ticket", json={"chat_id": ada.chat_uid}, headers=bob.headers).status_code == 404
    assert api.http.get(url, headers=ada.headers).status_code == 200


def test_every_bearer_route_answers_401_without_a_good_token(api: Api) -> None:
    ada = api.sign_in()
    routes = [
        ("GET", "/v1/lines"),
        ("GET", "/v1/chats"),
        ("POST", "/v1/chats"),
        ("GET", f"/v1/chats/{ada.chat_uid}"),
        ("DELETE", f"/v1/chats/{ada.chat_uid}"),
        ("GET", f"/v1/chats/{ada.chat_uid}/messages"),
        ("POST", f"/v1/chats/{ada.chat_uid}/messages"),
        ("POST", f"/v1/chats/{ada.chat_uid}/invitations/cp_x/resend"),
        ("POST", "/v1/ws/ticket"),
    ]
    for headers in ({}, {"Authorization": "Bearer nope"}, {"Authorization": f"Basic {ada.token}"}):
        for method, path in routes:
            answer = api.http.request(method, path, headers=headers, json={})
            assert answer.status_code == 401, (method, path, headers)
            assert isinstance(answer.json()["detail"], str)
    assert api.faults(revoke_token=ada.token).status_code == 200
    for method, path in routes:
        assert api.http.request(method, path, headers=ada.headers, json={}).status_code == 401


def test_revoke_token_all_signs_every_client_out_without_knowing_the_tokens(api: Api) -> None:
    # `--sandbox` never shows its token: a script can still sign the app out.
    ada = api.sign_in(ADA, "Ada")
    bob = api.sign_in(BOB, "Bob")
    for who in (ada, bob):
        assert api.http.get("/v1/chats", headers=who.headers).status_code == 200
    answer = api.faults(revoke_token="all")
    assert answer.status_code == 200 and answer.json()["revoked"] == 2
    for who in (ada, bob):
        assert api.http.get("/v1/chats", headers=who.headers).status_code == 401
    assert api.faults(revoke_token="all").json()["revoked"] == 0  # nothing left to revoke
