"""A part's own metrics: registered on its app's registry, found again, one set per app."""

from typing import ClassVar

from fastapi.testclient import TestClient
from prometheus_client import CollectorRegistry, Counter

from servicekit.app import create_service_app
from servicekit.metrics import metrics_of, register_metrics
from servicekit.settings import ServiceSettings, SharedSettings
from servicekit.testing import metric_value


class PartMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.done = Counter("demo_jobs", "Jobs done", ["outcome"], registry=registry)


class DemoSettings(ServiceSettings):
    service_name: ClassVar[str] = "demo"


def test_each_app_exports_its_own_registered_metrics() -> None:
    first, second = (
        create_service_app(DemoSettings(shared=SharedSettings(env="dev")), title=title)
        for title in ("one", "two")
    )
    registered = register_metrics(first, PartMetrics)
    register_metrics(second, PartMetrics)
    assert metrics_of(first, PartMetrics) is registered
    metrics_of(first, PartMetrics).done.labels("ok").inc(2)
    one, two = (TestClient(app).get("/metrics").text for app in (first, second))
    assert metric_value(one, "demo_jobs_total", outcome="ok") == 2
    assert metric_value(two, "demo_jobs_total", outcome="ok") is None
    # The request metrics are still there beside them.
    assert "http_requests_total" in one
