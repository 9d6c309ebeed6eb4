"""Command line: ``acs-identity-emulator`` / ``python -m acs_identity_emulator``.

Prints exactly one line on stdout, the connection string, once it is serving; logs go to stderr.
"""
from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import uuid
from typing import List, Optional

from .auth import decode_access_key
from .errors import StartupError
from .server import DEFAULT_DATA, Config, serve
from .tokens import MAX_TEST_TTL_SECONDS
from .wire import DEFAULT_CLIENT_TIMEOUT_SECONDS


def _guid(text: str) -> str:
    try:
        return str(uuid.UUID(text))
    except ValueError as exc:
        raise argparse.ArgumentTypeError("must be a GUID") from exc


def _access_key(text: str) -> str:
    try:
        decode_access_key(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc
    return text


def _port(text: str) -> int:
    value = int(text)
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError("must be within [0, 65535]")
    return value


def _test_ttl(text: str) -> int:
    value = int(text)
    if not 1 <= value <= MAX_TEST_TTL_SECONDS:
        raise argparse.ArgumentTypeError(f"must be within [1, {MAX_TEST_TTL_SECONDS}]")
    return value


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError("must be a number of seconds") from exc
    if not 0 < value <= 3600:
        raise argparse.ArgumentTypeError("must be within (0, 3600] seconds")
    return value


def _minutes(text: str) -> int:
    value = int(text)
    if not 60 <= value <= 1440:
        raise argparse.ArgumentTypeError("must be within [60, 1440]")
    return value


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="acs-identity-emulator",
        description="Local Azure Communication Services Identity service. Prints the connection string on stdout.",
    )
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=_port, default=0, help="port to listen on; 0 picks a free one (default)")
    p.add_argument("--access-key", type=_access_key,
                   help="base64 access key; generated and kept in the data folder when absent")
    store = p.add_mutually_exclusive_group()
    store.add_argument("--data", default=DEFAULT_DATA, metavar="PATH",
                       help=f"SQLite database file (default {DEFAULT_DATA}); keys live next to it")
    store.add_argument("--in-memory", action="store_true", help="keep everything in memory")
    p.add_argument("--tls", action="store_true", help="serve HTTPS with a locally generated certificate")
    p.add_argument("--resource-id", type=_guid, help="resource GUID used in ids and tokens (default: per data)")
    p.add_argument("--token-ttl-minutes", type=_minutes, default=1440,
                   help="default token lifetime when a request does not choose one (default 1440)")
    p.add_argument("--test-token-ttl-seconds", type=_test_ttl,
                   help="TESTS ONLY: every token lives this many seconds, below the service's 60-minute floor")
    p.add_argument("--trusted-issuer-jwks", metavar="FILE",
                   help="JWKS file whose keys may sign Azure AD tokens (besides the development issuer)")
    p.add_argument("--client-timeout", type=_seconds, default=DEFAULT_CLIENT_TIMEOUT_SECONDS, metavar="SECONDS",
                   help="close connections that take longer to send a request's headers (or idle that long), and "
                        "answer 408 to bodies slower than this (default %(default)g)")
    p.add_argument("--access-log", action="store_true", help="log every request to stderr")
    p.add_argument("--log-level", default="INFO", choices=["DEBUG", "INFO", "WARNING", "ERROR"])
    return p


def main(argv: Optional[List[str]] = None) -> int:
    args = parser().parse_args(argv)
    logging.basicConfig(stream=sys.stderr, level=args.log_level,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    config = Config(
        host=args.host, port=args.port, access_key=args.access_key,
        data=None if args.in_memory else args.data, tls=args.tls, resource_id=args.resource_id,
        token_ttl_minutes=args.token_ttl_minutes, test_token_ttl_seconds=args.test_token_ttl_seconds,
        trusted_issuer_jwks=args.trusted_issuer_jwks, access_log=args.access_log,
        client_timeout=args.client_timeout,
    )

    def ready(connection_string: str) -> None:
        sys.stdout.write(connection_string + "\n")
        sys.stdout.flush()

    try:
        asyncio.run(serve(config, ready))
    except KeyboardInterrupt:
        pass
    except (OSError, StartupError) as exc:
        logging.getLogger("acs_identity_emulator").error("cannot start: %s", exc)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
