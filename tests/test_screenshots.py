"""`screenshots/` is what the app draws today: regenerated, byte for byte.

When this fails a screen changed: look at the new pictures, then run
`python tests/support/screenshots.py` from the repository root and commit them.
"""

from __future__ import annotations

from pathlib import Path

from support.screenshots import SCENES, SECRETS, generate

SCREENSHOTS = Path(__file__).resolve().parents[1] / "screenshots"
REGENERATE = "run `python tests/support/screenshots.py` from the repository root"


def test_screenshots_match_the_app(tmp_path: Path) -> None:
    generate(tmp_path)
    stale = []
    for scene in SCENES:
        committed = SCREENSHOTS / scene.filename
        fresh = (tmp_path / scene.filename).read_bytes()
        if not committed.exists() or committed.read_bytes() != fresh:
            stale.append(scene.filename)
    assert not stale, f"screenshots out of date: {', '.join(stale)}; {REGENERATE}"


def test_no_stray_screenshots() -> None:
    # A picture no scene produces could only have been made, or kept, by hand.
    expected = {scene.filename for scene in SCENES}
    present = {path.name for path in SCREENSHOTS.iterdir()}
    assert present == expected, f"screenshots/ should hold exactly the scenes' SVGs; {REGENERATE}"


def test_no_secret_in_screenshots() -> None:
    for path in sorted(SCREENSHOTS.glob("*.svg")):
        text = path.read_text(encoding="utf-8")
        assert all(secret not in text for secret in SECRETS), f"{path.name} shows a token or secret"
