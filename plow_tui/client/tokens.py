"""Where the token and the pending activation live (CONVENTIONS §3).

Reading goes `PLOW_TOKEN` → OS keyring (service `plow-tui`, key = API base
URL, so sandbox and live tokens never mix) → a 0600 JSON file. Writing goes to
the keyring when a working backend exists, else to the file, and `location`
says which in one line for the screen. Keyring calls can hang (a locked
collection waiting for a prompt), so each runs in a daemon thread under a
timeout; after one failure the keyring is skipped for the rest of the session.

The file is shared by every plow-tui process of the user (the app, `activate`,
`logout`...), so each read-modify-write holds an exclusive lock on a lock file
beside it: `fcntl.flock` on POSIX, `msvcrt.locking` on Windows (which waits
about 10 s, then fails), none where neither exists. A file that cannot be
parsed is moved aside, never overwritten; one readable by others is made
0600. Either is reported once through the store's `notice` callback.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from plow_tui.client.urls import normalize_base_url
from plow_tui.logs import register_secret

if TYPE_CHECKING:
    # Loaded when a pending activation is read: its dataclasses are not needed to read a token.
    from plow_tui.client.activation import PendingActivation

log = logging.getLogger(__name__)

SERVICE = "plow-tui"
ENV_TOKEN = "PLOW_TOKEN"
SECRETS_FILE_NAME = "secrets.json"
DEFAULT_TIMEOUT = 5.0
_ACTIVATION_SUFFIX = "#activation"

T = TypeVar("T")


class SecretStoreError(Exception):
    """A backend could not read or write (keyring locked, hung, missing; file unreadable)."""


class SecretStore(Protocol):
    """A place for secrets, keyed by string. Methods may block (keyring, disk)."""

    description: str

    def get(self, key: str) -> str | None: ...

    def set(self, key: str, value: str) -> None: ...

    def delete(self, key: str) -> None: ...


class MemoryStore:
    """Secrets in a dict: for tests, and for `PLOW_TOKEN`-only sessions."""

    description = "memory (not saved)"

    def __init__(self, initial: Mapping[str, str] | None = None) -> None:
        self.data: dict[str, str] = dict(initial or {})

    def get(self, key: str) -> str | None:
        return self.data.get(key)

    def set(self, key: str, value: str) -> None:
        self.data[key] = value

    def delete(self, key: str) -> None:
        self.data.pop(key, None)


class KeyringStore:
    """The OS keyring (Secret Service, macOS Keychain, Windows Credential Locker)."""

    def __init__(self, backend: Any = None, service: str = SERVICE) -> None:
        import keyring

        self._backend = backend if backend is not None else keyring.get_keyring()
        self._service = service
        self.description = f"system keyring ({backend_name(self._backend)})"

    def get(self, key: str) -> str | None:
        try:
            return self._backend.get_password(self._service, key)
        except Exception as exc:  # backends raise KeyringError, D-Bus errors, OSError...
            raise SecretStoreError(f"The system keyring could not be read ({type(exc).__name__}).") from exc

    def set(self, key: str, value: str) -> None:
        try:
            self._backend.set_password(self._service, key, value)
        except Exception as exc:
            raise SecretStoreError(f"The system keyring could not be written ({type(exc).__name__}).") from exc

    def delete(self, key: str) -> None:
        from keyring.errors import PasswordDeleteError

        try:
            self._backend.delete_password(self._service, key)
        except PasswordDeleteError:
            pass  # nothing stored under that key: deleting is done
        except Exception as exc:
            raise SecretStoreError(f"The system keyring could not be written ({type(exc).__name__}).") from exc


def backend_name(backend: Any) -> str:
    """`keyring.backends.SecretService.Keyring` → `SecretService`."""
    module = type(backend).__module__
    name = module.rsplit(".", 1)[-1]
    return name if name and name != "__main__" else type(backend).__name__


def usable_keyring_backend() -> Any | None:
    """The default keyring backend if it really stores secrets, else None (blocking)."""
    import keyring
    from keyring.backends import fail, null

    backend = keyring.get_keyring()
    if isinstance(backend, (fail.Keyring, null.Keyring)):
        return None
    chained = getattr(backend, "backends", None)
    if chained is not None and not chained:
        return None
    try:
        # A locked or broken backend fails here rather than on the first save.
        backend.get_password(SERVICE, "__probe__")
    except Exception as exc:
        log.info("system keyring unusable: %s", type(exc).__name__)
        return None
    return backend


Notice = Callable[[str], None]


class FileStore:
    """A JSON file readable by its owner only (0600, in a 0700 directory).

    The file is never briefly readable by others: each write creates a new
    file with mode 0600 from the start (`O_CREAT|O_EXCL`) and renames it over
    the old one. Processes take turns through a lock on `<file>.lock` (see the
    module docstring). A damaged file is moved to `<file>.damaged-<time>` and
    a loose one made 0600; `notice` (called from the store's thread) is told.
    """

    def __init__(self, path: Path | None = None, *, notice: Notice | None = None) -> None:
        if path is None:
            from plow_tui.paths import config_dir

            path = config_dir() / SECRETS_FILE_NAME
        self.path = Path(path)
        self._lock = threading.Lock()
        self._notice = notice
        self.description = f"file {_home_relative(self.path)} (0600)"

    def _tell(self, text: str) -> None:
        log.warning("%s", text)
        if self._notice is not None:
            self._notice(text)

    @contextmanager
    def _locked(self, create: bool) -> Iterator[bool]:
        """Hold the thread lock and the cross-process lock; yields False when there is no directory yet."""
        with self._lock:
            directory = self.path.parent
            if not directory.is_dir():
                if not create:
                    yield False
                    return
                try:
                    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
                except OSError as exc:
                    raise SecretStoreError(f"The secrets file could not be written ({exc.strerror}).") from exc
            lock_path = self.path.with_name(self.path.name + ".lock")
            try:
                fd = os.open(lock_path, os.O_CREAT | os.O_RDWR | getattr(os, "O_NOFOLLOW", 0), 0o600)
            except OSError as exc:
                raise SecretStoreError(f"The secrets file could not be locked ({exc.strerror}).") from exc
            try:
                try:
                    _lock_fd(fd)
                except OSError as exc:
                    raise SecretStoreError(f"The secrets file could not be locked ({exc.strerror}).") from exc
                try:
                    yield True
                finally:
                    _unlock_fd(fd)
            finally:
                os.close(fd)

    def _read(self) -> dict[str, str]:
        """The stored secrets (call with the lock held)."""
        try:
            handle = open(self.path, "rb")  # noqa: SIM115 - closed below
        except FileNotFoundError:
            return {}
        except OSError as exc:
            raise SecretStoreError(f"The secrets file could not be read ({exc.strerror}).") from exc
        with handle:
            try:
                raw = handle.read()
                loose = os.fstat(handle.fileno()).st_mode & 0o077
            except OSError as exc:
                raise SecretStoreError(f"The secrets file could not be read ({exc.strerror}).") from exc
            if loose and hasattr(os, "fchmod"):
                # fchmod on the open file: never through a link swapped in meanwhile.
                try:
                    os.fchmod(handle.fileno(), 0o600)
                except OSError as exc:
                    raise SecretStoreError(
                        f"The secrets file {_home_relative(self.path)} is readable by other users "
                        f"and could not be made private ({exc.strerror})."
                    ) from exc
                self._tell(
                    f"The secrets file {_home_relative(self.path)} was readable by other users; "
                    "it is now private (0600)."
                )
        try:
            data = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError, RecursionError):
            data = None
        if not isinstance(data, dict):
            self._set_aside()
            return {}
        return {k: v for k, v in data.items() if isinstance(v, str)}

    def _set_aside(self) -> None:
        """Move a file that cannot be parsed out of the way, keeping it for whoever wants to look."""
        stamp = time.strftime("%Y%m%d-%H%M%S")
        aside = self.path.with_name(f"{self.path.name}.damaged-{stamp}")
        number = 1
        while aside.exists():
            number += 1
            aside = self.path.with_name(f"{self.path.name}.damaged-{stamp}-{number}")
        try:
            os.rename(self.path, aside)
        except OSError as exc:
            raise SecretStoreError(
                f"The secrets file {_home_relative(self.path)} is damaged and could not be moved aside "
                f"({exc.strerror}); it was left untouched."
            ) from exc
        self._tell(
            f"The secrets file {_home_relative(self.path)} was damaged and could not be read; "
            f"it was moved to {aside.name}. Sign in again if a token was stored in it."
        )

    def _write(self, data: dict[str, str]) -> None:
        directory = self.path.parent
        try:
            directory.mkdir(parents=True, exist_ok=True, mode=0o700)
            os.chmod(directory, 0o700)
            tmp = directory / f".{self.path.name}.{os.getpid()}.{threading.get_ident()}.tmp"
            try:
                tmp.unlink()
            except FileNotFoundError:
                pass
            fd = os.open(tmp, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as handle:
                    json.dump(data, handle, indent=2, sort_keys=True)
                    handle.flush()
                    os.fsync(handle.fileno())
                os.replace(tmp, self.path)
            finally:
                if tmp.exists():
                    tmp.unlink()
        except OSError as exc:
            raise SecretStoreError(f"The secrets file could not be written ({exc.strerror}).") from exc

    def get(self, key: str) -> str | None:
        with self._locked(create=False) as exists:
            return self._read().get(key) if exists else None

    def set(self, key: str, value: str) -> None:
        with self._locked(create=True):
            data = self._read()
            data[key] = value
            self._write(data)

    def delete(self, key: str) -> None:
        with self._locked(create=False) as exists:
            if not exists:
                return
            data = self._read()
            if key in data:
                del data[key]
                self._write(data)


def _lock_fd(fd: int) -> None:
    """An exclusive lock across processes on `fd` (blocking), where the platform has one."""
    try:
        import fcntl
    except ImportError:
        try:
            import msvcrt
        except ImportError:
            return  # no file locking here: concurrent processes may lose an update
        os.lseek(fd, 0, os.SEEK_SET)  # msvcrt locks bytes from the current position
        msvcrt.locking(fd, msvcrt.LK_LOCK, 1)
        return
    fcntl.flock(fd, fcntl.LOCK_EX)


def _unlock_fd(fd: int) -> None:
    try:
        import fcntl
    except ImportError:
        try:
            import msvcrt
        except ImportError:
            return
        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
        return
    fcntl.flock(fd, fcntl.LOCK_UN)


def _home_relative(path: Path) -> str:
    home = Path.home()
    try:
        return "~/" + str(path.relative_to(home))
    except ValueError:
        return str(path)


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
        # Not `asyncio.wait_for`: on Python 3.11 it returns the result instead of
        # raising when the caller is cancelled just as the thread answers, so a
        # Ctrl+C landing then was lost and `plow-tui … tail` ran on (issue #13).
        async with asyncio.timeout(timeout):
            return await future
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
        stores: Sequence[SecretStore],
        env: Mapping[str, str] | None = None,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        reason: str | None = None,
    ) -> None:
        if not stores:
            raise ValueError("TokenStore needs at least one secret store.")
        self._chain: list[SecretStore] | None = list(stores)
        # Builds (stores, reason) on first use when the chain is deferred (see `default`).
        self._resolve: Callable[[], tuple[list[SecretStore], str | None]] | None = None
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

        def resolve() -> tuple[list[SecretStore], str | None]:
            backend = (probe or _KeyringProbe()).result(timeout)
            if backend is None:
                return [file_store], "no system keyring"
            return [KeyringStore(backend), file_store], None

        store._chain, store._resolve = None, resolve
        return store

    @property
    def _stores(self) -> list[SecretStore]:
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
