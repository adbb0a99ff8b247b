"""The running suite shared by the integration scenarios.

Local processes on free ports with temporary SQLite databases (PostgreSQL ones with
TEST_DATABASE=postgres, as `make test-postgres` runs them); with GUANWEI_COMPOSE=1
(`make compose-test`) the same scenarios run against docker compose instead.
"""

from __future__ import annotations

import importlib
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from gateway.settings import SERVICES
from servicekit.db import upgrade
from servicekit.testing import free_port, process_database, seed_database, wait_until
from wechat.pay_dev import ensure_dev_keys

ROOT = Path(__file__).resolve().parents[2]
# Six processes importing at once on a busy two-core machine take well over 30 s to be ready.
STARTUP_SECONDS = 120
PARTS = (*SERVICES, "gateway", "sandbox")


@dataclass
class LocalSuite:
    """The five services, the gateway and the sandbox (playing WeChat) as processes with
    temporary databases."""

    workdir: Path
    env: dict[str, str] = field(default_factory=dict)
    ports: dict[str, int] = field(default_factory=dict)
    procs: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    _databases: ExitStack = field(default_factory=ExitStack)

    @property
    def gateway(self) -> str:
        return f"http://127.0.0.1:{self.ports['gateway']}"

    @property
    def sandbox(self) -> str:
        return f"http://127.0.0.1:{self.ports['sandbox']}"

    def start(self) -> None:
        """Migrate, seed and serve every service, then the gateway and the sandbox; wait until
        all are ready."""
        self.env = {**os.environ, "ENV": "dev", "PYTHONUNBUFFERED": "1"}
        for name in PARTS:
            self.ports[name] = free_port()
        # The gateway's second listener: /internal/... for the services, never the public port.
        self.ports["gateway-internal"] = free_port()
        self.env["GATEWAY_INTERNAL_PORT"] = str(self.ports["gateway-internal"])
        for name in SERVICES:
            self.env[f"{name.upper()}_DATABASE_URL"] = self._databases.enter_context(
                process_database(self.workdir, name)
            )
            self.env[f"GATEWAY_{name.upper()}_URL"] = f"http://127.0.0.1:{self.ports[name]}"
        self.env["GATEWAY_UPSTREAM_TIMEOUT_SECONDS"] = "3"
        # The two sides of WeChat: the gateway calls the sandbox's platform API, the sandbox
        # posts citizens' messages to the gateway's callback URLs.
        self.env["GATEWAY_WECHAT_API_BASE_URL"] = self.sandbox
        self.env["SANDBOX_GATEWAY_URL"] = self.gateway
        self.env["GATEWAY_PUBLIC_BASE_URL"] = self.gateway
        # Fines are paid at the sandbox's WeChat Pay; notifications come back through the gateway.
        self.env["TRAFFIC_WECHATPAY_BASE_URL"] = self.sandbox
        self.env["TRAFFIC_PAYMENT_NOTIFY_URL"] = (
            f"{self.gateway}/api/v1/traffic/payments/notify/wechatpay"
        )
        # Services that send through the gateway (the weather bulletin) find it here.
        for name in SERVICES:
            self.env[f"{name.upper()}_GATEWAY_URL"] = (
                f"http://127.0.0.1:{self.ports['gateway-internal']}"
            )
        # Accounts tells these services to delete bindings; a short outbox cycle keeps the
        # consent-withdrawal scenario quick.
        for name in ("traffic", "socialsec", "inspection"):
            self.env[f"ACCOUNTS_{name.upper()}_URL"] = f"http://127.0.0.1:{self.ports[name]}"
        self.env["ACCOUNTS_OUTBOX_INTERVAL_SECONDS"] = "0.5"
        self.env["ACCOUNTS_OUTBOX_BACKOFF_MAX_SECONDS"] = "2"
        # Traffic and the sandbox read the halves of one WeChat Pay key set (cwd = workdir).
        ensure_dev_keys(self.workdir / "var" / "keys")
        # What `python -m <service> migrate` and `seed` do, in this process: ten more processes
        # importing a service each would cost half a minute of CPU (test_procfile runs them).
        for name in SERVICES:
            url = self.env[f"{name.upper()}_DATABASE_URL"]
            upgrade(name, url)
            seed_database(url, importlib.import_module(f"{name}.seed").seed)
        for name in PARTS:
            self.start_process(name)
        for name in (*SERVICES, "sandbox"):
            wait_until(f"http://127.0.0.1:{self.ports[name]}/readyz", seconds=STARTUP_SECONDS)
        wait_until(f"{self.gateway}/readyz", seconds=STARTUP_SECONDS)

    def start_process(self, name: str) -> None:
        """Serve one part on its port."""
        log = open(self.workdir / f"{name}.log", "ab")  # noqa: SIM115 - closed with the process
        self.procs[name] = subprocess.Popen(
            [sys.executable, "-m", name, "serve", "--port", str(self.ports[name])],
            env=self.env,
            cwd=self.workdir,
            stdout=log,
            stderr=subprocess.STDOUT,
        )

    def stop_process(self, name: str) -> None:
        """Stop one part and wait for it to exit."""
        proc = self.procs.pop(name)
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=10)

    def stop(self) -> None:
        """Stop everything; drop the databases."""
        for name in list(self.procs):
            self.stop_process(name)
        self._databases.close()


def _compose_gateways() -> list[str]:
    urls = os.environ.get("GUANWEI_GATEWAY_URLS", "http://127.0.0.1:8000")
    return [url.strip().rstrip("/") for url in urls.split(",") if url.strip()]


@dataclass
class ComposeSuite:
    """The suite started by `make compose-test` (only the gateways and the sandbox publish
    ports: GUANWEI_GATEWAY_URLS, GUANWEI_SANDBOX_URL)."""

    gateways: list[str] = field(default_factory=_compose_gateways)
    sandbox: str = field(
        default_factory=lambda: os.environ.get("GUANWEI_SANDBOX_URL", "http://127.0.0.1:8009")
    )

    @property
    def gateway(self) -> str:
        return self.gateways[0]

    def start(self) -> None:
        """Wait until every gateway reports every upstream ready."""
        for gateway in self.gateways:
            wait_until(f"{gateway}/readyz", seconds=180)
        wait_until(f"{self.sandbox}/healthz", seconds=180)

    def compose(self, *args: str) -> str:
        """Run `docker compose <args>` on the suite's project; its output."""
        done = subprocess.run(
            ["docker", "compose", *args], check=True, cwd=ROOT, capture_output=True, text=True
        )
        return done.stdout

    def stop_process(self, name: str) -> None:
        """Stop every replica of one compose service."""
        self.compose("stop", name)

    def start_process(self, name: str) -> None:
        """Start one compose service's replicas again."""
        self.compose("start", name)

    def logs(self, name: str) -> str:
        """What every replica of one compose service logged."""
        return self.compose("logs", "--no-color", name)

    def stop(self) -> None:
        """Compose itself is stopped by `make compose-test`."""


# Scenarios that cannot pass against compose, and why.
NOT_UNDER_COMPOSE = {
    "test_fine_payment.py::test_a_payment_whose_notification_never_came_is_repaired_by_reconcile": (
        "compose-test reconciles in the services every second (the replica scenario watches them "
        "take turns), and today's bill repairs the dropped notification before it can be missed"
    ),
}


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every scenario here is `integration`; those on the running suite share one pytest-xdist
    worker (`--dist loadgroup`), so the suite starts once per run however many workers there
    are. Under compose, the scenarios of NOT_UNDER_COMPOSE skip with their reason."""
    here = Path(__file__).parent
    compose = os.environ.get("GUANWEI_COMPOSE") == "1"
    for item in items:
        if item.path.is_relative_to(here):
            item.add_marker(pytest.mark.integration)
            if "suite" in getattr(item, "fixturenames", ()):
                item.add_marker(pytest.mark.xdist_group("suite"))
            reason = NOT_UNDER_COMPOSE.get(f"{item.path.name}::{item.name}")
            if compose and reason:
                item.add_marker(pytest.mark.skip(reason=f"compose mode: {reason}"))


@pytest.fixture(scope="session")
def suite(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalSuite | ComposeSuite]:
    """The whole suite, running for the session."""
    running: LocalSuite | ComposeSuite
    if os.environ.get("GUANWEI_COMPOSE") == "1":
        running = ComposeSuite()
    else:
        running = LocalSuite(workdir=Path(tmp_path_factory.mktemp("suite")))
    try:
        running.start()
        yield running
    finally:
        running.stop()
