"""Where the token and the pending activation live (CONVENTIONS §3).

Reading goes `PLOW_TOKEN` → OS keyring (service `plow-tui`, key = API base
URL, so sandbox and live tokens never mix) → a 0600 JSON file. Writing goes to
the keyring when a working backend exists, else to the file, and `location`
says which in one line for the screen. Keyring calls can hang (a locked
collection waiting for a prompt), so each runs in a daemon thread under a
timeout; after one failure the keyring is skipped for the rest of the session.
The backends themselves are in `client/secret_backends.py`.

`SecretStore` is the one protocol for code that keeps secrets (the Airy
conversation's resume token, the app's sign-in): async, because a keyring
call can block for seconds and every caller runs on an event loop.
`TokenStore` implements it; the backends' blocking `SecretBackend` protocol is
an implementation detail of `TokenStore`, which moves each call to a thread.
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from plow_tui.client.secret_backends import (
    FileStore,
    KeyringStore,
    MemoryStore,
    Notice,
    SecretBackend,
    SecretStoreError,
    usable_keyring_backend,
)
from plow_tui.client.urls import normalize_base_url
from plow_tui.logs import register_secret

if TYPE_CHECKING:
    # Loaded when a pending activation is read: its dataclasses are not needed to read a token.
    from plow_tui.client.activation import PendingActivation

log = logging.getLogger(__name__)

ENV_TOKEN = "PLOW_TOKEN"
DEFAULT_TIMEOUT = 5.0
_ACTIVATION_SUFFIX = "#activation"

T = TypeVar("T")


class SecretStore(Protocol):
    """Secrets by key, for code on an event loop (`TokenStore` is the real one)."""

    async def get_secret(self, key: str) -> str | None: ...

    async def save_secret(self, key: str, value: str) -> None: ...

    async def forget_secret(self, key: str) -> None: ...


async def run_blocking(func: Callable[..., T], *args: Any, timeout: float) -> T:
    """Run `func(*args)` in a daemon thread; raise SecretStoreError after `timeout` s.

    A daemon thread rather than the loop's executor: a keyring call hung on a
    prompt must not keep the process alive at exit.
    """
    loop = asyncio.get_running_loop()
    future: asyncio.Future[T] = loop.create_future()

    def settle(ok: bool, value: Any) -> None:
        if future.done():
            return
        if ok:
            future.set_result(value)
        else:
            future.set_exception(value)

    def target() -> None:
        try:
            outcome = (True, func(*args))
        except BaseException as exc:  # handed to the awaiting task, not lost in the thread
            outcome = (False, exc)
        try:
            loop.call_soon_threadsafe(settle, *outcome)
        except RuntimeError:
            pass  # the loop closed while a hung call finished: nobody is waiting

    threading.Thread(target=target, name="plow-tui-secret-store", daemon=True).start()
    try:
        return await asyncio.wait_for(future, timeout)
    except TimeoutError as exc:
        raise SecretStoreError(f"The secret store did not answer within {timeout:g} s.") from exc


class TokenStore:
    """The token and pending activation per API base URL, over a chain of stores.

    `stores` is tried in order: reads take the first value found; writes go
    to the first store that works (a failing keyring falls back to the file,
    and `location` says so). `env` is consulted first for `PLOW_TOKEN`.
    """

    def __init__(
        self,
        stores: Sequence[SecretBackend],
        env: Mapping[str, str] | None = None,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        reason: str | None = None,
    ) -> None:
        if not stores:
            raise ValueError("TokenStore needs at least one secret store.")
        self._chain: list[SecretBackend] | None = list(stores)
        # Builds (stores, reason) on first use when the chain is deferred (see `default`).
        self._resolve: Callable[[], tuple[list[SecretBackend], str | None]] | None = None
        self._resolving = threading.Lock()
        self._broken: set[int] = set()
        self._env = os.environ if env is None else env
        self._timeout = timeout
        self._reason = reason

    @classmethod
    def default(
        cls,
        force_file: bool = False,
        *,
        env: Mapping[str, str] | None = None,
        file_path: Path | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        notice: Notice | None = None,
    ) -> TokenStore:
        """Keyring plus file fallback when a keyring works, else the file alone.

        Probing the keyring (100 ms or more to import keyring and ask the
        backend) never holds up the caller: it starts here in a thread of its
        own, and the first read or write of a secret waits for it, off the
        event loop, for at most `timeout` seconds. When `PLOW_TOKEN` is set
        the stores only matter if that token is refused, so the probe waits
        until then.
        `notice` hears what the file store did on its own (see `FileStore`).
        """
        file_store = FileStore(file_path, notice=notice)
        if force_file:
            return cls([file_store], env, timeout=timeout, reason="--insecure-storage")
        store = cls([file_store], env, timeout=timeout)
        probe = None if store.env_token else _KeyringProbe()

        def resolve() -> tuple[list[SecretBackend], str | None]:
            backend = (probe or _KeyringProbe()).result(timeout)
            if backend is None:
                return [file_store], "no system keyring"
            return [KeyringStore(backend), file_store], None

        store._chain, store._resolve = None, resolve
        return store

    @property
    def _stores(self) -> list[SecretBackend]:
        if self._chain is None:
            with self._resolving:
                if self._chain is None:
                    assert self._resolve is not None
                    chain, reason = self._resolve()
                    self._reason = self._reason or reason
                    self._chain = chain
        return self._chain

    async def _resolve_stores(self) -> None:
        """Settle a deferred chain in a thread: the keyring probe blocks, the event loop must not."""
        if self._chain is None:
            await run_blocking(lambda: self._stores, timeout=2 * self._timeout)

    # -- where ---------------------------------------------------------------

    @property
    def env_token(self) -> str | None:
        token = self._env.get(ENV_TOKEN, "").strip()
        return token or None

    @property
    def location(self) -> str:
        """One line for the screen: where the token comes from and goes to."""
        if self.env_token:
            return f"{ENV_TOKEN} environment variable"
        index = self._first_working()
        description = self._stores[index].description
        reason = self._reason
        if index > 0 and reason is None:
            reason = f"{self._stores[0].description} failed"
        return f"{description} — {reason}" if reason else description

    def _first_working(self) -> int:
        for index in range(len(self._stores)):
            if index not in self._broken:
                return index
        return len(self._stores) - 1

    # -- generic secrets -----------------------------------------------------

    async def _call(self, index: int, method: str, *args: str) -> Any:
        store = self._stores[index]
        if isinstance(store, MemoryStore):
            return getattr(store, method)(*args)
        return await run_blocking(getattr(store, method), *args, timeout=self._timeout)

    def _mark_broken(self, index: int, error: Exception) -> None:
        if index < len(self._stores) - 1:  # the last store has nothing to fall back to
            self._broken.add(index)
        log.warning("%s: %s", self._stores[index].description, error)

    async def get_secret(self, key: str) -> str | None:
        """The first value found for `key` along the chain.

        A failing store is skipped (and marked broken); if the last store
        fails too, its error is raised rather than pretending nothing is saved.
        """
        await self._resolve_stores()
        last = len(self._stores) - 1
        for index in range(len(self._stores)):
            if index in self._broken:
                continue
            try:
                value = await self._call(index, "get", key)
            except SecretStoreError as error:
                if index == last:
                    raise
                self._mark_broken(index, error)
                continue
            if value is not None:
                register_secret(value)
                return value
        return None

    async def save_secret(self, key: str, value: str) -> None:
        """Store `value` in the first store that works; remove stale copies further down."""
        register_secret(value)
        await self._resolve_stores()
        for index in range(len(self._stores)):
            if index in self._broken:
                continue
            try:
                await self._call(index, "set", key, value)
            except SecretStoreError as error:
                if index == len(self._stores) - 1:
                    raise
                self._mark_broken(index, error)
                continue
            # An older copy in a fallback store would shadow nothing but must not linger.
            for later in range(index + 1, len(self._stores)):
                try:
                    await self._call(later, "delete", key)
                except SecretStoreError as error:
                    log.warning("%s: %s", self._stores[later].description, error)
            return

    async def forget_secret(self, key: str) -> None:
        """Delete `key` from every store (a copy left anywhere would come back)."""
        errors: list[SecretStoreError] = []
        await self._resolve_stores()
        for index in range(len(self._stores)):
            try:
                await self._call(index, "delete", key)
            except SecretStoreError as error:
                self._mark_broken(index, error)
                errors.append(error)
        if errors and len(errors) == len(self._stores):
            raise errors[-1]

    # -- the token ----------------------------------------------------------

    async def get_token(self, base_url: str) -> str | None:
        token = self.env_token
        if token:
            register_secret(token)
            return token
        return await self.get_secret(normalize_base_url(base_url))

    async def save_token(self, base_url: str, token: str) -> None:
        await self.save_secret(normalize_base_url(base_url), token)

    async def forget_token(self, base_url: str) -> None:
        await self.forget_secret(normalize_base_url(base_url))

    # -- the pending activation -------------------------------------------------

    async def get_pending(self, base_url: str) -> PendingActivation | None:
        from plow_tui.client.activation import PendingActivation

        text = await self.get_secret(normalize_base_url(base_url) + _ACTIVATION_SUFFIX)
        if text is None:
            return None
        try:
            return PendingActivation.from_json(text)
        except ValueError:
            log.warning("discarding an unreadable saved activation")
            return None

    async def save_pending(self, base_url: str, pending: PendingActivation) -> None:
        await self.save_secret(normalize_base_url(base_url) + _ACTIVATION_SUFFIX, pending.to_json())

    async def clear_pending(self, base_url: str) -> None:
        await self.forget_secret(normalize_base_url(base_url) + _ACTIVATION_SUFFIX)


class _KeyringProbe:
    """`usable_keyring_backend()`, started at once in a daemon thread (a hung probe must not keep the process alive)."""

    def __init__(self) -> None:
        self._backend: list[Any] = []
        self._thread = threading.Thread(target=self._run, name="plow-tui-keyring-probe", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            self._backend.append(usable_keyring_backend())
        except Exception as exc:
            log.info("system keyring probe failed: %s", type(exc).__name__)

    def result(self, timeout: float) -> Any | None:
        """The usable backend, or None if there is none or the probe took more than `timeout` s more."""
        self._thread.join(timeout)
        if self._thread.is_alive() or not self._backend:
            return None
        return self._backend[0]
