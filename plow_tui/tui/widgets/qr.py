"""A QR code drawn with half blocks, two modules per terminal cell vertically.

It draws whatever it is given; the `sms:` link it usually shows is built by
`plow_tui.client.texts.sms_uri`, the one home of that URI's form (the CLI's
`activate` prints the same one).
"""

from __future__ import annotations

from rich.segment import Segment
from textual.reactive import reactive
from textual.strip import Strip
from textual.widget import Widget

# Modules of light margin around the symbol. The standard asks for 4; phone
# cameras read terminal codes reliably with 2, and every row saved matters at
# 80x24.
QUIET_ZONE = 2

# (top module dark, bottom module dark) -> glyph drawn in the dark colour.
_HALF_BLOCKS = {
    (False, False): " ",
    (True, False): "▀",
    (False, True): "▄",
    (True, True): "█",
}


def qr_matrix(data: str) -> list[list[bool]]:
    """The QR modules for `data` (True = dark), quiet zone included."""
    import segno

    # Error level L is the smallest symbol; segno raises it for free when the
    # data leaves room. Micro QR codes are not read by phone cameras.
    code = segno.make(data, error="l", micro=False)
    return [[bool(module) for module in row] for row in code.matrix_iter(border=QUIET_ZONE)]


class QRCode(Widget):
    """Shows `data` as a QR code; dark modules use the widget's `color`."""

    DEFAULT_CSS = """
    QRCode {
        width: auto;
        height: auto;
        /* Scanners expect dark modules on a light ground, whatever the theme. */
        color: black;
        background: white;
    }
    """

    data: reactive[str] = reactive("", layout=True)

    def __init__(self, data: str = "", *, name: str | None = None, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self._matrix: list[list[bool]] = []
        self.set_reactive(QRCode.data, data)
        self._matrix = qr_matrix(data) if data else []

    def watch_data(self, data: str) -> None:
        self._matrix = qr_matrix(data) if data else []

    @property
    def module_size(self) -> int:
        """Modules per side, quiet zone included (0 when there is no data)."""
        return len(self._matrix)

    def get_content_width(self, container, viewport) -> int:  # noqa: ANN001 - Textual's signature
        return self.module_size

    def get_content_height(self, container, viewport, width: int) -> int:  # noqa: ANN001
        return (self.module_size + 1) // 2

    def render_line(self, y: int) -> Strip:
        size = self.module_size
        top_row = 2 * y
        if top_row >= size:
            return Strip.blank(self.size.width, self.rich_style)
        top = self._matrix[top_row]
        bottom = self._matrix[top_row + 1] if top_row + 1 < size else [False] * size
        text = "".join(_HALF_BLOCKS[(t, b)] for t, b in zip(top, bottom))
        style = self.rich_style
        return Strip([Segment(text, style)], size).adjust_cell_length(self.size.width, style)
