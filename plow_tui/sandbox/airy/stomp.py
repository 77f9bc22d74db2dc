"""The server's half of STOMP 1.2 framing for the sandbox's `/ws.chatplugin`.

The client has its own codec (`plow_tui.client.airy.stomp`); the sandbox may
not import it (ARCHITECTURE.md), and two independent codecs talking to each
other is what makes the loopback tests check the wire.
"""

from __future__ import annotations

from dataclasses import dataclass, field

_UNESCAPED_COMMANDS = ("CONNECT", "STOMP", "CONNECTED")
_ESCAPE = str.maketrans({"\\": "\\\\", "\n": "\\n", "\r": "\\r", ":": "\\c"})
_UNESCAPE = {"\\\\": "\\", "\\n": "\n", "\\r": "\r", "\\c": ":"}
MAX_FRAME_BYTES = 1024 * 1024


class FrameError(ValueError):
    """The client broke the framing; the server answers ERROR and closes."""


@dataclass(slots=True)
class StompFrame:
    """A parsed frame; `headers` keeps the first value of a repeated header."""

    command: str
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""


def _unescape(text: str) -> str:
    out = []
    i = 0
    while i < len(text):
        if text[i] == "\\":
            pair = text[i : i + 2]
            if pair not in _UNESCAPE:
                raise FrameError("bad escape in header")
            out.append(_UNESCAPE[pair])
            i += 2
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


def render(command: str, headers: dict[str, str], body: bytes = b"") -> bytes:
    escape = command not in _UNESCAPED_COMMANDS
    lines = [command]
    for name, value in headers.items():
        if escape:
            name, value = name.translate(_ESCAPE), value.translate(_ESCAPE)
        lines.append(f"{name}:{value}")
    if body:
        lines.append(f"content-length:{len(body)}")
    return "\n".join(lines).encode() + b"\n\n" + body + b"\0"


class StompReader:
    """Splits the incoming byte stream into frames; lone EOLs are heart-beats."""

    def __init__(self) -> None:
        self._pending = b""

    def feed(self, chunk: bytes) -> list[StompFrame]:
        data = self._pending + chunk
        frames = []
        pos = 0
        while True:
            while data[pos : pos + 1] == b"\n" or data[pos : pos + 2] == b"\r\n":
                pos += 1 if data[pos : pos + 1] == b"\n" else 2
            head_end = data.find(b"\n\n", pos)
            alt_end = data.find(b"\r\n\r\n", pos)
            if alt_end != -1 and (head_end == -1 or alt_end < head_end):
                head_end, gap = alt_end, 4
            else:
                gap = 2
            if head_end == -1:
                break
            frame_head = data[pos:head_end].replace(b"\r\n", b"\n")
            try:
                command, *header_lines = frame_head.decode().split("\n")
            except UnicodeDecodeError as exc:
                raise FrameError("headers are not UTF-8") from exc
            if not command.isalpha():
                raise FrameError("bad command")
            headers: dict[str, str] = {}
            for line in header_lines:
                if ":" not in line:
                    raise FrameError("bad header line")
                name, value = line.split(":", 1)
                if command not in _UNESCAPED_COMMANDS:
                    name, value = _unescape(name), _unescape(value)
                headers.setdefault(name, value)
            start = head_end + gap
            if "content-length" in headers:
                if not headers["content-length"].isdigit():
                    raise FrameError("bad content-length")
                stop = start + int(headers["content-length"])
                if len(data) <= stop:
                    if stop - pos > MAX_FRAME_BYTES:
                        raise FrameError("frame too large")
                    break
                if data[stop] != 0:
                    raise FrameError("body not terminated by NUL")
            else:
                stop = data.find(b"\0", start)
                if stop == -1:
                    break
            frames.append(StompFrame(command, headers, data[start:stop]))
            pos = stop + 1
        self._pending = data[pos:]
        if len(self._pending) > MAX_FRAME_BYTES:
            raise FrameError("frame too large")
        return frames
