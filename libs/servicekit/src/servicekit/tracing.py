"""W3C trace context across the suite: one server span per request, ids on every log line.

Each request continues the caller's `traceparent` (the gateway's, or a client's at the gateway)
or starts a new trace, and every call to another part of the suite carries the current span on
(`propagation_headers`), so the gateway's and a service's log lines of one request share a
`trace_id`. With `TRACING_EXPORTER=none` (the default) ids are still minted and propagated, but
spans are sampled out: no span is recorded, so a request costs two random ids and a context
switch. `console` writes finished spans to stdout, one JSON object a line; `otlp` sends them
over HTTP to `OTEL_EXPORTER_OTLP_ENDPOINT` (and the SDK's other `OTEL_EXPORTER_OTLP_*`
settings), sampled as `OTEL_TRACES_SAMPLER` says (by default, every trace its caller sampled
or that starts here).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from typing import Literal

from opentelemetry import context, trace
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter, SpanExporter
from opentelemetry.sdk.trace.sampling import ALWAYS_OFF
from opentelemetry.trace import Span, SpanKind, StatusCode, Tracer
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from servicekit.logging import request_id_var

TracingExporter = Literal["none", "console", "otlp"]
TRACEPARENT = "traceparent"
TRACESTATE = "tracestate"
REQUEST_ID = "X-Request-ID"
_PROPAGATOR = TraceContextTextMapPropagator()
# Until an app is built, jobs trace nothing (the API's no-op tracer mints no ids).
_JOBS: list[Tracer] = [trace.NoOpTracer()]


def _exporter(kind: TracingExporter) -> SpanExporter:
    if kind == "console":
        return ConsoleSpanExporter(formatter=lambda span: span.to_json(indent=None) + "\n")
    # Imported here: only a process that exports pays for the OTLP client's imports.
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    return OTLPSpanExporter()


def tracer_for(service: str, exporter: TracingExporter) -> Tracer:
    """The tracer of `service` in this process, exporting its spans as `exporter` says (one
    provider per service and exporter, however many apps a process builds)."""
    tracer = _provided(service, exporter)
    # Background jobs run outside any app's request: they trace with the process's tracer,
    # the last app built's, as its log lines name the last app's service.
    _JOBS[0] = tracer
    return tracer


@cache
def _provided(service: str, exporter: TracingExporter) -> Tracer:
    resource = Resource.create({SERVICE_NAME: service})
    if exporter == "none":
        # Sampled out: the SDK still mints W3C ids (so logs correlate) but records nothing.
        provider = TracerProvider(sampler=ALWAYS_OFF, resource=resource, shutdown_on_exit=False)
    else:
        # The sampler comes from OTEL_TRACES_SAMPLER; the processor is flushed at exit.
        provider = TracerProvider(resource=resource)
        provider.add_span_processor(BatchSpanProcessor(_exporter(exporter)))
    return provider.get_tracer("servicekit")


@contextmanager
def server_span(
    tracer: Tracer, *, method: str, traceparent: str = "", tracestate: str = ""
) -> Iterator[Span]:
    """The current span while the context lasts: a child of the caller's `traceparent`, or the
    root of a new trace when there is none or it is malformed."""
    carrier = {TRACEPARENT: traceparent, TRACESTATE: tracestate} if traceparent else {}
    parent = _PROPAGATOR.extract(carrier)
    span = tracer.start_span(method, context=parent, kind=SpanKind.SERVER)
    token = context.attach(trace.set_span_in_context(span, parent))
    try:
        yield span
    finally:
        context.detach(token)
        span.end()


@contextmanager
def job_span(what: str) -> Iterator[None]:
    """A trace of its own for one run of background work `what`, current while the context lasts,
    so that the run's log lines and the calls it makes share a trace id."""
    with _JOBS[0].start_as_current_span(what, context=context.Context()):
        yield


def describe_server_span(span: Span, *, method: str, route: str, status: int) -> None:
    """Name a recorded request span for its route and give it the HTTP attributes."""
    if not span.is_recording():
        return
    span.update_name(f"{method} {route}")
    span.set_attribute("http.request.method", method)
    span.set_attribute("http.route", route)
    span.set_attribute("http.response.status_code", status)
    if status >= 500:
        span.set_status(StatusCode.ERROR)


def propagation_headers() -> dict[str, str]:
    """The headers a call to another part of the suite adds: the current span's `traceparent`
    (and `tracestate`) and the request's `x-request-id`; empty outside a request."""
    headers: dict[str, str] = {}
    _PROPAGATOR.inject(headers)
    request_id = request_id_var.get()
    if request_id:
        headers[REQUEST_ID] = request_id
    return headers
