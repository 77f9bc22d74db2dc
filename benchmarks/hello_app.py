"""The startup baseline: a bare Textual hello-world, the smallest app that paints."""

from textual.app import App, ComposeResult
from textual.widgets import Static


class HelloApp(App[None]):
    """One Static; `benchmarks/run.py` times how long until its text is on the terminal."""

    def compose(self) -> ComposeResult:
        yield Static("Hello, world")


if __name__ == "__main__":
    HelloApp().run()
