"""STOMP 1.2 framing: the client codec against itself and against the sandbox's."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from plow_tui.client.airy import stomp
from plow_tui.sandbox.airy import stomp as server_stomp

# Names and values that a naive codec gets wrong: the escaped characters,
# colons, CR/LF, backslashes, NUL and multi-byte characters.
hostile_text = st.text(
    alphabet=st.sampled_from(["\\", "\n", "\r", ":", "\0", "a", "Z", " ", "é", "漢", "🦜", "c", "n", "r"]),
    max_size=12,
)
header_names = hostile_text.filter(bool)
bodies = st.one_of(st.binary(max_size=64), st.text(max_size=32).map(lambda t: t.encode("utf-8")))
commands = st.sampled_from(["SEND", "MESSAGE", "SUBSCRIBE", "RECEIPT", "ERROR"])


def _split(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({c % (len(data) + 1) for c in cuts})
    pieces, last = [], 0
    for point in points:
        pieces.append(data[last:point])
        last = point
    pieces.append(data[last:])
    return pieces


@settings(max_examples=150, deadline=None)
@given(
    frames=st.lists(
        st.tuples(commands, st.lists(st.tuples(header_names, hostile_text), max_size=4), bodies),
        min_size=1,
        max_size=4,
    ),
    beats=st.integers(min_value=0, max_value=3),
    cuts=st.lists(st.integers(min_value=0, max_value=10_000), max_size=6),
)
def test_frames_survive_any_split_and_heartbeats(frames, beats, cuts) -> None:
    built = [stomp.Frame.build(command, headers, body) for command, headers, body in frames]
    wire = b"".join(b"\n" * beats + stomp.encode(frame) for frame in built) + b"\r\n"
    parser = stomp.FrameParser()
    decoded = []
    for piece in _split(wire, cuts):
        decoded.extend(parser.feed(piece))
    assert len(decoded) == len(built)
    for original, parsed in zip(built, decoded, strict=True):
        assert parsed.command == original.command
        assert parsed.body == original.body
        expected = list(original.headers)
        if original.body:
            expected.append(("content-length", str(len(original.body))))
        assert list(parsed.headers) == expected
    assert parser.heartbeats == beats * len(built) + 1


@settings(max_examples=100, deadline=None)
@given(headers=st.lists(st.tuples(header_names, hostile_text), max_size=4), body=bodies)
def test_client_frames_read_by_the_sandbox(headers, body) -> None:
    wire = stomp.encode(stomp.Frame.build("SEND", headers, body))
    (frame,) = server_stomp.StompReader().feed(b"\n" + wire)
    assert frame.body == body
    first_values: dict[str, str] = {}
    for name, value in headers:
        first_values.setdefault(name, value)
    for name, value in first_values.items():
        assert frame.headers[name] == value


@settings(max_examples=100, deadline=None)
@given(headers=st.dictionaries(header_names.filter(lambda n: n != "content-length"), hostile_text, max_size=4), body=bodies)
def test_sandbox_frames_read_by_the_client(headers, body) -> None:
    wire = server_stomp.render("MESSAGE", headers, body)
    (frame,) = stomp.FrameParser().feed(wire + b"\n")
    assert frame.body == body
    for name, value in headers.items():
        assert frame.header(name) == value


def test_content_length_counts_utf8_bytes_and_allows_nul_in_body() -> None:
    body = "héllo \0 漢字 🦜".encode()
    wire = stomp.encode(stomp.Frame.build("MESSAGE", {"destination": "/user/queue/message"}, body))
    assert f"content-length:{len(body)}\n".encode() in wire
    (frame,) = stomp.FrameParser().feed(wire)
    assert frame.body == body


def test_connect_headers_are_not_escaped() -> None:
    wire = stomp.encode(stomp.Frame.build("CONNECT", {"Authorization": "Bearer a:b\\c"}))
    assert b"Authorization:Bearer a:b\\c\n" in wire
    (frame,) = stomp.FrameParser().feed(wire)
    assert frame.header("Authorization") == "Bearer a:b\\c"
    with pytest.raises(ValueError):
        stomp.encode(stomp.Frame.build("CONNECT", {"host": "a\nb"}))


def test_escapes_in_a_message_header() -> None:
    wire = stomp.encode(stomp.Frame.build("MESSAGE", {"a:b": "line\nbreak\\"}))
    assert b"a\\cb:line\\nbreak\\\\\n" in wire


def test_several_frames_in_one_websocket_message_with_crlf() -> None:
    text = "CONNECTED\r\nversion:1.2\r\nheart-beat:0,0\r\n\r\n\0\n\nRECEIPT\nreceipt-id:r-1\n\n\0"
    frames = stomp.FrameParser().feed(text)
    assert [f.command for f in frames] == ["CONNECTED", "RECEIPT"]
    assert frames[0].header("version") == "1.2"
    assert frames[1].header("receipt-id") == "r-1"


def test_repeated_header_first_one_wins() -> None:
    (frame,) = stomp.FrameParser().feed(b"MESSAGE\nfoo:first\nfoo:second\n\nx\0")
    assert frame.header("foo") == "first"


@pytest.mark.parametrize(
    "wire",
    [
        b"MESSAGE\nbad\\tescape:x\n\n\0",
        b"MESSAGE\nno colon here\n\n\0",
        b"MESSAGE\ncontent-length:abc\n\n\0",
        b"MESSAGE\ncontent-length:1\n\nxy\0",
        b"\xff\xfe\n\n\0",
    ],
)
def test_malformed_frames_raise_stomp_error(wire: bytes) -> None:
    with pytest.raises(stomp.StompError):
        stomp.FrameParser().feed(wire)


def test_oversized_frame_is_refused() -> None:
    parser = stomp.FrameParser(max_frame_bytes=100)
    with pytest.raises(stomp.StompError):
        parser.feed(b"MESSAGE\n\n" + b"x" * 200)


def test_frame_repr_hides_headers() -> None:
    frame = stomp.Frame.build("CONNECT", {"Authorization": "Bearer canary-secret-token"})
    assert "canary" not in repr(frame)


@pytest.mark.parametrize(
    ("ours", "theirs", "expected"),
    [((30000, 30000), (10000, 10000), (30.0, 30.0)), ((30000, 0), (0, 5000), (30.0, 0.0)), ((0, 0), (1, 1), (0.0, 0.0))],
)
def test_heartbeat_negotiation(ours, theirs, expected) -> None:
    assert stomp.negotiate(ours, theirs) == expected
    assert stomp.parse_heartbeat("nonsense") == (0, 0)
    assert stomp.parse_heartbeat("10,20") == (10, 20)
