"""The secret store chain: env → keyring → 0600 file, with fallback and timeouts."""

from __future__ import annotations

import json
import os
import stat
import threading
from datetime import datetime, timezone
from pathlib import Path

import keyring
import pytest
from keyring.backend import KeyringBackend
from keyring.errors import KeyringError

from plow_tui.client.activation import PendingActivation
from plow_tui.client.secret_backends import FileStore, KeyringStore, MemoryStore
from plow_tui.client.tokens import SecretStoreError, TokenStore

BASE = "http://127.0.0.1:8765"


class DictKeyring(KeyringBackend):
    """An in-memory keyring backend, as a real one would be used."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.data: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.data.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.data[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        from keyring.errors import PasswordDeleteError

        if (service, username) not in self.data:
            raise PasswordDeleteError("missing")
        del self.data[(service, username)]


class LockedKeyring(DictKeyring):
    def get_password(self, service: str, username: str) -> str | None:
        raise KeyringError("locked")

    def set_password(self, service: str, username: str, password: str) -> None:
        raise KeyringError("locked")


class HungKeyring(DictKeyring):
    def __init__(self) -> None:
        super().__init__()
        self.release = threading.Event()

    def get_password(self, service: str, username: str) -> str | None:
        self.release.wait(10)
        return None

    set_password = lambda self, *a: self.release.wait(10)  # noqa: E731


@pytest.fixture
def secrets_path(tmp_path: Path) -> Path:
    return tmp_path / "cfg" / "plow-tui" / "secrets.json"


async def test_file_store_is_private_from_creation(secrets_path: Path) -> None:
    store = TokenStore([FileStore(secrets_path)], env={})
    await store.save_token(BASE + "/v1/", "tok-123456789")
    assert stat.S_IMODE(secrets_path.stat().st_mode) == 0o600
    assert stat.S_IMODE(secrets_path.parent.stat().st_mode) == 0o700
    assert json.loads(secrets_path.read_text()) == {BASE: "tok-123456789"}
    # Same key whatever form of the base URL.
    assert await store.get_token(BASE) == "tok-123456789"
    await store.forget_token(BASE)
    assert await store.get_token(BASE) is None
    assert not list(secrets_path.parent.glob("*.tmp"))


async def test_file_store_survives_garbage(secrets_path: Path) -> None:
    secrets_path.parent.mkdir(parents=True)
    secrets_path.write_text("{not json")
    store = TokenStore([FileStore(secrets_path)], env={})
    assert await store.get_token(BASE) is None
    await store.save_token(BASE, "tok-abcdefgh")
    assert await store.get_token(BASE) == "tok-abcdefgh"


async def test_env_token_wins_and_location_says_so() -> None:
    memory = MemoryStore({BASE: "stored-token"})
    store = TokenStore([memory], env={"PLOW_TOKEN": "env-token-123"})
    assert await store.get_token(BASE) == "env-token-123"
    assert store.location == "PLOW_TOKEN environment variable"


async def test_keyring_is_used_and_keyed_per_base_url(secrets_path: Path) -> None:
    backend = DictKeyring()
    store = TokenStore([KeyringStore(backend), FileStore(secrets_path)], env={})
    await store.save_token(BASE, "sandbox-token")
    await store.save_token("https://api.plow.co", "live-token")
    assert backend.data[("plow-tui", BASE)] == "sandbox-token"
    assert await store.get_token("https://api.plow.co/v1") == "live-token"
    assert not secrets_path.exists()
    assert store.location.startswith("system keyring (")


async def test_locked_keyring_falls_back_to_file_and_says_so(secrets_path: Path) -> None:
    store = TokenStore([KeyringStore(LockedKeyring()), FileStore(secrets_path)], env={})
    await store.save_token(BASE, "tok-fallback")
    assert json.loads(secrets_path.read_text()) == {BASE: "tok-fallback"}
    assert await store.get_token(BASE) == "tok-fallback"
    assert store.location.startswith("file ")
    assert "failed" in store.location


async def test_hung_keyring_times_out(secrets_path: Path) -> None:
    hung = HungKeyring()
    store = TokenStore([KeyringStore(hung), FileStore(secrets_path)], env={}, timeout=0.2)
    try:
        assert await store.get_token(BASE) is None
        await store.save_token(BASE, "tok-after-hang")
        assert await store.get_token(BASE) == "tok-after-hang"
    finally:
        hung.release.set()


async def test_unreadable_last_store_raises(tmp_path: Path) -> None:
    directory = tmp_path / "dir-as-file"
    directory.mkdir()
    store = TokenStore([FileStore(directory)], env={})  # reading a directory fails
    with pytest.raises(SecretStoreError):
        await store.get_token(BASE)


async def test_pending_activation_round_trip(secrets_path: Path) -> None:
    store = TokenStore([FileStore(secrets_path)], env={})
    pending = PendingActivation(
        secret="act_secret_value_1",
        display_code="ABCDE",
        send_to="+15550000001",
        line_id="ln_1",
        started_at=datetime(2026, 9, 14, 12, 0, tzinfo=timezone.utc),
        provision_chat=False,
    )
    await store.save_pending(BASE, pending)
    assert json.loads(secrets_path.read_text()).keys() == {BASE + "#activation"}
    assert await store.get_pending(BASE) == pending
    assert "act_secret_value_1" not in repr(pending)
    await store.clear_pending(BASE)
    assert await store.get_pending(BASE) is None


async def test_bad_pending_json_is_discarded() -> None:
    store = TokenStore([MemoryStore({BASE + "#activation": '{"secret": 1}'})], env={})
    assert await store.get_pending(BASE) is None


async def test_generic_secrets_for_other_helpers() -> None:
    memory = MemoryStore()
    store = TokenStore([memory], env={})
    await store.save_secret("airy:https://a.example#chan", "resume-token")
    assert await store.get_secret("airy:https://a.example#chan") == "resume-token"
    await store.forget_secret("airy:https://a.example#chan")
    assert memory.data == {}


def test_default_picks_keyring_when_it_works(monkeypatch: pytest.MonkeyPatch, secrets_path: Path) -> None:
    previous = keyring.get_keyring()
    keyring.set_keyring(DictKeyring())
    try:
        store = TokenStore.default(env={}, file_path=secrets_path)
        assert store.location.startswith("system keyring (")
        forced = TokenStore.default(force_file=True, env={}, file_path=secrets_path)
        assert forced.location.endswith("--insecure-storage")
    finally:
        keyring.set_keyring(previous)


def test_default_falls_back_without_keyring(secrets_path: Path) -> None:
    from keyring.backends import fail

    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    try:
        store = TokenStore.default(env={}, file_path=secrets_path)
        assert store.location.endswith("(0600) — no system keyring")
    finally:
        keyring.set_keyring(previous)


def test_default_file_path_is_under_config_dir() -> None:
    store = FileStore()
    assert str(store.path).startswith(os.environ["XDG_CONFIG_HOME"])
    assert store.description == "file ~/.config/plow-tui/secrets.json (0600)"


async def test_default_probes_the_keyring_in_the_background(monkeypatch: pytest.MonkeyPatch, secrets_path: Path) -> None:
    # The probe (100 ms or more) must not hold up the app's first frame (issue #19),
    # and waiting for it must not block the event loop.
    import asyncio

    from plow_tui.client import tokens

    started, release, finished = threading.Event(), threading.Event(), threading.Event()

    def slow_probe() -> None:
        started.set()
        release.wait(10)
        finished.set()
        return None  # no usable keyring: the file store

    monkeypatch.setattr(tokens, "usable_keyring_backend", slow_probe)
    store = TokenStore.default(env={}, file_path=secrets_path, timeout=30)
    assert not finished.is_set()  # default() did not wait for the probe...
    assert started.wait(10)  # ...which is under way
    read = asyncio.ensure_future(store.get_token(BASE))
    ticked = asyncio.Event()
    asyncio.get_running_loop().call_soon(ticked.set)
    await asyncio.wait_for(ticked.wait(), 10)  # the loop runs while the read waits for the probe
    assert not read.done()
    release.set()
    assert await asyncio.wait_for(read, 10) is None
    assert store.location.endswith("(0600) — no system keyring")


async def test_default_with_plow_token_probes_only_when_needed(monkeypatch: pytest.MonkeyPatch, secrets_path: Path) -> None:
    from plow_tui.client import tokens

    probes: list[int] = []
    monkeypatch.setattr(tokens, "usable_keyring_backend", lambda: probes.append(1))
    store = TokenStore.default(env={"PLOW_TOKEN": "plw_env"}, file_path=secrets_path)
    assert await store.get_token(BASE) == "plw_env" and probes == []
    await store.forget_token(BASE)  # the token was refused: now the stores matter
    assert probes == [1]
