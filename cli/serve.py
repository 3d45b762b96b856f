"""`onething portal`: serve the portal HTTP API with uvicorn.

    onething portal [--host 127.0.0.1] [--port 8000] [--dev-tokens]

Settings come from the environment (settings.py, portal/config.py). The app connects to Temporal and
opens the store in its lifespan. `--dev-tokens` first creates the embedded stack's development tokens
(`<data_dir>/dev-tokens.json`) if they are not there yet. uvicorn's access log is off: the portal logs
one structured event per request itself, without tokens or bodies.
"""

from __future__ import annotations

import argparse
import sys

import uvicorn

from cli.errors import BadInput
from logs import configure_logging
from portal import server
from portal.app import create_app
from portal.auth import ensure_dev_tokens
from portal.config import PortalConfig
from settings import Settings, is_production, require_production_secrets


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "portal",
        help="serve the portal HTTP API",
        description="Serve the portal HTTP API (OpenAPI at /docs) with uvicorn.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="interface to listen on (default 127.0.0.1)")
    parser.add_argument("--port", default="8000", metavar="PORT", help="TCP port (default 8000)")
    parser.add_argument(
        "--dev-tokens",
        action="store_true",
        help="create development tokens in the data directory first (embedded stack only)",
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    port = _parse_port(args.port)
    require_production_secrets("portal")
    if args.dev_tokens and is_production():
        raise BadInput("--dev-tokens: development tokens are refused in production (ONETHING_ENV)")
    configure_logging()  # JSON lines with personal data masked, as the worker's
    settings = Settings.from_env()
    if args.dev_tokens:
        path = ensure_dev_tokens(settings.data_dir)
        print(f"onething portal: development tokens in {path}", file=sys.stderr)
    try:
        config = PortalConfig.from_env(settings)
        app = create_app(settings, config=config)
    except (ValueError, PermissionError) as exc:  # configuration the user must fix
        raise BadInput(str(exc)) from exc
    uvicorn.Server(server.config(app, host=args.host, port=port, read_timeout=config.read_timeout)).run()
    return 0


def _parse_port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        raise BadInput(f"--port: expected a TCP port number, got {text!r}") from None
    if not 1 <= port <= 65535:
        raise BadInput(f"--port: must be between 1 and 65535, got {port}")
    return port
