"""The places a secret can be kept: the OS keyring, a 0600 file, memory.

Each backend is a `SecretBackend`: plain blocking `get`/`set`/`delete`, as
the keyring library and the file system are. Which one is used, in what
order, and how their blocking calls are kept off the event loop is
`TokenStore`'s job (`client/tokens.py`).

The file is shared by every plow-tui process of the user (the app, `activate`,
`logout`...), so each read-modify-write holds an exclusive lock on a lock file
beside it: `fcntl.flock` on POSIX, `msvcrt.locking` on Windows (which waits
about 10 s, then fails), none where neither exists. A file that cannot be
parsed is moved aside, never overwritten; one readable by others is made
0600. Either is reported once through the store's `notice` callback.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol

from plow_tui.private_files import replace_private

log = logging.getLogger(__name__)

SERVICE = "plow-tui"
SECRETS_FILE_NAME = "secrets.json"


class SecretStoreError(Exception):
    """A backend could not read or write (keyring locked, hung, missing; file unreadable)."""


class SecretBackend(Protocol):
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

    The file is never briefly readable by others: each write is
    `private_files.replace_private` (a new file, 0600 from the start, renamed
    over the old one). Processes take turns through a lock on `<file>.lock` (see the
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
            replace_private(self.path, json.dumps(data, indent=2, sort_keys=True))
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
