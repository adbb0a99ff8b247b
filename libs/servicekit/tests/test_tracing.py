"""W3C trace context: each request continues its caller's trace or starts one, passes it on to
the calls it makes, and every log line written while it is served names its request and trace."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import re
from collections.abc import Iterator
from typing import Any, ClassVar

import pytest
from fastapi import APIRouter, FastAPI
from fastapi.testclient import TestClient
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

from servicekit.app import create_service_app
from servicekit.background import run_periodically
from servicekit.logging import JsonFormatter
from servicekit.metrics import Metrics
from servicekit.middleware import RequestContextMiddleware
from servicekit.settings import ServiceSettings, SharedSettings
from servicekit.tracing import propagation_headers, tracer_for

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
PARENT_ID = "00f067aa0ba902b7"
TRACEPARENT = f"00-{TRACE_ID}-{PARENT_ID}-01"
HEX32 = re.compile(r"^[0-9a-f]{32}$")
HEX16 = re.compile(r"^[0-9a-f]{16}$")
SAMPLED = 0x01  # the W3C trace-flags bit

handler_log = logging.getLogger("servicekit.tests.tracing")
router = APIRouter(prefix="/v1")


@router.get("/outbound")
def outbound() -> dict[str, str]:
    """What a call made while serving this request carries (a sync route: a worker thread)."""
    handler_log.info("calling another part")
    return propagation_headers()


@router.get("/outbound-async")
async def outbound_async() -> dict[str, str]:
    handler_log.info("calling another part")
    return propagation_headers()


@router.get("/fails")
def fails() -> None:
    raise RuntimeError("boom")


class TracedSettings(ServiceSettings):
    service_name: ClassVar[str] = "traced"


@pytest.fixture
def client() -> Iterator[TestClient]:
    settings = TracedSettings(shared=SharedSettings(env="dev"))
    app = create_service_app(settings, title="traced", routers=[router])
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture
def log_stream() -> Iterator[io.StringIO]:
    """Where every logger's JSON lines go during the test."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter("traced"))
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield stream
    finally:
        root.removeHandler(handler)


def lines_of(stream: io.StringIO, logger: str) -> list[dict[str, Any]]:
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    return [line for line in lines if line["logger"] == logger]


def test_a_valid_traceparent_is_continued_and_passed_on(client: TestClient) -> None:
    for path in ("/v1/outbound", "/v1/outbound-async"):
        sent = client.get(path, headers={"traceparent": TRACEPARENT}).json()
        version, trace_id, span_id, flags = sent["traceparent"].split("-")
        # The same trace; the call's parent is this request's own span, not the caller's.
        assert (version, trace_id) == ("00", TRACE_ID)
        assert HEX16.match(span_id) and span_id != PARENT_ID
        # Nothing is exported by default, so nothing downstream is asked to sample.
        assert not int(flags, 16) & SAMPLED


def test_tracestate_travels_with_the_trace(client: TestClient) -> None:
    headers = {"traceparent": TRACEPARENT, "tracestate": "vendor=opaque"}
    assert client.get("/v1/outbound", headers=headers).json()["tracestate"] == "vendor=opaque"


@pytest.mark.parametrize(
    "traceparent",
    [
        "",
        "garbage",
        f"ff-{TRACE_ID}-{PARENT_ID}-01",  # version ff is forbidden
        f"00-{'0' * 32}-{PARENT_ID}-01",  # all-zero trace id
        f"00-{TRACE_ID}-{'0' * 16}-01",  # all-zero parent id
        f"00-{TRACE_ID[:-1]}-{PARENT_ID}-01",  # short trace id
        f"00-{TRACE_ID.upper()}-{PARENT_ID}-01",  # upper-case hex
        f"00-{TRACE_ID}-{PARENT_ID}-01-extra",  # version 00 has exactly four fields
    ],
)
def test_without_a_valid_traceparent_a_new_trace_starts(
    client: TestClient, traceparent: str
) -> None:
    headers = {"traceparent": traceparent} if traceparent.strip() else {}
    first = client.get("/v1/outbound", headers=headers).json()["traceparent"].split("-")
    second = client.get("/v1/outbound", headers=headers).json()["traceparent"].split("-")
    assert HEX32.match(first[1]) and first[1] != "0" * 32 and first[1] != TRACE_ID
    assert first[1] != second[1]


def test_the_request_id_is_passed_on_with_the_trace(client: TestClient) -> None:
    sent = client.get("/v1/outbound", headers={"X-Request-ID": "rid-7"}).json()
    assert sent["X-Request-ID"] == "rid-7"


def test_outside_a_request_nothing_is_passed_on() -> None:
    assert propagation_headers() == {}


def test_each_background_run_has_a_trace_of_its_own(client: TestClient) -> None:
    sent: list[dict[str, str]] = []

    async def two_runs() -> None:
        stop = asyncio.Event()

        def work() -> None:
            sent.append(propagation_headers())
            if len(sent) == 2:
                stop.set()

        await run_periodically(work, interval=0, stop=stop, what="test job")

    asyncio.run(two_runs())
    first, second = (headers["traceparent"].split("-")[1] for headers in sent)
    assert HEX32.match(first) and first != second
    # A run serves no request: it has no request id to pass on.
    assert "X-Request-ID" not in sent[0]


def test_every_line_of_a_request_names_its_request_and_trace(
    client: TestClient, log_stream: io.StringIO
) -> None:
    headers = {"traceparent": TRACEPARENT, "X-Request-ID": "rid-1"}
    sent = client.get("/v1/outbound", headers=headers).json()
    client.get("/v1/outbound-async", headers={"X-Request-ID": "rid-2"})
    handler_log.info("between requests")

    span_id = sent["traceparent"].split("-")[2]
    first, second = lines_of(log_stream, "servicekit.tests.tracing")[:2]
    access = lines_of(log_stream, "servicekit.access")
    assert len(access) == 2
    # The handler's own line and the access line: one request, one trace, one span.
    for line in (first, access[0]):
        assert (line["request_id"], line["trace_id"], line["span_id"]) == (
            "rid-1",
            TRACE_ID,
            span_id,
        )
    assert (second["request_id"], second["trace_id"]) == ("rid-2", access[1]["trace_id"])
    assert HEX32.match(second["trace_id"]) and second["trace_id"] != TRACE_ID
    outside = lines_of(log_stream, "servicekit.tests.tracing")[2]
    assert (outside["request_id"], outside["trace_id"], outside["span_id"]) == ("", "", "")


def test_the_exporter_is_off_by_default_and_on_by_setting() -> None:
    assert SharedSettings(env="dev").tracing_exporter == "none"
    assert not tracer_for("traced", "none").start_span("x").is_recording()
    assert tracer_for("traced", "console").start_span("x").is_recording()
    # One provider per service and exporter, however many apps a process builds.
    assert tracer_for("traced", "none") is tracer_for("traced", "none")


def test_a_recorded_span_is_the_callers_child_named_for_its_route() -> None:
    spans = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(spans))
    app = FastAPI()
    app.include_router(router)
    app.add_middleware(
        RequestContextMiddleware, metrics=Metrics("traced"), tracer=provider.get_tracer("t")
    )
    with TestClient(app, raise_server_exceptions=False) as test_client:
        sent = test_client.get("/v1/outbound", headers={"traceparent": TRACEPARENT}).json()
        assert test_client.get("/v1/fails").status_code == 500

    ok, failed = spans.get_finished_spans()
    assert ok.kind is SpanKind.SERVER and ok.name == "GET /v1/outbound"
    assert ok.parent is not None and f"{ok.parent.span_id:016x}" == PARENT_ID
    assert f"{ok.context.trace_id:032x}" == TRACE_ID
    # A sampled caller's trace is sampled here too, and so passed on.
    assert sent["traceparent"] == f"00-{TRACE_ID}-{ok.context.span_id:016x}-01"
    assert ok.attributes is not None and ok.attributes["http.response.status_code"] == 200
    assert failed.parent is None and failed.status.status_code is StatusCode.ERROR
