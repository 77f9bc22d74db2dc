"""Property: whatever JSON or bytes reach any route, the sandbox never answers 5xx."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sandbox_helpers import ADA, Api

# Real field names make the fuzzer reach deep into validation, not just "not an object".
FIELDS = [
    "name", "provision_chat", "activation_secret", "participants", "type", "line_id", "display_name",
    "body", "chat_id", "from", "to", "text", "reason", "drop_sockets", "revoke_token", "fail_next",
    "status", "count", "delivery", "delivery_delay_ms",
]  # fmt: skip
ROUTES = [
    ("POST", "/v1/auth/activate"),
    ("POST", "/v1/auth/activate/redeem"),
    ("GET", "/v1/lines"),
    ("GET", "/v1/chats"),
    ("POST", "/v1/chats"),
    ("GET", "/v1/chats/{chat}"),
    ("DELETE", "/v1/chats/{chat}"),
    ("GET", "/v1/chats/{chat}/messages"),
    ("POST", "/v1/chats/{chat}/messages"),
    ("POST", "/v1/chats/{chat}/invitations/{member}/resend"),
    ("POST", "/v1/ws/ticket"),
    ("GET", "/v1/ws"),
    ("POST", "/sandbox/sms"),
    ("GET", "/sandbox/phones/{phone}/texts"),
    ("POST", "/sandbox/faults"),
    ("POST", "/sandbox/chats/{chat}/fail"),
    ("GET", "/sandbox/state"),
    ("GET", "/openapi.json"),
]

scalars = st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats() | st.text(max_size=30)
keys = st.sampled_from(FIELDS) | st.text(max_size=10)
json_values = st.recursive(
    scalars | st.sampled_from(["agent", "member", "+15550000001", "+15555550101", "VERIFY-AAAAAA", "failed"]),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(keys, inner, max_size=5),
    max_leaves=20,
)
bodies = (
    json_values.map(lambda v: ("json", v))
    | st.binary(max_size=200).map(lambda b: ("bytes", b))
    # Absurdly deep nesting: json.loads raises RecursionError, not ValueError.
    | st.integers(1, 100_000).map(lambda n: ("bytes", b'{"a":' * n + b"1" + b"}" * n))
)
path_parts = st.text(min_size=1, max_size=20).map(lambda s: quote(s, safe=""))
query_values = st.text(max_size=12)


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    route=st.sampled_from(ROUTES),
    body=bodies,
    use_real_ids=st.booleans(),
    chat=path_parts,
    member=path_parts,
    phone=path_parts,
    authorised=st.booleans(),
    limit=query_values,
    starting_after=query_values,
)
def test_no_input_produces_a_server_error(
    api: Api,
    route: tuple[str, str],
    body: tuple[str, Any],
    use_real_ids: bool,
    chat: str,
    member: str,
    phone: str,
    authorised: bool,
    limit: str,
    starting_after: str,
) -> None:
    if not hasattr(api, "fuzz_user"):
        api.fuzz_user = api.sign_in()  # type: ignore[attr-defined]
    user = api.fuzz_user  # type: ignore[attr-defined]
    if use_real_ids:
        chat, member, phone = user.chat_uid, user.chat["participants"][0]["uid"], "+15555550101"
    method, template = route
    path = template.format(chat=chat, member=member, phone=phone)
    kind, payload = body
    # json.dumps (not httpx's encoder) so NaN and Infinity reach the server too.
    content = payload if kind == "bytes" else json.dumps(payload).encode()
    answer = api.http.request(
        method,
        path,
        headers=user.headers if authorised else {"Authorization": "Bearer fuzz"},
        params={"limit": limit, "starting_after": starting_after} if "messages" in path else None,
        content=content,
    )
    assert answer.status_code < 500, (method, path, body, answer.text)
    answer.json()  # every answer, errors included, is JSON
    if path == "/sandbox/faults" and answer.status_code == 200:
        # The fuzzer may have asked for injected 5xx failures: that is a feature, so clear it.
        api.faults(fail_next={"status": 400, "count": 0})


# -- the WebSockets: whatever a client sends on them, the sandbox keeps serving ------------------

ws_frames = (
    st.text(max_size=50)
    | st.binary(max_size=50)
    | json_values.map(json.dumps)
    | st.integers(1, 100_000).map(lambda n: "[" * n + "]" * n)
    | st.sampled_from([b"\xff\xfe", "\x00\x1b[2J", "x" * 2_000_000, b"\x00" * 2_000_000])
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    frames=st.lists(ws_frames, min_size=1, max_size=5),
    phone_socket=st.booleans(),
    ticket=st.none() | st.text(max_size=40),
)
def test_websockets_survive_any_frames(api: Api, frames: list[str | bytes], phone_socket: bool, ticket: str | None) -> None:
    from websockets.exceptions import ConnectionClosed, InvalidStatus
    from websockets.sync.client import connect

    if not hasattr(api, "fuzz_user"):
        api.fuzz_user = api.sign_in()  # type: ignore[attr-defined]
    user = api.fuzz_user  # type: ignore[attr-defined]
    ws_base = api.base_url.replace("http://", "ws://")
    if ticket is not None and not phone_socket:
        # A made-up ticket is refused at the handshake, never with a server error.
        try:
            connect(f"{ws_base}/v1/ws?ticket={quote(ticket, safe='')}", open_timeout=5).close()
        except InvalidStatus as refused:
            assert refused.response.status_code == 403
    url = f"{ws_base}/sandbox/phones/{ADA}" if phone_socket else api.ws_url(api.ticket(user, user.chat_uid))
    with connect(url, open_timeout=5, max_size=None) as ws:
        if not phone_socket:
            assert json.loads(ws.recv(timeout=5)) == {"type": "connected"}
        try:
            for frame in frames:
                ws.send(frame)
        except ConnectionClosed as closed:
            # Refusing an oversized frame is fine; a server error is not.
            assert closed.rcvd is not None and closed.rcvd.code != 1011, closed
            frames = []
        if frames:
            # Still subscribed: the next message (or text to the phone) arrives.
            assert api.send(user, user.chat_uid, "still there?").status_code == 201
            assert "still there?" in ws.recv(timeout=5)
    # The sandbox as a whole still works.
    assert api.state()["accounts"] >= 1
    with connect(api.ws_url(api.ticket(user, user.chat_uid)), open_timeout=5) as fresh:
        assert json.loads(fresh.recv(timeout=5)) == {"type": "connected"}
