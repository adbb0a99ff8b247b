"""`python -m <service> migrate|downgrade|seed|serve`: one command line for every service.

A service may add commands of its own (`extra_commands`), e.g. work that cron runs.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import uvicorn
from fastapi import FastAPI
from pydantic import ValidationError
from sqlmodel import Session
from uvicorn.supervisors import Multiprocess

from servicekit.db import downgrade, make_engine, upgrade
from servicekit.settings import ServiceSettings


@dataclass(frozen=True)
class CliCommand:
    """A service's own command: `run` gets the settings its `settings_factory` made."""

    help: str
    run: Callable[[Any], None]


# `def` handlers hop between the event loop and the threadpool several times per request;
# CPython's default 5 ms GIL switch interval turns each hop into waiting (measured here:
# 180 -> 290 requests/s on a sync database endpoint at 0.5 ms).
SWITCH_INTERVAL = 0.0005


@dataclass(frozen=True)
class WorkerApp:
    """The app factory of one worker process: settings and app built in the worker itself
    (pickled by reference into each spawned worker, so both factories are module-level)."""

    settings_factory: Callable[[], ServiceSettings]
    app_factory: Callable[[ServiceSettings], FastAPI]

    def __call__(self) -> FastAPI:
        sys.setswitchinterval(SWITCH_INTERVAL)
        return self.app_factory(self.settings_factory())


def serve_workers(app: WorkerApp, *, host: str, port: int, workers: int) -> None:
    """Serve `app` from `workers` processes sharing one listening socket (uvicorn's
    supervisor restarts a worker that dies)."""
    config = uvicorn.Config(
        app,
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_config=None,
        access_log=False,
        server_header=False,
    )
    Multiprocess(config, sockets=[config.bind_socket()]).run()


# The port each part serves on unless `serve --port` says otherwise (the gateway's default
# upstream URLs point at them).
PORTS = {
    "gateway": 8000,
    "accounts": 8001,
    "traffic": 8002,
    "weather": 8003,
    "socialsec": 8004,
    "inspection": 8005,
    "sandbox": 8009,
}


def run_service_cli(
    package: str,
    settings_factory: Callable[[], ServiceSettings],
    app_factory: Callable[[ServiceSettings], FastAPI],
    *,
    seed: Callable[[Session], str] | None = None,
    default_port: int | None = None,
    database: bool = True,
    argv: Sequence[str] | None = None,
    extra_commands: Mapping[str, CliCommand] | None = None,
    serve: Callable[[Any, str, int], None] | None = None,
) -> None:
    """Parse the command line and run one of the service's commands.

    `serve` listens on `default_port` (by default the package's port in PORTS) unless `--port`
    says otherwise; `seed` adds the `seed` command, `database=False` drops `migrate` and
    `downgrade`. `serve(settings, host, port)` replaces the one uvicorn server of `serve` (the
    gateway runs its internal listener beside the public one); without it, `serve --workers N`
    serves from N processes sharing the port."""
    parser = argparse.ArgumentParser(prog=f"python -m {package}")
    sub = parser.add_subparsers(dest="command", required=True)
    if database:
        sub.add_parser("migrate", help="upgrade the database to the latest migration")
        down = sub.add_parser("downgrade", help="downgrade the database")
        down.add_argument("revision", nargs="?", default="base")
    if seed is not None:
        sub.add_parser("seed", help="load the deterministic demo data (idempotent)")
    serve_parser = sub.add_parser("serve", help="serve the HTTP API")
    serve_parser.add_argument("--host", default="127.0.0.1")
    port = PORTS[package] if default_port is None else default_port
    serve_parser.add_argument("--port", type=int, default=port)
    if serve is None:
        serve_parser.add_argument(
            "--workers", type=int, default=1, help="worker processes sharing the port (default 1)"
        )
    extras = dict(extra_commands or {})
    for name, command in extras.items():
        sub.add_parser(name, help=command.help)
    args = parser.parse_args(argv)

    try:
        settings = settings_factory()
    except ValidationError as exc:
        problems = "; ".join(str(e["msg"]) for e in exc.errors())
        sys.exit(f"{package}: invalid configuration: {problems}")
    if args.command in extras:
        extras[args.command].run(settings)
    elif args.command == "migrate":
        upgrade(package, settings.database_url)
    elif args.command == "downgrade":
        downgrade(package, settings.database_url, args.revision)
    elif args.command == "seed" and seed is not None:
        engine = make_engine(settings.database_url)
        with Session(engine) as session:
            print(seed(session))
        engine.dispose()
    elif args.command == "serve":
        sys.setswitchinterval(SWITCH_INTERVAL)
        if serve is not None:
            serve(settings, args.host, args.port)
            return
        if args.workers > 1:
            worker_app = WorkerApp(settings_factory, app_factory)
            serve_workers(worker_app, host=args.host, port=args.port, workers=args.workers)
            return
        uvicorn.run(
            app_factory(settings),
            host=args.host,
            port=args.port,
            log_config=None,
            access_log=False,
            server_header=False,
        )
