"""`plow-tui sandbox`: run the local Plow stand-in until Ctrl+C."""

from __future__ import annotations

import argparse
import signal
import threading

from plow_tui.commands import ExitCode, options
from plow_tui.commands.running import take_back_ctrl_c


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "sandbox",
        help="Run a local Plow sandbox server (for demos and tests).",
        description=(
            "Serve a local stand-in for Plow: the /v1 API over HTTP and WebSocket, plus /sandbox "
            "routes that play people's phones (POST /sandbox/sms) and network faults."
        ),
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default: %(default)s)")
    parser.add_argument("--port", type=int, default=8765, help="port, 0 for any free one (default: %(default)s)")
    parser.add_argument(
        "--activation-ttl",
        type=_positive,
        default=1800.0,
        metavar="SECONDS",
        help="life of an activation code (default: %(default)s)",
    )
    parser.add_argument(
        "--ticket-ttl",
        type=_positive,
        default=60.0,
        metavar="SECONDS",
        help="life of a WebSocket ticket (default: %(default)s)",
    )
    parser.add_argument(
        "--member-code-ttl",
        type=_positive,
        default=1800.0,
        metavar="SECONDS",
        help="life of a member's VERIFY- code (default: %(default)s)",
    )
    parser.add_argument("--lines", type=int, default=6, metavar="N", help="number of pool lines (default: %(default)s)")
    parser.add_argument("--seed", dest="world_seed", type=int, default=None, metavar="N", help="random seed for deterministic ids")
    parser.add_argument("--state", default=None, metavar="FILE", help="keep the world in FILE across restarts")
    parser.add_argument(
        "--airy-channel",
        default=None,
        metavar="UUID",
        help="the Airy Chat Plugin channel id (default: a fixed UUID printed at start-up)",
    )
    parser.add_argument(
        "--airy-token-ttl",
        type=_positive,
        default=3600.0,
        metavar="SECONDS",
        help="life of an Airy auth token (default: %(default)s)",
    )
    parser.add_argument(
        "--airy-resume-ttl",
        type=_positive,
        default=604800.0,
        metavar="SECONDS",
        help="life of an Airy resume token (default: %(default)s)",
    )
    options.add(parser)  # none of Plow's: a sandbox is a server, not a client
    parser.set_defaults(func=run_sandbox)


def _positive(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError("must be a positive number of seconds")
    return value


def run_sandbox(args: argparse.Namespace) -> int:
    import sys

    from plow_tui.sandbox import SandboxConfig
    from plow_tui.sandbox.persistence import StateFileError

    try:
        config = SandboxConfig(
            host=args.host,
            port=args.port,
            activation_ttl=args.activation_ttl,
            ticket_ttl=args.ticket_ttl,
            member_code_ttl=args.member_code_ttl,
            lines=args.lines,
            seed=args.world_seed,
            state_file=args.state,
            airy_auth_token_ttl=args.airy_token_ttl,
            airy_resume_token_ttl=args.airy_resume_ttl,
            **({"airy_channel": args.airy_channel} if args.airy_channel else {}),
        )
    except ValueError as exc:
        print(f"plow-tui sandbox: {exc}", file=sys.stderr)
        return ExitCode.USAGE

    from plow_tui.sandbox.server import SandboxServer

    try:
        server = SandboxServer(config)
        server.start()
    except StateFileError as exc:
        print(f"plow-tui sandbox: state file: {exc}", file=sys.stderr)
        return ExitCode.ERROR
    except (OSError, RuntimeError) as exc:
        print(f"plow-tui sandbox: cannot start on {args.host}:{args.port}: {exc}", file=sys.stderr)
        return ExitCode.ERROR

    stopping = threading.Event()
    # From here on, Ctrl+C at any moment (even while the banner prints) stops the
    # server cleanly: a KeyboardInterrupt before this `try` skipped server.stop().
    try:
        # SIGTERM (from a supervisor or a test) stops as cleanly as Ctrl+C: the state file is saved.
        signal.signal(signal.SIGTERM, lambda *_: stopping.set())
        take_back_ctrl_c()  # `plow-tui sandbox &` from a script starts with SIGINT ignored
        print(f"Plow sandbox listening on {server.base_url}", flush=True)
        print(f"  use it with: plow-tui --api-url {server.base_url}")
        exposed = _exposure_warning(args.host, server.base_url)
        if exposed:
            print(exposed, file=sys.stderr, flush=True)
            if args.host in ("0.0.0.0", "::"):
                port = server.base_url.rsplit(":", 1)[1]
                print(f"  from other machines: http://{_this_machine()}:{port}")
        print("  pool lines:")
        for line in server.context.world.lines:
            print(f"    {line.provider_key}  {line.display_name or ''}  {line.uid}")
        print(f"Airy channel: {config.airy_channel}")
        if args.state:
            print(f"  state file: {args.state}")
        print("Press Ctrl+C to stop.", flush=True)
        stopping.wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    print("Sandbox stopped.", flush=True)
    return ExitCode.OK


def _exposure_warning(host: str, base_url: str) -> str | None:
    """A plain warning when the sandbox listens beyond this machine, else None."""
    import ipaddress

    if host == "localhost":
        return None
    try:
        if ipaddress.ip_address(host).is_loopback:
            return None
    except ValueError:
        pass  # a host name: assume it may be reachable from elsewhere
    where = "every network interface" if host in ("0.0.0.0", "::") else host
    return (
        f"plow-tui sandbox: WARNING: listening on {where}. The /sandbox routes need no sign-in: "
        "anyone who can reach this port can read every phone's texts, send fake texts and revoke "
        "tokens. Use --host 127.0.0.1 unless you mean to share it on a trusted network."
    )


def _this_machine() -> str:
    import socket

    return socket.gethostname() or "THIS-MACHINE"
