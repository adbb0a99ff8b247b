"""Upstream circuit breakers and per-route budgets: the state machine on a fake clock, then the
gateway in front of fake upstreams served by uvicorn, counting what reaches them."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import httpx
import pytest
from fastapi import FastAPI, Response
from pydantic import ValidationError

from gateway.circuit import CircuitBreaker, CircuitOpen, CircuitState
from gateway.main import create_app
from gateway.settings import GatewaySettings
from gateway.upstreams import Upstreams
from servicekit.errors import UpstreamTimeout
from servicekit.settings import SharedSettings
from servicekit.testing import metric_value, serve_in_thread

THRESHOLD = 3
OPEN_SECONDS = 10.0

# -- the state machine -------------------------------------------------------------------------


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


# Steps: ("ok" | "fail") a call that ends so; "hang" a call left in flight; ("end", outcome) the
# call left in flight ends ("ok", "fail" or "abandon"); "refused" a call refused at once;
# ("wait", seconds). Each step is followed by the state expected after it.
CLOSED, OPEN, HALF = CircuitState.CLOSED, CircuitState.OPEN, CircuitState.HALF_OPEN
FAIL_TO_OPEN = [("fail", CLOSED), ("fail", CLOSED), ("fail", OPEN)]
CASES: dict[str, list[tuple[object, CircuitState]]] = {
    "a success resets the count": [
        ("fail", CLOSED),
        ("fail", CLOSED),
        ("ok", CLOSED),
        ("fail", CLOSED),
        ("fail", CLOSED),
        ("ok", CLOSED),
    ],
    "consecutive failures open it": [*FAIL_TO_OPEN, ("refused", OPEN), ("refused", OPEN)],
    "open until the cool-down ends": [
        *FAIL_TO_OPEN,
        (("wait", OPEN_SECONDS - 0.1), OPEN),
        ("refused", OPEN),
        (("wait", 0.1), HALF),
    ],
    "a successful trial closes it": [*FAIL_TO_OPEN, (("wait", OPEN_SECONDS), HALF), ("ok", CLOSED)],
    "a failed trial opens it for another cool-down": [
        *FAIL_TO_OPEN,
        (("wait", OPEN_SECONDS), HALF),
        ("fail", OPEN),
        (("wait", OPEN_SECONDS - 1), OPEN),
        ("refused", OPEN),
        (("wait", 1), HALF),
        ("ok", CLOSED),
    ],
    "one trial at a time": [
        *FAIL_TO_OPEN,
        (("wait", OPEN_SECONDS), HALF),
        ("hang", HALF),
        ("refused", HALF),
        (("end", "ok"), CLOSED),
        ("ok", CLOSED),
    ],
    "an abandoned trial lets the next call try": [
        *FAIL_TO_OPEN,
        (("wait", OPEN_SECONDS), HALF),
        ("hang", HALF),
        (("end", "abandon"), HALF),
        ("fail", OPEN),
    ],
    "a late failure of an earlier call does not extend the opening": [
        ("hang", CLOSED),
        *FAIL_TO_OPEN,
        (("wait", OPEN_SECONDS - 1), OPEN),
        (("end", "fail"), OPEN),
        (("wait", 1), HALF),
    ],
    "a late answer of an earlier call closes it": [
        ("hang", CLOSED),
        *FAIL_TO_OPEN,
        (("end", "ok"), CLOSED),
        ("ok", CLOSED),
    ],
}


@pytest.mark.parametrize("steps", CASES.values(), ids=CASES.keys())
def test_breaker_state_machine(steps: list[tuple[object, CircuitState]]) -> None:
    clock = FakeClock()
    breaker = CircuitBreaker(
        "traffic", failure_threshold=THRESHOLD, open_seconds=OPEN_SECONDS, clock=clock
    )
    hanging: list[bool] = []
    refused = 0
    for step, expected in steps:
        if step == "refused":
            with pytest.raises(CircuitOpen):
                breaker.acquire()
            refused += 1
        elif step in ("ok", "fail", "hang"):
            trial = breaker.acquire()
            if step == "ok":
                breaker.succeeded()
            elif step == "fail":
                breaker.failed(trial=trial)
            else:
                hanging.append(trial)
        else:
            assert isinstance(step, tuple)
            kind, value = step
            if kind == "wait":
                assert isinstance(value, float | int)
                clock.now += value
            else:
                trial = hanging.pop()
                if value == "ok":
                    breaker.succeeded()
                elif value == "fail":
                    breaker.failed(trial=trial)
                else:
                    breaker.abandoned(trial=trial)
        assert breaker.state is expected, step
    assert breaker.short_circuited == refused


def test_refusal_is_a_503_problem_naming_the_service_with_retry_after() -> None:
    clock = FakeClock()
    breaker = CircuitBreaker("socialsec", failure_threshold=1, open_seconds=10, clock=clock)
    breaker.failed(trial=breaker.acquire())
    clock.now += 2.5
    with pytest.raises(CircuitOpen) as refused:
        breaker.acquire()
    assert refused.value.status == 503
    assert "socialsec" in refused.value.detail and "秒后再试" in refused.value.detail
    assert refused.value.headers == {"Retry-After": "8"}


# -- the gateway in front of fake upstreams ---------------------------------------------------

UPSTREAM_TIMEOUT = 0.3
HANG_SECONDS = 1.0
PAYMENT_SECONDS = 0.8
PAYMENT_BUDGET = 2.0
GATEWAY_OPEN_SECONDS = 0.6


@dataclass
class Fake:
    """What a fake upstream received, and whether it hangs."""

    hits: list[str] = field(default_factory=list)
    hanging: bool = True


def fake_traffic(fake: Fake) -> FastAPI:
    app = FastAPI()

    @app.get("/v1/things")
    async def things() -> dict[str, str]:
        fake.hits.append("things")
        if fake.hanging:
            await asyncio.sleep(HANG_SECONDS)
        return {"status": "ok"}

    @app.get("/v1/broken")
    async def broken() -> Response:
        fake.hits.append("broken")
        return Response(status_code=500)

    @app.post("/v1/decisions/{number}/payments", status_code=201)
    async def pay(number: str) -> dict[str, str]:
        fake.hits.append("pay")
        await asyncio.sleep(PAYMENT_SECONDS)
        return {"decision": number}

    @app.get("/v1/decisions/{number}")
    async def decision(number: str) -> dict[str, str]:
        fake.hits.append("decision")
        await asyncio.sleep(PAYMENT_SECONDS)
        return {"decision": number}

    return app


@pytest.fixture
def fake() -> Fake:
    return Fake()


@pytest.fixture
def traffic(fake: Fake) -> Iterator[str]:
    with serve_in_thread(fake_traffic(fake)) as url:
        yield url


def settings_for(traffic: str) -> GatewaySettings:
    return GatewaySettings(
        traffic_url=traffic,
        accounts_url=traffic,
        connect_timeout_seconds=0.2,
        upstream_timeout_seconds=UPSTREAM_TIMEOUT,
        route_timeouts={"POST traffic decisions/*/payments": PAYMENT_BUDGET},
        circuit_failure_threshold=THRESHOLD,
        circuit_open_seconds=GATEWAY_OPEN_SECONDS,
        rate_limit_enabled=False,
        shared=SharedSettings(env="dev"),
    )


@pytest.fixture
def gateway(traffic: str) -> Iterator[str]:
    with serve_in_thread(create_app(settings_for(traffic))) as url:
        yield url


def metric(gateway: str, name: str, upstream: str) -> float:
    text = httpx.get(f"{gateway}/metrics").text
    found = re.search(rf'^{name}\{{upstream="{upstream}"\}} (\S+)$', text, re.MULTILINE)
    assert found, f"{name} for {upstream} not exported"
    return float(found.group(1))


@pytest.mark.slow
def test_a_hung_upstream_is_cut_off_then_probed_back(gateway: str, fake: Fake) -> None:
    for _ in range(THRESHOLD):
        assert httpx.get(f"{gateway}/api/v1/traffic/things", timeout=5).status_code == 504
    assert len(fake.hits) == THRESHOLD
    assert metric(gateway, "gateway_upstream_circuit_state", "traffic") == CircuitState.OPEN

    started = time.monotonic()
    response = httpx.get(f"{gateway}/api/v1/traffic/things", timeout=5)
    elapsed = time.monotonic() - started
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    assert "traffic" in response.json()["detail"]
    assert int(response.headers["retry-after"]) >= 1
    assert elapsed < UPSTREAM_TIMEOUT
    time.sleep(0.1)
    assert len(fake.hits) == THRESHOLD, "the refused call reached the upstream"
    assert metric(gateway, "gateway_upstream_short_circuited_total", "traffic") == 1
    # Other upstreams are not affected.
    assert metric(gateway, "gateway_upstream_circuit_state", "accounts") == CircuitState.CLOSED

    fake.hanging = False
    time.sleep(GATEWAY_OPEN_SECONDS)
    assert metric(gateway, "gateway_upstream_circuit_state", "traffic") == CircuitState.HALF_OPEN
    assert httpx.get(f"{gateway}/api/v1/traffic/things", timeout=5).status_code == 200
    assert len(fake.hits) == THRESHOLD + 1
    assert metric(gateway, "gateway_upstream_circuit_state", "traffic") == CircuitState.CLOSED
    assert httpx.get(f"{gateway}/api/v1/traffic/things", timeout=5).status_code == 200
    exposition = httpx.get(f"{gateway}/metrics").text
    errors = {
        kind: metric_value(
            exposition, "gateway_upstream_errors_total", service="traffic", kind=kind
        )
        for kind in ("timeout", "circuit_open", "unreachable")
    }
    assert errors == {"timeout": THRESHOLD, "circuit_open": 1, "unreachable": None}


@pytest.mark.slow
def test_server_errors_keep_the_circuit_closed(gateway: str, fake: Fake) -> None:
    for _ in range(THRESHOLD + 1):
        assert httpx.get(f"{gateway}/api/v1/traffic/broken", timeout=5).status_code == 500
    assert len(fake.hits) == THRESHOLD + 1
    exposition = httpx.get(f"{gateway}/metrics").text
    errors = metric_value(
        exposition, "gateway_upstream_errors_total", service="traffic", kind="status_5xx"
    )
    assert errors == THRESHOLD + 1
    assert metric(gateway, "gateway_upstream_circuit_state", "traffic") == CircuitState.CLOSED


@pytest.mark.slow
async def test_chat_calls_share_the_breaker(traffic: str, fake: Fake) -> None:
    """Chat handlers call through `Upstreams.get_json`: an open circuit refuses them too."""
    upstreams = Upstreams(
        {"traffic": traffic},
        connect_timeout=0.2,
        total_timeout=UPSTREAM_TIMEOUT,
        failure_threshold=1,
        open_seconds=60,
    )
    await upstreams.start()
    try:
        with pytest.raises(UpstreamTimeout):
            await upstreams.get_json("traffic", "/v1/things", timeout=UPSTREAM_TIMEOUT)
        with pytest.raises(CircuitOpen):
            await upstreams.get_json("traffic", "/v1/things", timeout=UPSTREAM_TIMEOUT)
        assert len(fake.hits) == 1
    finally:
        await upstreams.close()


@pytest.mark.slow
async def test_short_deadlines_do_not_open_the_circuit(traffic: str, fake: Fake) -> None:
    upstreams = Upstreams(
        {"traffic": traffic}, connect_timeout=0.5, total_timeout=5, failure_threshold=1
    )
    await upstreams.start()
    try:
        for _ in range(2):
            with pytest.raises(UpstreamTimeout):
                await upstreams.get_json("traffic", "/v1/things", timeout=0.2)
        assert len(fake.hits) == 2
        assert upstreams.breakers["traffic"].state is CircuitState.CLOSED
    finally:
        await upstreams.close()


# -- per-route budgets -------------------------------------------------------------------------


@pytest.mark.slow
def test_payment_creation_has_its_own_longer_budget(gateway: str, fake: Fake) -> None:
    paid = httpx.post(
        f"{gateway}/api/v1/traffic/decisions/4419001/payments",
        headers={"Idempotency-Key": "k1"},
        json={"openid": "o1"},
        timeout=10,
    )
    assert paid.status_code == 201
    assert paid.json() == {"decision": "4419001"}
    # The same slowness on an ordinary route is past the upstream's budget.
    assert httpx.get(f"{gateway}/api/v1/traffic/decisions/4419001", timeout=10).status_code == 504
    assert fake.hits == ["pay", "decision"]


@pytest.mark.parametrize(
    "route", ["traffic decisions/*/payments", "POST payroll x", "FETCH traffic x", "POST traffic"]
)
def test_route_timeouts_must_name_a_method_a_service_and_a_path(route: str) -> None:
    with pytest.raises(ValidationError, match="route_timeouts"):
        GatewaySettings(route_timeouts={route: 1.0}, shared=SharedSettings(env="dev"))
