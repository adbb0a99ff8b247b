"""One trace across the gateway hop: a request's log lines at the gateway and at the service it
reaches carry the same trace id and request id, and the service's span is the gateway's child.

The service is a servicekit app (its middleware is every service's), served by uvicorn beside
the gateway in this process; both write their lines to the root logger, told apart by path.
"""

from __future__ import annotations

import io
import json
import logging
import time
from collections.abc import Iterator
from typing import Any, ClassVar

import httpx
import pytest
from fastapi import APIRouter, Request

from gateway.main import create_app
from gateway.settings import SERVICES, GatewaySettings
from servicekit.app import create_service_app
from servicekit.logging import JsonFormatter
from servicekit.settings import ServiceSettings, SharedSettings
from servicekit.testing import serve_in_thread

CLOSED = "http://127.0.0.1:9"
ACCESS = "servicekit.access"
HANDLER = "weather.handler"
GATEWAY_PATH = "/api/v1/weather/trace-echo"
SERVICE_PATH = "/v1/trace-echo"
CLIENT_TRACE = "0af7651916cd43dd8448eb211c80319c"
CLIENT_SPAN = "b7ad6b7169203331"
handler_log = logging.getLogger(HANDLER)


class WeatherSettings(ServiceSettings):
    service_name: ClassVar[str] = "weather"


def weather_app() -> Any:
    """A servicekit service whose route logs a line and shows the trace headers it received."""
    router = APIRouter(prefix="/v1")

    @router.get("/trace-echo")
    def trace_echo(request: Request) -> dict[str, list[str]]:
        handler_log.info("forecast read")
        return {
            name: request.headers.getlist(name)
            for name in ("traceparent", "tracestate", "x-request-id")
        }

    settings = WeatherSettings(shared=SharedSettings(env="dev"))
    return create_service_app(settings, title="weather", routers=[router])


@pytest.fixture(scope="module")
def gateway() -> Iterator[str]:
    with serve_in_thread(weather_app()) as weather:
        urls = {f"{name}_url": CLOSED for name in SERVICES} | {"weather_url": weather}
        settings = GatewaySettings(**urls, shared=SharedSettings(env="dev"))
        with serve_in_thread(create_app(settings)) as url:
            yield url


class LogLines:
    """The JSON lines either side writes to the root logger while it is attached."""

    def __init__(self) -> None:
        self.stream = io.StringIO()
        self.handler = logging.StreamHandler(self.stream)
        self.handler.setFormatter(JsonFormatter("test"))

    def where(self, **fields: str) -> list[dict[str, Any]]:
        """The lines written so far with these values."""
        lines = [json.loads(line) for line in self.stream.getvalue().splitlines()]
        return [line for line in lines if all(line.get(k) == v for k, v in fields.items())]

    def await_one(self, **fields: str) -> dict[str, Any]:
        """The one line with these values, waited for: each side writes its access line after
        its answer has left."""
        deadline = time.monotonic() + 5
        while not (found := self.where(**fields)) and time.monotonic() < deadline:
            time.sleep(0.01)
        assert len(found) == 1, fields
        return found[0]


@pytest.fixture
def logs() -> Iterator[LogLines]:
    lines = LogLines()
    root = logging.getLogger()
    root.addHandler(lines.handler)
    try:
        yield lines
    finally:
        root.removeHandler(lines.handler)


def one_request(gateway: str, headers: dict[str, str]) -> dict[str, list[str]]:
    response = httpx.get(f"{gateway}/api/v1/weather/trace-echo", headers=headers)
    assert response.status_code == 200
    received: dict[str, list[str]] = response.json()
    return received


@pytest.mark.slow
def test_the_gateway_and_the_service_log_one_request_under_one_trace(
    gateway: str, logs: LogLines
) -> None:
    received = one_request(gateway, {"X-Request-ID": "rid-trace-1"})

    at_gateway = logs.await_one(logger=ACCESS, path=GATEWAY_PATH, request_id="rid-trace-1")
    at_service = logs.await_one(logger=ACCESS, path=SERVICE_PATH, request_id="rid-trace-1")
    in_handler = logs.await_one(logger=HANDLER, request_id="rid-trace-1")
    trace_id = at_gateway["trace_id"]
    assert len(trace_id) == 32 and at_service["trace_id"] == in_handler["trace_id"] == trace_id
    # The service's span is the gateway's child: its parent is the span the gateway logged.
    [traceparent] = received["traceparent"]
    assert traceparent.startswith(f"00-{trace_id}-{at_gateway['span_id']}-")
    assert at_service["span_id"] == in_handler["span_id"] != at_gateway["span_id"]
    assert received["x-request-id"] == ["rid-trace-1"]


@pytest.mark.slow
def test_a_clients_trace_is_continued_and_its_headers_replaced(
    gateway: str, logs: LogLines
) -> None:
    headers = {
        "traceparent": f"00-{CLIENT_TRACE}-{CLIENT_SPAN}-00",
        "tracestate": "app=h5",
        "X-Request-ID": "rid-trace-2",
    }
    received = one_request(gateway, headers)

    at_gateway = logs.await_one(logger=ACCESS, path=GATEWAY_PATH, request_id="rid-trace-2")
    at_service = logs.await_one(logger=ACCESS, path=SERVICE_PATH, request_id="rid-trace-2")
    assert at_gateway["trace_id"] == at_service["trace_id"] == CLIENT_TRACE
    # One traceparent upstream, the gateway's own span's; the client's state travels on.
    [traceparent] = received["traceparent"]
    assert traceparent.startswith(f"00-{CLIENT_TRACE}-{at_gateway['span_id']}-")
    assert received["tracestate"] == ["app=h5"]
