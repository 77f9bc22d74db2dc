"""config.toml: flag > environment > file > default, one error for a bad file, a careful writer."""

from __future__ import annotations

import io
import tomllib
from pathlib import Path

import pytest

from plow_tui.cli import main
from plow_tui.commands import ExitCode
from plow_tui.settings import ConfigError, config_path, read_config, resolve, write_setting


@pytest.fixture
def config() -> Path:
    path = config_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def run(argv: list[str], env: dict[str, str] | None = None) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(argv, stdout=out, stderr=err, env=env or {})
    return code, out.getvalue(), err.getvalue()


def test_precedence_is_flag_environment_file_default(config: Path) -> None:
    config.write_text('# mine\napi_url = "http://file.test"\nname = "Ada"\nbell = false\npoll_interval = 1\n')
    code, out, _ = run(["config", "--json"], {"PLOW_API_URL": "http://env.test"})
    import json

    settings = json.loads(out)["settings"]
    assert code == 0
    assert settings["api_url"] == {"value": "http://env.test", "source": "environment PLOW_API_URL"}
    assert settings["name"] == {"value": "Ada", "source": f"{config} line 3"}
    assert settings["notifications"] == {"value": "off", "source": f"{config} line 4"}  # `bell = false`
    assert settings["poll_interval"]["value"] == 1.0
    assert settings["insecure_storage"] == {"value": False, "source": "default"}
    _, out, _ = run(["config", "--api-url", "http://flag.test", "--json"], {"PLOW_API_URL": "http://env.test"})
    assert json.loads(out)["settings"]["api_url"] == {"value": "http://flag.test", "source": "flag --api-url"}
    _, out, _ = run(["--api-url", "http://flag.test", "config", "--json"])
    assert json.loads(out)["settings"]["api_url"]["source"] == "flag --api-url"


def test_the_file_reaches_commands(config: Path) -> None:
    config.write_text('api_url = "http://127.0.0.1:9"\ninsecure_storage = true\n')
    code, out, _ = run(["doctor"])
    assert code == ExitCode.NETWORK
    assert "http://127.0.0.1:9" in out and "FAIL  API" in out


def test_config_prints_a_table_when_piped(config: Path) -> None:
    code, out, _ = run(["config"])
    assert code == 0
    assert out.splitlines()[0] == "api_url\thttps://api.plow.co\tdefault"
    assert run(["config", "--path"])[1].strip() == str(config)


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ('token = "tok_secret_123456"\n', "line 1: `token` does not belong here"),
        ('api_url = "x"\ncolour = "red"\n', "line 2: unknown key `colour`"),
        ('name = "Ada"\n\ninsecure_storage = "yes"\n', "line 3: `insecure_storage` must be true or false"),
        ('notifications = "loud"\n', '`notifications` must be "off" or "bell" or "desktop"'),
        ('poll_interval = 0\n', "`poll_interval` must be a positive number"),
        ('name = "Ada"\napi_url = \n', "not valid TOML: Invalid value (at line 2, column 11)"),
        ("[tables]\nx = 1\n", "line 1: unknown key `tables`"),
    ],
)
def test_a_bad_file_is_one_error_naming_file_line_and_key(config: Path, text: str, needle: str) -> None:
    config.write_text(text)
    for argv in (["chats"], ["config"], ["--api-url", "http://127.0.0.1:9", "logout"]):
        code, out, err = run(argv, {"PLOW_TOKEN": "tok_secret_123456"})
        assert code == ExitCode.USAGE
        assert out == ""
        assert err.startswith(f"plow-tui: {config}") and err.count("\n") == 1, err
        assert needle in err
        assert "tok_secret_123456" not in err
    assert config.read_text() == text  # nothing else changed


def test_broken_utf8_is_refused(config: Path) -> None:
    config.write_bytes(b"name = \"\xff\"\n")
    with pytest.raises(ConfigError, match="not UTF-8"):
        read_config(config)


def test_write_setting_keeps_other_lines_and_replaces_its_own(config: Path) -> None:
    config.write_text('# my settings\nname = "Ada"  # me\ntheme = "nord"\n\n')
    write_setting("theme", "gruvbox", config)
    assert config.read_text() == '# my settings\nname = "Ada"  # me\ntheme = "gruvbox"\n\n'
    write_setting("poll_interval", 2.5, config)
    write_setting("name", 'quote " and \\ and \x1b', config)
    data = tomllib.loads(config.read_text())
    assert data == {"name": 'quote " and \\ and \x1b', "theme": "gruvbox", "poll_interval": 2.5}
    assert config.read_text().startswith("# my settings\n")


def test_write_setting_creates_the_file_and_replaces_an_alias(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "config.toml"
    write_setting("theme", "nord", path)
    assert path.read_text() == 'theme = "nord"\n'
    path.write_text("bell = false\n")
    write_setting("notifications", "desktop", path)
    assert resolve({}, {}, path).values["notifications"] == "desktop"


def test_write_setting_leaves_a_broken_file_alone(config: Path) -> None:
    config.write_text("name = \n")
    with pytest.raises(ConfigError):
        write_setting("theme", "nord", config)
    assert config.read_text() == "name = \n"


async def test_a_theme_picked_in_the_app_is_written_and_used_next_time(config: Path) -> None:
    from plow_tui.client.secret_backends import MemoryStore
    from plow_tui.client.tokens import TokenStore
    from plow_tui.commands.app import _save_theme
    from plow_tui.cli import parse
    from plow_tui.tui.app import AppConfig, PlowApp

    config.write_text('# keep me\ntheme = "nord"\n')
    args = parse(["--api-url", "http://127.0.0.1:9"], env={})
    app = PlowApp(
        AppConfig(api_url=args.api_url, theme=args.theme),
        token_store=TokenStore([MemoryStore()], env={}),
        client_factory=lambda url, token=None: None,  # type: ignore[arg-type,return-value]
        save_theme=_save_theme(args),
        cursor_blink=False,
        animation_level="none",
    )
    async with app.run_test(size=(80, 24)) as pilot:
        assert app.theme == "nord"
        app.theme = "gruvbox"
        for _ in range(100):
            await pilot.pause()
            if "gruvbox" in config.read_text():
                break
    assert config.read_text() == '# keep me\ntheme = "gruvbox"\n'
    assert parse([], env={}).theme == "gruvbox"
