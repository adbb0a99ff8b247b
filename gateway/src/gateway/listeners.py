"""`python -m gateway serve`: the public listener and the internal one in one process.

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
"""

from __future__ import annotations

import asyncio
import signal
import socket
import sys
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn
from fastapi import FastAPI

from gateway.internal import create_internal_app
from gateway.main import create_app
from gateway.settings import GatewaySettings

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


def serve(settings: GatewaySettings, host: str, port: int) -> None:
    """Run the gateway's public and internal listeners until stopped."""
    if settings.internal_port == port:
        sys.exit(f"gateway: GATEWAY_INTERNAL_PORT ({port}) must differ from the public --port")
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
        await listeners.serve()

    asyncio.run(run())
