"""Prometheus metrics: one registry per app, so several apps can live in one process (tests).

A part's own metrics are one class declaring them on the registry it is given; `register_metrics`
builds it on the app's registry and keeps it with the app, where `metrics_of` finds it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from fastapi import FastAPI, Request, Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from starlette.applications import Starlette

from servicekit.state import keep, kept

M = TypeVar("M")


class Metrics:
    """The request counter and latency histogram of one app."""

    def __init__(self, service: str) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "http_requests_total",
            "HTTP requests served",
            ["service", "method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "http_request_duration_seconds",
            "HTTP request latency",
            ["service", "method", "route"],
            registry=self.registry,
        )
        self.service = service

    def observe(self, *, method: str, route: str, status: int, seconds: float) -> None:
        """Record one served request."""
        self.requests.labels(self.service, method, route, str(status)).inc()
        self.latency.labels(self.service, method, route).observe(seconds)


def install_metrics(app: FastAPI, metrics: Metrics) -> None:
    """Expose `GET /metrics` in the Prometheus text format."""

    @app.get("/metrics", include_in_schema=False)
    def _metrics(_: Request) -> Response:
        return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)


def register_metrics(app: Starlette, build: Callable[[CollectorRegistry], M]) -> M:
    """Build a part's metrics (`build(registry)`) on `app`'s registry and keep them with `app`."""
    built = build(kept(app, Metrics).registry)
    keep(app, type(built), built)
    return built


def metrics_of(app: Starlette, kind: type[M]) -> M:
    """The `kind` metrics `register_metrics` kept with `app`."""
    return kept(app, kind)
