"""Two replicas of the suite on one PostgreSQL and one Redis (tests/integration/test_replicas.py).

Each side (`a`, `b`) is a gateway and its own instance of each service the replica scenarios
need (accounts, traffic, weather, inspection); both sides share one database per service and the
gateways share one Redis, as `docker compose --scale` or two Kubernetes replicas would. One
sandbox plays WeChat for both. A round-robin balancer in front of the gateways is where the
sandbox sends callbacks and WeChat Pay notifications, so consecutive deliveries land on
different gateways, and each gateway's services on different service instances.

Social security takes no part in these scenarios (and its seed costs ten seconds): its URL is a
closed port, so the gateways are waited for on `/healthz`, not `/readyz`.
"""

from __future__ import annotations

import importlib
import itertools
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import redis
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from servicekit.db import upgrade
from servicekit.testing import (
    create_postgres_database,
    drop_postgres_database,
    free_port,
    require,
    seed_database,
    serve_in_thread,
    wait_until,
)
from tests.integration.conftest import STARTUP_SECONDS
from wechat.pay_dev import ensure_dev_keys

SIDES = ("a", "b")
# The services the replica scenarios run twice; socialsec is left out (see the module).
REPLICATED = ("accounts", "traffic", "weather", "inspection")
# Inspection's reminders go out as soon as it starts and a reminder to a citizen the registry
# knows no openid for is final, so it starts last, once the test has made its contact known.
LAST = ("inspection",)
CLOSED = "http://127.0.0.1:9"
# A database of the local Redis nothing else uses: `make run` keeps 0, the gateway tests 8-15.
REDIS_URL = "redis://127.0.0.1:6379/7"
# Strict-tier and credential-failure limits small enough to reach in a few calls.
STRICT_LIMIT = 4
FAILURE_LIMIT = 4
MENU_SYNC_SECONDS = 300
HOP_BY_HOP = frozenset(
    {"connection", "content-length", "content-encoding", "keep-alive", "transfer-encoding"}
)


class RoundRobin:
    """A balancer taking turns between backends, remembering which one served each path."""

    def __init__(self, backends: list[str]) -> None:
        self._turns = itertools.cycle(backends)
        self.served: Counter[tuple[str, str]] = Counter()
        self.app = Starlette(
            routes=[
                Route(
                    "/{path:path}",
                    self.forward,
                    methods=["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD"],
                )
            ]
        )

    async def forward(self, request: Request) -> Response:
        """Pass the request to the next backend and its answer back."""
        backend = next(self._turns)
        self.served[(backend, request.url.path)] += 1
        target = backend + request.url.path
        if request.url.query:
            target += "?" + request.url.query
        headers = [
            (name, value)
            for name, value in request.headers.items()
            if name not in HOP_BY_HOP and name != "host"
        ]
        async with httpx.AsyncClient(timeout=30) as client:
            answer = await client.request(
                request.method, target, headers=headers, content=await request.body()
            )
        kept = {k: v for k, v in answer.headers.items() if k.lower() not in HOP_BY_HOP}
        return Response(answer.content, status_code=answer.status_code, headers=kept)


@dataclass
class Replicas:
    """Two gateways and two instances of each replicated service, as processes."""

    workdir: Path
    ports: dict[str, int] = field(default_factory=dict)
    databases: dict[str, str] = field(default_factory=dict)
    procs: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    envs: dict[str, dict[str, str]] = field(default_factory=dict)
    balancer: RoundRobin | None = None
    balancer_url: str = ""
    _stack: ExitStack = field(default_factory=ExitStack)

    # -- addresses ------------------------------------------------------------------------------

    def url(self, part: str) -> str:
        """The address of one process, e.g. `gateway-a`, `traffic-b`, `sandbox`."""
        return f"http://127.0.0.1:{self.ports[part]}"

    @property
    def gateways(self) -> list[str]:
        """The public addresses of the two gateways."""
        return [self.url(f"gateway-{side}") for side in SIDES]

    @property
    def gateway(self) -> str:
        """The first gateway (for helpers written for one suite)."""
        return self.gateways[0]

    @property
    def sandbox(self) -> str:
        """The sandbox playing WeChat and WeChat Pay."""
        return self.url("sandbox")

    # -- lifecycle ------------------------------------------------------------------------------

    def start(self) -> None:
        """Redis, the balancer, the sandbox and the gateways (which need no database), the
        databases meanwhile, then every service but those started `last`."""
        self._empty_redis()
        names = [f"{part}-{side}" for part in ("gateway", *REPLICATED) for side in SIDES]
        for name in (*names, "sandbox", *(f"gateway-{side}-internal" for side in SIDES)):
            self.ports[name] = free_port()
        self.balancer = RoundRobin(self.gateways)
        self.balancer_url = self._stack.enter_context(serve_in_thread(self.balancer.app))
        ensure_dev_keys(self.workdir / "var" / "keys")
        for service in REPLICATED:
            self.databases[service] = create_postgres_database()
        base = self._base_env()
        self.envs["sandbox"] = base
        for side in SIDES:
            self.envs[f"gateway-{side}"] = self._gateway_env(base, side)
            for service in REPLICATED:
                self.envs[f"{service}-{side}"] = self._service_env(base, service, side)
        edge = ["sandbox", *(f"gateway-{side}" for side in SIDES)]
        self._spawn(edge)
        self._prepare_databases()
        self._spawn([f"{p}-{s}" for p in REPLICATED if p not in LAST for s in SIDES])
        # What the test needs to set up before `start_last`; the others go on starting.
        self._wait([*edge, *(f"accounts-{side}" for side in SIDES)])
        self._wait_accounts_reached()

    def start_last(self) -> None:
        """The services whose first scheduled work needs what the test set up (see LAST), then
        wait until every part is ready."""
        self._spawn([f"{p}-{s}" for p in LAST for s in SIDES])
        self._wait([f"{p}-{s}" for p in REPLICATED if p != "accounts" for s in SIDES])

    def stop(self) -> None:
        """Stop every process, the balancer; drop the databases and empty Redis."""
        for name in list(self.procs):
            self.procs[name].send_signal(signal.SIGTERM)
        for name in list(self.procs):
            proc = self.procs.pop(name)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        self._stack.close()
        for url in self.databases.values():
            drop_postgres_database(url)
        self._empty_redis()

    # -- pieces ---------------------------------------------------------------------------------

    def _empty_redis(self) -> None:
        client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1, socket_timeout=1)
        try:
            client.flushdb()
        except redis.RedisError as exc:
            require(f"Redis not reachable at {REDIS_URL}: {exc}")
        finally:
            client.close()

    def _prepare_databases(self) -> None:
        """Each service's database migrated, then seeded in parallel (seeding mostly waits on
        the server; Alembic's context is global, so migrations go one by one)."""
        for service in REPLICATED:
            upgrade(service, self.databases[service])

        def seed(service: str) -> None:
            seeding = importlib.import_module(f"{service}.seed").seed
            seed_database(self.databases[service], seeding)

        with ThreadPoolExecutor(max_workers=len(REPLICATED)) as pool:
            list(pool.map(seed, REPLICATED))

    def _base_env(self) -> dict[str, str]:
        env = {**os.environ, "ENV": "dev", "PYTHONUNBUFFERED": "1"}
        for service in REPLICATED:
            env[f"{service.upper()}_DATABASE_URL"] = self.databases[service]
        env["GATEWAY_WECHAT_API_BASE_URL"] = self.sandbox
        env["SANDBOX_GATEWAY_URL"] = self.balancer_url
        env["TRAFFIC_WECHATPAY_BASE_URL"] = self.sandbox
        env["TRAFFIC_PAYMENT_NOTIFY_URL"] = (
            f"{self.balancer_url}/api/v1/traffic/payments/notify/wechatpay"
        )
        return env

    def _gateway_env(self, base: dict[str, str], side: str) -> dict[str, str]:
        env = {**base, "GATEWAY_REDIS_URL": REDIS_URL}
        env["GATEWAY_INTERNAL_PORT"] = str(self.ports[f"gateway-{side}-internal"])
        env["GATEWAY_PUBLIC_BASE_URL"] = self.url(f"gateway-{side}")
        env["GATEWAY_UPSTREAM_TIMEOUT_SECONDS"] = "5"
        env["GATEWAY_SOCIALSEC_URL"] = CLOSED
        for service in REPLICATED:
            env[f"GATEWAY_{service.upper()}_URL"] = self.url(f"{service}-{side}")
        # The tests name their client addresses in X-Forwarded-For, one per scenario.
        env["GATEWAY_RATE_LIMIT_TRUSTED_PROXIES"] = '["127.0.0.1"]'
        env["GATEWAY_RATE_LIMIT_STRICT"] = str(STRICT_LIMIT)
        env["GATEWAY_AUTH_FAILURE_LIMIT"] = str(FAILURE_LIMIT)
        env["GATEWAY_WECHAT_MENU_SYNC_SECONDS"] = str(MENU_SYNC_SECONDS)
        return env

    def _service_env(self, base: dict[str, str], service: str, side: str) -> dict[str, str]:
        env = dict(base)
        env[f"{service.upper()}_GATEWAY_URL"] = self.url(f"gateway-{side}-internal")
        match service:
            case "accounts":
                env["ACCOUNTS_OUTBOX_INSTANCE"] = f"accounts-{side}"
                env["ACCOUNTS_TRAFFIC_URL"] = self.url(f"traffic-{side}")
                env["ACCOUNTS_INSPECTION_URL"] = self.url(f"inspection-{side}")
                env["ACCOUNTS_SOCIALSEC_URL"] = CLOSED
                env["ACCOUNTS_PUSH_INTERVAL_SECONDS"] = "0.5"
                env["ACCOUNTS_STATISTICS_IMPORT_ENABLED"] = "true"
                env["ACCOUNTS_STATISTICS_IMPORT_CHECK_SECONDS"] = "0.5"
            case "traffic":
                env["TRAFFIC_RECONCILE_EVERY_SECONDS"] = "1"
                env["TRAFFIC_PAYMENT_NOTICE_EVERY_SECONDS"] = "0.5"
            case "weather":
                # Due from midnight: both replicas push at once when they start.
                env["WEATHER_BULLETIN_SCHEDULE"] = "true"
                env["WEATHER_BULLETIN_PUSH_AT"] = "00:00"
            case "inspection":
                env["INSPECTION_REMINDERS_ENABLED"] = "true"
                env["INSPECTION_REMINDERS_AT"] = "00:00"
                env["INSPECTION_REMINDERS_CHECK_SECONDS"] = "0.5"
        return env

    def _spawn(self, names: list[str]) -> None:
        for name in names:
            part = name.split("-")[0]
            log = open(self.workdir / f"{name}.log", "ab")  # noqa: SIM115 - closed with the process
            self.procs[name] = subprocess.Popen(
                [sys.executable, "-m", part, "serve", "--port", str(self.ports[name])],
                env=self.envs[name],
                cwd=self.workdir,
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    def _wait(self, names: list[str]) -> None:
        for name in names:
            # Gateways: alive is enough (their socialsec is a closed port, see the module).
            probe = "/healthz" if name.startswith("gateway") else "/readyz"
            wait_until(self.url(name) + probe, seconds=STARTUP_SECONDS)

    def _wait_accounts_reached(self) -> None:
        """Wait until each gateway gets through to accounts. A gateway started first syncs its
        menus from accounts before accounts listens, and its circuit breaker then refuses calls
        for a cool-down after accounts is up; a call through the breaker ends the wait."""
        deadline = time.monotonic() + STARTUP_SECONDS
        for gateway in self.gateways:
            last = ""
            while True:
                answer = httpx.get(
                    f"{gateway}/api/v1/accounts/accounts/dgjj",
                    headers={"Cache-Control": "no-cache"},
                    timeout=10,
                )
                if answer.status_code == 200:
                    break
                last = f"{answer.status_code} {answer.text[:200]}"
                if time.monotonic() > deadline:
                    raise TimeoutError(f"{gateway} does not reach accounts: {last}")
                time.sleep(0.5)


@contextmanager
def local_replicas(workdir: Path) -> Iterator[Replicas]:
    """Started replicas, stopped and cleaned up afterwards."""
    replicas = Replicas(workdir=workdir)
    try:
        replicas.start()
        yield replicas
    finally:
        replicas.stop()
