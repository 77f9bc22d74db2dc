"""Faults, error shapes and bad input (PROTOCOL.md §1 and §7): never a 500 by accident."""

from __future__ import annotations

from sandbox_helpers import ADA, Api


def test_fail_next_fails_the_next_v1_requests_whatever_the_route(api: Api) -> None:
    ada = api.sign_in()
    answer = api.faults(fail_next={"status": 503, "count": 2})
    assert answer.json()["fail_next"] == {"status": 503, "count": 2}
    first = api.http.get("/v1/chats", headers=ada.headers)
    assert first.status_code == 503 and isinstance(first.json()["detail"], str)
    assert first.headers["retry-after"] == "1"
    # Sandbox routes are not counted.
    assert api.http.get("/sandbox/state").status_code == 200
    assert api.http.get("/v1/no-such-route").status_code == 503
    assert api.http.get("/v1/chats", headers=ada.headers).status_code == 200
    api.faults(fail_next={"status": 500})  # count defaults to one
    assert api.http.post("/v1/auth/activate", json={}).status_code == 500
    assert api.http.post("/v1/auth/activate", json={}).status_code == 200


def test_fail_next_does_not_count_websocket_upgrades(api: Api) -> None:
    import asyncio

    from websockets.asyncio.client import connect

    ada = api.sign_in()
    ticket = api.ticket(ada, ada.chat_uid)
    api.faults(fail_next={"status": 502, "count": 1})

    async def open_socket() -> str:
        async with connect(api.ws_url(ticket)) as ws:
            return await asyncio.wait_for(ws.recv(), 2)  # type: ignore[return-value]

    assert asyncio.run(open_socket()) == '{"type":"connected"}'
    assert api.http.get("/v1/lines", headers=ada.headers).status_code == 502


def test_fault_bodies_are_validated_and_change_nothing_when_bad(api: Api) -> None:
    for body in (
        {},
        {"explode": True},
        {"fail_next": {"status": 200}},
        {"fail_next": {"status": 503, "count": -1}},
        {"fail_next": 503},
        {"delivery": "teleported"},
        {"delivery_delay_ms": -5},
        {"drop_sockets": "yes"},
        {"failure_reason": 5},
        {"failure_reason": "x" * 501},
        {"revoke_token": ""},
        {"delivery": "failed", "fail_next": {"status": 99}},
    ):
        assert api.faults(**body).status_code == 422, body
    ada = api.sign_in()
    api.send(ada, ada.chat_uid, "delivered as usual")
    assert [t["text"] for t in api.texts(ADA)] == ["delivered as usual"]


def test_sms_validates_numbers_and_body(api: Api) -> None:
    good = {"from": ADA, "to": "+15550000001", "text": "hi"}
    for change in ({"from": "5555550101"}, {"to": "+0123"}, {"text": 5}, {"from": None}, {"to": "+1555abc"}):
        answer = api.http.post("/sandbox/sms", json={**good, **change})
        assert answer.status_code == 422, change
    assert api.http.get("/sandbox/phones/not-a-phone/texts").status_code == 422
    assert api.http.post("/sandbox/sms", json=good).json() == {"effect": "ignored"}


def test_malformed_json_and_wrong_shapes_are_422(api: Api) -> None:
    ada = api.sign_in()
    for path, headers in (
        ("/v1/auth/activate", {}),
        ("/v1/auth/activate/redeem", {}),
        ("/v1/chats", ada.headers),
        (f"/v1/chats/{ada.chat_uid}/messages", ada.headers),
        ("/v1/ws/ticket", ada.headers),
        ("/sandbox/sms", {}),
        ("/sandbox/faults", {}),
    ):
        for raw in (b"{not json", b"\xff\xfe", b"[1, 2]", b'"text"', b"[" * 5000 + b"]" * 5000):
            answer = api.http.post(path, content=raw, headers={**headers, "Content-Type": "application/json"})
            assert answer.status_code == 422, (path, raw[:10])
            assert isinstance(answer.json()["detail"], str)


def test_unknown_routes_are_404_and_wrong_methods_405_with_json_bodies(api: Api) -> None:
    for path in ("/v1/v1/chats", "/v1/nothing", "/elsewhere", "/sandbox/nothing"):
        answer = api.http.get(path)
        assert answer.status_code == 404 and answer.json() == {"detail": "Not Found"}
    answer = api.http.put("/v1/chats")
    assert answer.status_code == 405 and "detail" in answer.json()


def test_oversized_bodies_are_413(make_api) -> None:  # noqa: ANN001
    api: Api = make_api(max_body_bytes=1000)
    big = b'{"body": "' + b"x" * 2000 + b'"}'
    answer = api.http.post("/v1/auth/activate", content=big)
    assert answer.status_code == 413 and "detail" in answer.json()

    def chunks():  # noqa: ANN202 - no Content-Length: the limit is counted as it streams
        for _ in range(4):
            yield b" " * 400

    assert api.http.post("/sandbox/sms", content=chunks()).status_code == 413
    assert api.http.post("/v1/auth/activate", content=b" " * 900).status_code == 200


def test_default_body_limit_is_one_mebibyte(api: Api) -> None:
    answer = api.http.post("/sandbox/sms", content=b" " * (1024 * 1024 + 1))
    assert answer.status_code == 413


def test_state_counts_the_world(api: Api) -> None:
    state = api.state()
    assert state["accounts"] == 0 and len(state["lines"]) == 6
    assert state["lines"][0]["provider_key"] == "+15550000001" and state["lines"][0]["uid"].startswith("ln_")
    ada = api.sign_in()
    api.create_chat(ada, api.lines(ada)[2]["uid"], "Bob")
    api.send(ada, ada.chat_uid, "x")
    api.sms(ADA, ada.line_number, "y")
    state = api.state()
    assert state == {
        "accounts": 1,
        "lines": state["lines"],
        "chats": {"pending": 1, "active": 1, "failed": 0},
        "messages": 2,
        "sockets": 0,
    }


def test_openapi_documents_the_v1_routes(api: Api) -> None:
    doc = api.http.get("/openapi.json").json()
    assert doc["openapi"].startswith("3.1")
    expected = {
        ("post", "/v1/auth/activate"),
        ("post", "/v1/auth/activate/redeem"),
        ("get", "/v1/lines"),
        ("get", "/v1/chats"),
        ("post", "/v1/chats"),
        ("get", "/v1/chats/{chat_uid}"),
        ("delete", "/v1/chats/{chat_uid}"),
        ("post", "/v1/chats/{chat_uid}/messages"),
        ("get", "/v1/chats/{chat_uid}/messages"),
        ("post", "/v1/chats/{chat_uid}/invitations/{participant_uid}/resend"),
        ("post", "/v1/ws/ticket"),
    }
    documented = {(method, path) for path, ops in doc["paths"].items() for method in ops}
    assert expected <= documented
    resend = doc["paths"]["/v1/chats/{chat_uid}/invitations/{participant_uid}/resend"]["post"]
    assert {p["name"] for p in resend["parameters"]} == {"chat_uid", "participant_uid"}
    assert doc["paths"]["/v1/auth/activate"]["post"]["security"] == []
    assert doc["paths"]["/v1/lines"]["get"]["security"] == [{"bearerAuth": []}]


def test_seeded_sandboxes_mint_the_same_ids(make_api) -> None:  # noqa: ANN001
    one, two = make_api(seed=5), make_api(seed=5)
    assert one.state()["lines"] == two.state()["lines"]
    assert one.activate()["display_code"] == two.activate()["display_code"]
    assert make_api(seed=6).state()["lines"] != one.state()["lines"]


def test_the_clock_moves_forward_only_and_expires_what_it_passes(make_api) -> None:  # noqa: ANN001
    api: Api = make_api(activation_ttl=60)
    before = api.http.get("/sandbox/clock").json()
    assert before["advanced_seconds"] == 0
    start = api.activate()
    answer = api.http.post("/sandbox/clock", json={"advance_seconds": 59})
    assert answer.status_code == 200 and answer.json()["advanced_seconds"] == 59
    assert answer.json()["now"] > before["now"]  # ISO-8601 UTC: string order is time order
    assert api.redeem(start["activation_secret"]).json() == {"status": "pending"}  # 1 s left
    api.advance(1.5)
    assert api.redeem(start["activation_secret"]).status_code == 410
    for bad in ({"advance_seconds": -1}, {"advance_seconds": True}, {"advance_seconds": "5"}, {}, {"seconds": 5}):
        refused = api.http.post("/sandbox/clock", json=bad)
        assert refused.status_code == 422 and isinstance(refused.json()["detail"], str), bad
    assert api.http.get("/sandbox/clock").json()["advanced_seconds"] == 60.5  # refusals moved nothing
