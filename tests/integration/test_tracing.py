"""Acceptance of tracing across the gateway hop: one request through the gateway leaves a line
in the gateway's log and one in the service's, both naming the same trace id and request id.

The local suite's processes write their JSON lines to `<part>.log` in its work directory; under
docker compose the logs are compose's, so the scenario runs locally only.
"""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import httpx
import pytest

from tests.integration.conftest import LocalSuite

pytestmark = pytest.mark.integration


def access_line(suite: LocalSuite, part: str, request_id: str) -> dict[str, Any]:
    """The access line `part` wrote for `request_id`, waited for: a process writes it once its
    answer has left."""
    log = suite.workdir / f"{part}.log"
    deadline = time.monotonic() + 10
    while True:
        for text in log.read_text(encoding="utf-8", errors="replace").splitlines():
            if request_id not in text:
                continue
            line = json.loads(text)
            if line["logger"] == "servicekit.access" and line["request_id"] == request_id:
                return dict(line)
        assert time.monotonic() < deadline, f"no access line for {request_id} in {log}"
        time.sleep(0.05)


def test_one_request_has_one_trace_id_in_the_gateway_and_service_logs(suite: Any) -> None:
    if not isinstance(suite, LocalSuite):
        pytest.skip("the compose suite's logs are docker's")
    request_id = f"trace-{uuid.uuid4().hex}"
    response = httpx.get(
        f"{suite.gateway}/api/v1/weather/locations",
        params={"limit": 1},
        headers={"X-Request-ID": request_id},
    )
    assert response.status_code == 200

    at_gateway = access_line(suite, "gateway", request_id)
    at_weather = access_line(suite, "weather", request_id)
    assert at_gateway["path"] == "/api/v1/weather/locations"
    assert at_weather["path"] == "/v1/locations"
    assert len(at_gateway["trace_id"]) == 32
    assert at_weather["trace_id"] == at_gateway["trace_id"]
    # Two spans of the one trace: the gateway's and, its child, the service's.
    assert at_weather["span_id"] != at_gateway["span_id"]
