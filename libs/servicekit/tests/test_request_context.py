import io
import json
import logging

from fastapi.testclient import TestClient

from servicekit.logging import JsonFormatter


def test_request_id_is_echoed(client: TestClient) -> None:
    response = client.get("/v1/things/known", headers={"X-Request-ID": "abc-123"})
    assert response.headers["x-request-id"] == "abc-123"


def test_request_id_is_minted_when_missing_or_unsafe(client: TestClient) -> None:
    minted = client.get("/healthz").headers["x-request-id"]
    assert len(minted) == 32
    unsafe = client.get("/healthz", headers={"X-Request-ID": "bad id\nInjected: 1"})
    assert unsafe.headers["x-request-id"] != "bad id\nInjected: 1"


def test_one_json_access_line_per_request_with_its_id(client: TestClient) -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter("demo"))
    access = logging.getLogger("servicekit.access")
    access.addHandler(handler)
    try:
        client.get("/v1/things/known", headers={"X-Request-ID": "trace-me"})
    finally:
        access.removeHandler(handler)
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert len(lines) == 1
    assert lines[0]["request_id"] == "trace-me" and lines[0]["service"] == "demo"
    assert lines[0]["status"] == 200 and lines[0]["route"] == "/v1/things/{code}"


def test_metrics_count_requests_by_route(client: TestClient) -> None:
    client.get("/v1/things/known")
    client.get("/v1/things/other")
    text = client.get("/metrics").text
    assert 'route="/v1/things/{code}",service="demo",status="200"} 1.0' in text
    assert 'route="/v1/things/{code}",service="demo",status="404"} 1.0' in text


def test_health_and_readiness_without_database(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/readyz").json() == {"status": "ready", "checks": {}}


def test_docs_are_served_without_a_cdn(client: TestClient) -> None:
    page = client.get("/docs").text
    assert "cdn" not in page.lower()
    assert client.get("/docs-static/swagger-ui-bundle.js").status_code == 200
    assert client.get("/docs-static/swagger-ui.css").status_code == 200
