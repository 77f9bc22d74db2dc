"""Messages (PROTOCOL.md §5 and §7): sends, inbound texts, delivery to phones, paging."""

from __future__ import annotations

from sandbox_helpers import ADA, BOB, Api


def test_send_answers_201_with_an_outbound_sent_message(api: Api) -> None:
    ada = api.sign_in()
    answer = api.send(ada, ada.chat_uid, "hello")
    assert answer.status_code == 201
    msg = answer.json()
    assert msg["uid"].startswith("msg_") and msg["object"] == "message"
    assert (msg["direction"], msg["status"], msg["body"], msg["chat_uid"]) == (
        "outbound",
        "sent",
        "hello",
        ada.chat_uid,
    )
    assert msg["sender"]["type"] == "agent" and "uid" not in msg["sender"]
    assert msg["sender"]["line"]["provider_key"] == ada.line_number
    assert msg["created_at"].endswith("Z")


def test_an_outbound_message_reaches_the_members_phone(api: Api) -> None:
    ada = api.sign_in()
    api.send(ada, ada.chat_uid, "hello")
    texts = api.texts(ADA)
    assert [(t["from"], t["to"], t["text"]) for t in texts] == [(ada.line_number, ADA, "hello")]
    listing = api.http.get(f"/sandbox/phones/{ADA}/texts").json()
    assert listing["object"] == "list"
    assert api.texts(BOB) == []


def test_send_to_a_pending_chat_is_409_chat_not_ready(api: Api) -> None:
    ada = api.sign_in()
    chat = api.create_chat(ada, api.lines(ada)[1]["uid"], "Bob").json()
    answer = api.send(ada, chat["uid"], "hi")
    assert answer.status_code == 409
    assert answer.json()["detail"]["code"] == "chat_not_ready"


def test_send_validates_the_body(api: Api) -> None:
    ada = api.sign_in()
    url = f"/v1/chats/{ada.chat_uid}/messages"
    for body in ({}, {"body": 5}, {"body": ""}, {"body": "x" * 4001}, ["hi"]):
        assert api.http.post(url, json=body, headers=ada.headers).status_code == 422, body
    assert api.http.post(url, json={"body": "x" * 4000}, headers=ada.headers).status_code == 201


def test_texts_from_verified_members_are_inbound_messages(api: Api) -> None:
    ada = api.sign_in()
    assert api.sms(ADA, ada.line_number, "hi there") == "message"
    # Even something that looks like an activation is a message once no code is live.
    assert api.sms(ADA, ada.line_number, "Plow Activate: ZZZZZ") == "message"
    assert api.sms(BOB, ada.line_number, "who dis") == "ignored"
    page = api.http.get(f"/v1/chats/{ada.chat_uid}/messages", headers=ada.headers).json()
    newest, older = page["data"]
    assert older["body"] == "hi there" and newest["body"] == "Plow Activate: ZZZZZ"
    assert older["direction"] == "inbound" and older["status"] == "received"
    sender = older["sender"]
    assert sender == {
        "type": "member",
        "uid": ada.chat["participants"][0]["uid"],
        "display_name": "Ada",
        "provider_key": ADA,
        "role": "owner",
    }


def test_paging_is_newest_first_exclusive_with_has_more(api: Api) -> None:
    ada = api.sign_in()
    sent = [api.send(ada, ada.chat_uid, f"m{i}").json()["uid"] for i in range(25)]
    url = f"/v1/chats/{ada.chat_uid}/messages"
    first = api.http.get(url, headers=ada.headers).json()
    assert first["url"] == url
    assert [m["uid"] for m in first["data"]] == sent[::-1][:20]
    assert first["has_more"] is True
    second = api.http.get(url, params={"starting_after": first["data"][-1]["uid"]}, headers=ada.headers).json()
    assert [m["uid"] for m in second["data"]] == sent[::-1][20:]
    assert second["has_more"] is False
    small = api.http.get(url, params={"limit": 5, "starting_after": sent[10]}, headers=ada.headers).json()
    assert [m["uid"] for m in small["data"]] == sent[9:4:-1]
    assert small["has_more"] is True
    exact = api.http.get(url, params={"limit": 5, "starting_after": sent[5]}, headers=ada.headers).json()
    assert [m["uid"] for m in exact["data"]] == sent[4::-1] and exact["has_more"] is False
    for params in ({"limit": 0}, {"limit": 101}, {"limit": "ten"}, {"starting_after": "msg_unknown"}):
        assert api.http.get(url, params=params, headers=ada.headers).status_code == 422, params


def test_an_empty_chat_has_an_empty_page(api: Api) -> None:
    ada = api.sign_in()
    page = api.http.get(f"/v1/chats/{ada.chat_uid}/messages", headers=ada.headers).json()
    assert page == {"object": "list", "data": [], "has_more": False, "url": f"/v1/chats/{ada.chat_uid}/messages"}
