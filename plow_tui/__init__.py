"""plow-tui: a terminal chat client for Plow (SMS/iMessage) and Airy chat channels."""

import sys

__version__ = "0.1.0"

# Two modules that packages we use load for features plow-tui never uses, each
# costing more than plow-tui's own code at start-up. None in sys.modules makes
# their import raise ImportError, and each package already has a fallback for
# exactly that case (this package is imported before either):
# - httpx loads its command-line client (click, rich.console, pygments): ~40 %
#   of `import httpx`. Without it, only `httpx.main` changes: it says the CLI
#   is not installed.
# - Off macOS, keyring's Keychain bindings call ctypes.util.find_library three
#   times, which runs gcc and ldconfig in subprocesses (100-200 ms). Their
#   import fails there anyway (only slowly) and the macOS backend is never
#   chosen, so the backend keyring picks is the same.
_UNUSED_MODULES = ("httpx._main",) + (("keyring.backends.macOS.api",) if sys.platform != "darwin" else ())
for _name in _UNUSED_MODULES:
    sys.modules.setdefault(_name, None)  # type: ignore[arg-type]
del _name
