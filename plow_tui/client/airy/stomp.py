"""STOMP 1.2 framing, as Airy's `/ws.chatplugin` speaks it over a WebSocket.

Hand-written on purpose: the maintained Python STOMP libraries do not fit.
`stomp.py` runs its own threads and transport, `aiostomp` speaks STOMP 1.1
over raw TCP only, and the small STOMP-over-WebSocket packages on PyPI are
unmaintained single releases. The framing is small (a command, escaped
headers, a body, a NUL), so owning it costs less than adapting any of them,
and it lets one WebSocket message carry several frames and heart-beats.

Escaping (STOMP 1.2): header names and values escape backslash, LF, CR and
colon as `\\\\`, `\\n`, `\\r`, `\\c`, except in `CONNECT` and `CONNECTED`
frames, which stay raw for 1.0 compatibility. A frame with a body carries
`content-length` in UTF-8 bytes, so a body may even contain NUL.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

# Frames whose headers are never escaped (STOMP 1.2, "Value Encoding").
_RAW_COMMANDS = frozenset({"CONNECT", "CONNECTED"})

_ESCAPES = {"\\": "\\\\", "\n": "\\n", "\r": "\\r", ":": "\\c"}
_UNESCAPES = {"\\": "\\", "n": "\n", "r": "\r", "c": ":"}

HEARTBEAT = b"\n"
DEFAULT_MAX_FRAME_BYTES = 4 * 1024 * 1024


class StompError(ValueError):
    """A frame that breaks STOMP 1.2: the connection cannot go on after it."""


@dataclass(frozen=True, slots=True)
class Frame:
    """One STOMP frame. Headers keep their order; on repeats the first one wins."""

    command: str
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""

    @classmethod
    def build(
        cls,
        command: str,
        headers: Mapping[str, str] | Iterable[tuple[str, str]] = (),
        body: bytes | str = b"",
    ) -> Frame:
        pairs = tuple(headers.items()) if isinstance(headers, Mapping) else tuple(headers)
        return cls(command, pairs, body.encode("utf-8") if isinstance(body, str) else body)

    def header(self, name: str, default: str | None = None) -> str | None:
        for key, value in self.headers:
            if key == name:
                return value
        return default

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")

    def __repr__(self) -> str:
        # Headers may hold `Authorization`: never show them.
        return f"Frame({self.command!r}, {len(self.headers)} headers, {len(self.body)} body bytes)"


def escape(value: str) -> str:
    return "".join(_ESCAPES.get(ch, ch) for ch in value)


def unescape(value: str) -> str:
    if "\\" not in value:
        return value
    out: list[str] = []
    chars = iter(value)
    for ch in chars:
        if ch != "\\":
            out.append(ch)
            continue
        nxt = next(chars, None)
        if nxt is None or nxt not in _UNESCAPES:
            raise StompError("undefined escape sequence in a header")
        out.append(_UNESCAPES[nxt])
    return "".join(out)


def encode(frame: Frame) -> bytes:
    """The wire form of `frame`, with `content-length` added when there is a body."""
    command = frame.command
    if not command or any(ch in command for ch in "\r\n\0:"):
        raise ValueError("a STOMP command is a non-empty word")
    raw = command in _RAW_COMMANDS
    lines = [command]
    has_length = False
    for name, value in frame.headers:
        if name == "content-length":
            has_length = True
        if raw:
            if not name or any(ch in name for ch in "\r\n:") or any(ch in value for ch in "\r\n"):
                raise ValueError(f"{command} headers cannot hold line breaks or ':' in names")
            lines.append(f"{name}:{value}")
        else:
            lines.append(f"{escape(name)}:{escape(value)}")
    if frame.body and not has_length:
        lines.append(f"content-length:{len(frame.body)}")
    head = ("\n".join(lines) + "\n\n").encode("utf-8")
    return head + frame.body + b"\0"


def encode_text(frame: Frame) -> str:
    """`encode` as a str, for a WebSocket text message (bodies here are UTF-8 JSON)."""
    return encode(frame).decode("utf-8")


def _parse_head(head: bytes) -> tuple[str, tuple[tuple[str, str], ...]]:
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise StompError("frame headers are not UTF-8") from exc
    lines = text.split("\n")
    # EOL may be CRLF; a CR that belongs to a value is escaped, so stripping one is safe.
    lines = [line[:-1] if line.endswith("\r") else line for line in lines]
    command = lines[0]
    if not command:
        raise StompError("empty command")
    raw = command in _RAW_COMMANDS
    headers = []
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if not sep:
            raise StompError("header line without ':'")
        if raw:
            headers.append((name, value))
        else:
            headers.append((unescape(name), unescape(value)))
    return command, tuple(headers)


class FrameParser:
    """Incremental STOMP decoder: feed it WebSocket messages, get whole frames back.

    Heart-beats (a lone EOL between frames) are consumed and counted in
    `heartbeats`; a frame split across messages waits for the rest.
    """

    def __init__(self, *, max_frame_bytes: int = DEFAULT_MAX_FRAME_BYTES) -> None:
        self._buffer = bytearray()
        self._max = max_frame_bytes
        self.heartbeats = 0

    def feed(self, data: bytes | str) -> list[Frame]:
        self._buffer += data.encode("utf-8") if isinstance(data, str) else data
        frames = []
        while True:
            frame = self._next()
            if frame is None:
                break
            frames.append(frame)
        if len(self._buffer) > self._max:
            raise StompError("frame too large")
        return frames

    def _skip_heartbeats(self) -> None:
        buf = self._buffer
        start = 0
        while start < len(buf):
            if buf[start] == 0x0A:
                start += 1
                self.heartbeats += 1
            elif buf[start] == 0x0D and start + 1 < len(buf) and buf[start + 1] == 0x0A:
                start += 2
                self.heartbeats += 1
            else:
                break
        if start:
            del buf[:start]

    def _next(self) -> Frame | None:
        self._skip_heartbeats()
        buf = self._buffer
        if not buf or buf == b"\r":
            return None
        end = buf.find(b"\n\n")
        crlf = buf.find(b"\r\n\r\n")
        if crlf != -1 and (end == -1 or crlf < end):
            head, body_start = bytes(buf[:crlf]), crlf + 4
        elif end != -1:
            head, body_start = bytes(buf[:end]), end + 2
        else:
            return None
        command, headers = _parse_head(head)
        length_text = next((v for k, v in headers if k == "content-length"), None)
        if length_text is not None:
            if not length_text.isdigit():
                raise StompError("content-length is not a number")
            length = int(length_text)
            if length > self._max:
                raise StompError("frame too large")
            if len(buf) < body_start + length + 1:
                return None
            if buf[body_start + length] != 0:
                raise StompError("frame body does not end with NUL")
            body = bytes(buf[body_start : body_start + length])
            del buf[: body_start + length + 1]
        else:
            nul = buf.find(b"\0", body_start)
            if nul == -1:
                return None
            body = bytes(buf[body_start:nul])
            del buf[: nul + 1]
        return Frame(command, headers, body)


def parse_heartbeat(value: str | None) -> tuple[int, int]:
    """`heart-beat:cx,cy` as two non-negative millisecond counts; absent or bad means 0,0."""
    if not value:
        return 0, 0
    first, sep, second = value.partition(",")
    if not sep or not first.strip().isdigit() or not second.strip().isdigit():
        return 0, 0
    return int(first), int(second)


def negotiate(ours: tuple[int, int], theirs: tuple[int, int]) -> tuple[float, float]:
    """(send every, expect within) in seconds; 0 means off. STOMP 1.2 "Heart-beating"."""
    send = max(ours[0], theirs[1]) if ours[0] and theirs[1] else 0
    expect = max(ours[1], theirs[0]) if ours[1] and theirs[0] else 0
    return send / 1000, expect / 1000
