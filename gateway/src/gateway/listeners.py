"""`python -m gateway serve [--workers N]`: the public listener and the internal one in one
process (or in each of N worker processes sharing both ports).

The public port (`--port`, 8000 in development) serves citizens, apps and WeChat; the internal
port (`GATEWAY_INTERNAL_PORT`, 8010) serves only `/internal/...` to the services, so a route
that sends on behalf of an account is out of reach of anyone who can reach the public port,
whatever token they hold. Compose publishes only the public one.

Design: two apps, one set of shared objects, one event loop.
- `create_app` builds the public app and everything it holds (the platform client with its
  cached access tokens, ...); `create_internal_app` builds a second, small app whose routes use
  that same platform client by reference. Nothing is built twice, so both ports see one cache
  of WeChat tokens and one mass-send bookkeeping.
- Both uvicorn servers run in this one loop with their own lifespan handling off; the public
  app's lifespan is entered once around both. The shared clients are thus started before
  either port accepts a connection and closed only after both have drained.
- uvicorn installs its signal handlers per server (the second would replace the first's), so
  here the loop handles SIGINT/SIGTERM and stops both; if one server ends (e.g. its port is
  taken), the other is stopped too and the process ends.
- One loop is required, not only convenient: the platform client's HTTP session belongs to the
  loop its lifespan started in, so an internal app served from another loop (another thread)
  could not use it.
- With N workers the parent binds both sockets and spawns N processes, each the above on the
  inherited sockets; they share their state through Redis, which N > 1 therefore requires.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import multiprocessing.connection
import os
import signal
import socket
import sys
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn
import uvloop
from fastapi import FastAPI

from gateway.internal import create_internal_app
from gateway.main import create_app
from gateway.settings import GatewaySettings
from servicekit.cli import SWITCH_INTERVAL

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class _Listener(uvicorn.Server):
    """A uvicorn server that leaves signals to `serve`."""

    @contextmanager
    def capture_signals(self) -> Iterator[None]:
        """Install nothing: the two servers share one set of handlers."""
        yield


def _listener(app: FastAPI, host: str, port: int) -> _Listener:
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        lifespan="off",
        log_config=None,
        access_log=False,
        server_header=False,
    )
    return _Listener(config)


class GatewayListeners:
    """The public and the internal uvicorn server of one gateway, served in one event loop."""

    def __init__(
        self, public: FastAPI, internal: FastAPI, *, host: str, port: int, internal_port: int
    ) -> None:
        self.public = public
        self.servers = (_listener(public, host, port), _listener(internal, host, internal_port))

    @property
    def started(self) -> bool:
        """Whether both servers accept connections."""
        return all(server.started for server in self.servers)

    def stop(self, sig: int = signal.SIGTERM) -> None:
        """Ask both servers to drain and stop (a second SIGINT forces them)."""
        for server in self.servers:
            server.handle_exit(sig, None)

    async def serve(self, sockets: tuple[socket.socket, socket.socket] | None = None) -> None:
        """Serve both (on `sockets`, public first, when given) within the public app's lifespan,
        until `stop` or until either server ends."""
        async with self.public.router.lifespan_context(self.public):
            tasks = [
                asyncio.create_task(server.serve([sock] if sock else None))
                for server, sock in zip(self.servers, sockets or (None, None), strict=True)
            ]
            try:
                await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
            finally:
                for server in self.servers:
                    server.should_exit = True
                await asyncio.gather(*tasks, return_exceptions=True)
            for task in tasks:
                task.result()


def _serve_one(
    settings: GatewaySettings,
    host: str,
    port: int,
    sockets: tuple[socket.socket, socket.socket] | None = None,
) -> None:
    """One process serving both listeners (on `sockets` when a supervisor bound them) until
    stopped."""
    public = create_app(settings)
    listeners = GatewayListeners(
        public,
        create_internal_app(public),
        host=host,
        port=port,
        internal_port=settings.internal_port,
    )

    async def run() -> None:
        loop = asyncio.get_running_loop()
        for sig in STOP_SIGNALS:
            loop.add_signal_handler(sig, listeners.stop, sig)
        await listeners.serve(sockets)

    # uvicorn.run would pick uvloop itself; serving its servers directly must ask for it
    # (the stock loop cost the proxy ~25% of its CPU in socket writes, bench/README.md).
    uvloop.run(run())


def _worker(
    settings: GatewaySettings, host: str, port: int, sockets: tuple[socket.socket, socket.socket]
) -> None:
    sys.setswitchinterval(SWITCH_INTERVAL)  # as the parent's, which spawn does not inherit
    _serve_one(settings, host, port, sockets)


def _serve_workers(settings: GatewaySettings, host: str, port: int, workers: int) -> None:
    """`workers` processes accepting on the same two sockets (bound here, inherited); the
    kernel spreads connections between them. One that ends stops the others."""
    sockets = (
        socket.create_server((host, port), backlog=2048),
        socket.create_server((host, settings.internal_port), backlog=2048),
    )
    spawn = multiprocessing.get_context("spawn")
    processes = [
        spawn.Process(target=_worker, args=(settings, host, port, sockets), daemon=False)
        for _ in range(workers)
    ]
    for process in processes:
        process.start()

    def stop(*_: object) -> None:
        # Always SIGTERM: a Ctrl-C already reached the workers (one process group), and a
        # second SIGINT would make uvicorn abandon the requests it is draining.
        for process in processes:
            if process.is_alive() and process.pid is not None:
                os.kill(process.pid, signal.SIGTERM)

    for sig in STOP_SIGNALS:
        signal.signal(sig, stop)
    multiprocessing.connection.wait([p.sentinel for p in processes])
    stop()
    for process in processes:
        process.join()
    # A worker stopped by the SIGTERM before it could handle it (still starting) did no wrong.
    if any(process.exitcode not in (0, -signal.SIGTERM) for process in processes):
        sys.exit(1)


def serve(settings: GatewaySettings, host: str, port: int, workers: int = 1) -> None:
    """Run the gateway's public and internal listeners until stopped, in `workers` processes."""
    if settings.internal_port == port:
        sys.exit(f"gateway: GATEWAY_INTERNAL_PORT ({port}) must differ from the public --port")
    if workers > 1 and not settings.redis_url:
        # Each process would de-duplicate WeChat's retries, count rate limits and hold platform
        # tokens on its own: a retry reaching another worker would be handled twice.
        sys.exit("gateway: serve --workers N (N > 1) needs GATEWAY_REDIS_URL, shared by them")
    if workers > 1:
        _serve_workers(settings, host, port, workers)
    else:
        _serve_one(settings, host, port)
