"""Compose in $VISUAL / $EDITOR: the command chosen, the file round trip, and Alt+E from the editor.

The editor is a real process (a small shell script named by VISUAL). Under the pilot the app runs on a
headless driver that cannot suspend; as Textual's own tests do (tests/test_suspend.py), a headless driver
that says it can stands in for the terminal, so `App.suspend` runs its real path around the editor.
"""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from textual.app import App, ComposeResult
from textual.drivers.headless_driver import HeadlessDriver
from textual.widgets import Static

from plow_tui.tui.external_editor import edit_text, editor_command
from plow_tui.tui.widgets.compose import Compose


def fake_editor(tmp_path: Path, replacement: str | None, *, status: int = 0) -> Path:
    """A script that records what it was given, then writes `replacement` (None: leaves the file) and exits."""
    script = tmp_path / "editor.sh"
    write = f"printf '%s\\n' '{replacement}' > \"$1\"" if replacement is not None else ":"
    script.write_text(
        "#!/bin/sh\n"
        f'cp "$1" {tmp_path}/seen.txt\n'
        f'stat -c %a "$1" > {tmp_path}/mode.txt\n'
        f"{write}\n"
        f"exit {status}\n"
    )
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return script


def test_visual_wins_over_editor_and_arguments_are_kept() -> None:
    assert editor_command({"VISUAL": "code --wait", "EDITOR": "vi"}) == ["code", "--wait"]
    assert editor_command({"VISUAL": "  ", "EDITOR": "nano -R"}) == ["nano", "-R"]
    assert editor_command({"EDITOR": "'/opt/my editor/ed'"}) == ["/opt/my editor/ed"]
    assert editor_command({}) is None


def test_the_draft_goes_to_a_private_file_and_the_saved_text_comes_back(tmp_path: Path) -> None:
    editor = fake_editor(tmp_path, "written in vim")
    assert edit_text("the draft", [str(editor)]) == "written in vim"  # the editor's final newline dropped
    assert (tmp_path / "seen.txt").read_text() == "the draft"
    assert (tmp_path / "mode.txt").read_text().strip() == "600"


def test_an_unchanged_file_is_the_same_draft_and_a_failing_editor_changes_nothing(tmp_path: Path) -> None:
    assert edit_text("two\nlines", [str(fake_editor(tmp_path, None))]) == "two\nlines"
    assert edit_text("kept", [str(fake_editor(tmp_path, "lost", status=1))]) is None
    with pytest.raises(OSError):
        edit_text("x", [str(tmp_path / "no-such-editor")])


class SuspendingDriver(HeadlessDriver):
    """A headless driver that can suspend, and counts the hand-overs (as in Textual's tests/test_suspend.py)."""

    suspended = 0
    resumed = 0

    @property
    def is_headless(self) -> bool:
        return False

    @property
    def can_suspend(self) -> bool:
        return True

    def suspend_application_mode(self) -> None:
        type(self).suspended += 1
        super().suspend_application_mode()

    def resume_application_mode(self) -> None:
        type(self).resumed += 1
        super().resume_application_mode()


class Host(App[None]):
    def compose(self) -> ComposeResult:
        yield Static("above")
        yield Compose()

    def on_mount(self) -> None:
        self.query_one(Compose).focus()


async def test_alt_e_in_the_editor_hands_the_draft_to_visual_and_brings_the_result_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VISUAL", str(fake_editor(tmp_path, "a longer answer, written at leisure")))
    monkeypatch.setenv("EDITOR", "false")
    SuspendingDriver.suspended = SuspendingDriver.resumed = 0
    async with Host(driver_class=SuspendingDriver).run_test(headless=False) as pilot:
        compose = pilot.app.query_one(Compose)
        await pilot.press(*"short")
        await pilot.press("alt+e")
        assert (tmp_path / "seen.txt").read_text() == "short"
        assert compose.draft == "a longer answer, written at leisure"
        assert (SuspendingDriver.suspended, SuspendingDriver.resumed) == (1, 1)  # the screen is given back
        assert pilot.app.focused is compose
        await pilot.press("!")
        assert compose.draft.endswith("leisure!")  # the cursor at the end, typing goes on


async def test_a_failing_editor_leaves_the_draft_and_says_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VISUAL", str(fake_editor(tmp_path, "never", status=3)))
    SuspendingDriver.suspended = SuspendingDriver.resumed = 0
    async with Host(driver_class=SuspendingDriver).run_test(headless=False) as pilot:
        compose = pilot.app.query_one(Compose)
        await pilot.press(*"mine", "alt+e")
        assert compose.draft == "mine"
        assert (SuspendingDriver.suspended, SuspendingDriver.resumed) == (1, 1)
        assert any("exited with an error" in n.message for n in pilot.app._notifications)


async def test_without_visual_or_editor_it_says_how(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("VISUAL", raising=False)
    monkeypatch.delenv("EDITOR", raising=False)
    async with Host().run_test() as pilot:
        await pilot.press(*"mine", "alt+e")
        assert pilot.app.query_one(Compose).draft == "mine"
        assert any("Set VISUAL or EDITOR" in n.message for n in pilot.app._notifications)


async def test_the_key_is_in_the_footer_and_on_the_keys_screen_while_the_editor_has_focus() -> None:
    from plow_tui.tui.screens.help import key_rows

    async with Host().run_test() as pilot:
        shown = {b.binding.key: b.binding.description for b in pilot.app.active_bindings.values() if b.binding.show}
        assert shown.get("alt+e") == "Editor"
        assert any("your own editor" in description for _, description in key_rows(pilot.app.screen))
