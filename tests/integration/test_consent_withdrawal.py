"""Consent withdrawal across real processes: a stopped service gets its deletion when it is back.

Calls accounts directly (the gateway does not expose /v1/internal/, and citizen tokens are
minted as the gateway would), so it runs against the local suite only.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import httpx
import pytest

from servicekit.testing import mint_token, service_headers, wait_until
from tests.integration.conftest import STARTUP_SECONDS, LocalSuite

pytestmark = pytest.mark.integration


def poll(
    read: Callable[[], dict[str, dict]], done: Callable[[dict[str, dict]], bool], *, seconds: float
) -> dict[str, dict]:
    """Read until `done` holds or `seconds` pass; return the last reading."""
    deadline = time.monotonic() + seconds
    reading = read()
    while not done(reading) and time.monotonic() < deadline:
        time.sleep(0.1)
        reading = read()
    return reading


def test_withdrawal_reaches_a_stopped_service_after_it_restarts(suite) -> None:
    if not isinstance(suite, LocalSuite):
        pytest.skip("needs direct access to the accounts service")
    accounts = f"http://127.0.0.1:{suite.ports['accounts']}"
    resolved = httpx.post(
        f"{accounts}/v1/internal/citizens/resolve",
        json={"account_code": "dgjj", "openid": "oJJ-integration-0001", "unionid": "o6_it_0001"},
        headers=service_headers("gateway", "accounts"),
    )
    assert resolved.status_code == 200, resolved.text
    citizen_id = resolved.json()["citizen_id"]
    headers = mint_token("accounts", citizen_id)
    granted = httpx.post(
        f"{accounts}/v1/me/consents", json={"purpose": "traffic_records"}, headers=headers
    )
    assert granted.status_code == 201, granted.text

    def deletions() -> dict[str, dict]:
        items = httpx.get(f"{accounts}/v1/me/consents", headers=mint_token("accounts", citizen_id))
        item = next(i for i in items.json()["items"] if i["purpose"] == "traffic_records")
        return {d["service"]: d for d in item["deletions"]}

    suite.stop_process("traffic")
    try:
        withdrawn = httpx.delete(f"{accounts}/v1/me/consents/traffic_records", headers=headers)
        assert withdrawn.status_code == 200, withdrawn.text
        assert withdrawn.json()["status"] == "withdrawn"

        now = poll(deletions, lambda d: d["socialsec"]["status"] == "acknowledged", seconds=3)
        assert now["socialsec"]["status"] == "acknowledged"
        assert now["traffic"]["status"] == "pending"
        # Still down: retried on its own and still pending, nothing lost.
        now = poll(deletions, lambda d: d["traffic"]["attempts"] >= 2, seconds=5)
        assert now["traffic"]["attempts"] >= 2
        assert now["traffic"]["status"] == "pending"

        suite.start_process("traffic")
        wait_until(f"http://127.0.0.1:{suite.ports['traffic']}/readyz", seconds=STARTUP_SECONDS)
        now = poll(deletions, lambda d: d["traffic"]["status"] == "acknowledged", seconds=10)
        assert now["traffic"]["status"] == "acknowledged"
        assert now["traffic"]["acknowledged_at"]
        assert citizen_id in (suite.workdir / "traffic.log").read_text()
    finally:
        if "traffic" not in suite.procs:
            suite.start_process("traffic")
            wait_until(f"http://127.0.0.1:{suite.ports['traffic']}/readyz", seconds=STARTUP_SECONDS)
