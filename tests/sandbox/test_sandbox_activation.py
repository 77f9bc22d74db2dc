"""Activation (PROTOCOL.md §2): codes, the inbound rule, redeem answers, pool lines."""

from __future__ import annotations

import re

from sandbox_helpers import ADA, BOB, Api


def test_activate_answers_code_secret_number_and_line(api: Api) -> None:
    start = api.activate()
    assert re.fullmatch(r"[A-Z0-9]{5}", start["display_code"])
    assert start["activation_secret"].startswith("act_")
    assert re.fullmatch(r"\+1555000000[1-6]", start["send_to"])
    assert start["line_id"].startswith("ln_")
    assert "expires_at" not in start


def test_redeem_is_pending_until_the_text_then_verified_with_token_and_active_chat(api: Api) -> None:
    start = api.activate("Ada")
    assert api.redeem(start["activation_secret"]).json() == {"status": "pending"}
    assert api.sms(ADA, start["send_to"], f"Plow Activate: {start['display_code']}") == "activated"
    answer = api.redeem(start["activation_secret"]).json()
    assert answer["status"] == "verified"
    assert answer["token"]
    chat = answer["chat"]
    assert chat["status"] == "active" and chat["uid"].startswith("cht_")
    member, agent = chat["participants"]
    assert member["provider_key"] == ADA and member["role"] == "owner" and member["status"] == "active"
    assert member["display_name"] == "Ada"
    assert agent["line"]["provider_key"] == start["send_to"]
    assert "verification_code" not in member


def test_token_only_on_the_first_verified_redeem(api: Api) -> None:
    start = api.activate()
    api.sms(ADA, start["send_to"], f"Plow Activate: {start['display_code']}")
    first = api.redeem(start["activation_secret"]).json()
    again = api.redeem(start["activation_secret"]).json()
    assert "token" in first
    assert again == {"status": "verified"}


def test_without_provision_chat_the_token_comes_without_a_chat(api: Api) -> None:
    start = api.activate(provision=False)
    api.sms(ADA, start["send_to"], f"Plow Activate: {start['display_code']}")
    answer = api.redeem(start["activation_secret"]).json()
    assert answer["token"] and answer.get("chat") is None
    listed = api.http.get("/v1/chats", headers={"Authorization": f"Bearer {answer['token']}"}).json()
    assert listed["data"] == []


def test_the_rule_is_anchored_and_case_insensitive(api: Api) -> None:
    start = api.activate()
    to, code = start["send_to"], start["display_code"]
    for text in (f"Hi, Plow Activate: {code}", code, f"Plow Activate {code}", "Plow Activate: WRONG"):
        assert api.sms(ADA, to, text) == "ignored", text
    assert api.redeem(start["activation_secret"]).json() == {"status": "pending"}
    assert api.sms(ADA, to, f"  plow ACTIVATE:{code} thanks") == "activated"
    assert api.redeem(start["activation_secret"]).json()["status"] == "verified"


def test_the_code_on_another_line_signs_in_without_a_chat(api: Api) -> None:
    start = api.activate()
    other = "+15550000006" if start["send_to"] != "+15550000006" else "+15550000005"
    assert api.sms(ADA, other, f"Plow Activate: {start['display_code']}") == "activated"
    answer = api.redeem(start["activation_secret"]).json()
    assert answer["token"] and answer.get("chat") is None


def test_texts_to_a_number_that_is_no_line_are_ignored(api: Api) -> None:
    start = api.activate()
    assert api.sms(ADA, "+15559999999", f"Plow Activate: {start['display_code']}") == "ignored"


def test_unknown_secret_is_404_and_expired_activation_is_410(make_api) -> None:  # noqa: ANN001
    api: Api = make_api(activation_ttl=60)
    assert api.redeem("act_nope").status_code == 404
    start = api.activate()
    api.advance(61)
    answer = api.redeem(start["activation_secret"])
    assert answer.status_code == 410
    assert answer.json()["detail"]["code"] == "activation_expired"
    # A text after the deadline no longer counts.
    assert api.sms(ADA, start["send_to"], f"Plow Activate: {start['display_code']}") == "ignored"


def test_a_completed_activation_redeems_after_its_deadline(make_api) -> None:  # noqa: ANN001
    api: Api = make_api(activation_ttl=60)
    start = api.activate()
    api.sms(ADA, start["send_to"], f"Plow Activate: {start['display_code']}")
    api.advance(61)
    assert api.redeem(start["activation_secret"]).json()["status"] == "verified"


def test_same_phone_same_account_and_same_line_same_chat(make_api) -> None:  # noqa: ANN001
    api: Api = make_api(lines=1)
    first = api.sign_in(ADA)
    again = api.sign_in(ADA)
    assert again.chat["uid"] == first.chat["uid"]
    # Both tokens see the same account's chats.
    for who in (first, again):
        uids = [c["uid"] for c in api.http.get("/v1/chats", headers=who.headers).json()["data"]]
        assert uids == [first.chat["uid"]]
    assert api.state()["accounts"] == 1
    bob = api.sign_in(BOB, "Bob")
    assert bob.chat["uid"] != first.chat["uid"]
    assert api.state()["accounts"] == 2


def test_signing_in_again_keeps_the_chat_and_the_name_whatever_line(make_api) -> None:  # noqa: ANN001
    # Three sign-ins from one phone: one chat with yourself, not one per pool line, and the first name stays.
    api: Api = make_api(lines=3)
    first = api.sign_in(ADA, "Ada")
    again = [api.sign_in(ADA, "root"), api.sign_in(ADA, "root")]
    assert {who.chat["uid"] for who in again} == {first.chat["uid"]}
    chats = api.http.get("/v1/chats", headers=again[-1].headers).json()["data"]
    assert [c["uid"] for c in chats] == [first.chat["uid"]]
    assert [m["display_name"] for m in chats[0]["participants"] if m.get("type") == "member"] == ["Ada"]
    # A new chat with their own phone is there for the asking (POST /v1/chats, verified from that phone).
    asked = api.create_chat(again[-1], api.lines(again[-1])[1]["uid"], "Ada").json()
    number = api.lines(again[-1])[1]["provider_key"]
    assert api.sms(ADA, number, asked["participants"][0]["verification_code"]) == "member_verified"
    chats = api.http.get("/v1/chats", headers=again[-1].headers).json()["data"]
    assert {c["uid"] for c in chats} == {first.chat["uid"], asked["uid"]}


def test_pending_activations_reserve_lines_and_503_when_all_are_held(make_api) -> None:  # noqa: ANN001
    api: Api = make_api(lines=2)
    one, two = api.activate(), api.activate()
    assert {one["send_to"], two["send_to"]} == {"+15550000001", "+15550000002"}
    third = api.http.post("/v1/auth/activate", json={"provision_chat": True})
    assert third.status_code == 503
    assert third.json()["detail"]["code"] == "no_line_available"
    # Without provision_chat nothing is reserved, so it still works.
    assert api.http.post("/v1/auth/activate", json={}).status_code == 200
    # Completing one frees its line.
    api.sms(ADA, one["send_to"], f"Plow Activate: {one['display_code']}")
    assert api.activate()["send_to"] == one["send_to"]


def test_expired_activations_release_their_lines(make_api) -> None:  # noqa: ANN001
    api: Api = make_api(lines=1, activation_ttl=60)
    api.activate()
    assert api.http.post("/v1/auth/activate", json={"provision_chat": True}).status_code == 503
    api.advance(61)
    assert api.http.post("/v1/auth/activate", json={"provision_chat": True}).status_code == 200


def test_the_line_with_fewest_chats_is_picked(make_api) -> None:  # noqa: ANN001
    api: Api = make_api(lines=2)
    ada = api.sign_in(ADA)
    assert api.activate()["send_to"] != ada.line_number


def test_activate_validates_its_body(api: Api) -> None:
    for body in ({"name": 5}, {"provision_chat": "yes"}, {"name": "x" * 256}, [1]):
        answer = api.http.post("/v1/auth/activate", json=body)
        assert answer.status_code == 422, body
        assert isinstance(answer.json()["detail"], str)
    assert api.http.post("/v1/auth/activate/redeem", json={}).status_code == 422
