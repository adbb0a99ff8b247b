"""Consent withdrawal across real processes: a stopped service gets its deletion when it is back.

Against the local suite it calls accounts directly (the gateway does not expose /v1/internal/,
and citizen tokens are minted as the gateway would). Under docker compose, where only the
gateways are published, a demo citizen signs in through WeChat OAuth and every call goes through
the gateway; the stopped service is every replica of traffic's container.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import httpx
import pytest

from servicekit.testing import mint_token, service_headers, wait_until
from tests.integration.conftest import STARTUP_SECONDS, ComposeSuite, LocalSuite
from tests.integration.signin import sign_in

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


def withdraw_while_traffic_is_down(
    withdraw: Callable[[], httpx.Response], deletions: Callable[[], dict[str, dict]]
) -> None:
    """Withdraw the traffic_records consent while traffic is stopped: socialsec acknowledges its
    deletion, traffic's stays pending and is retried on its own, nothing lost."""
    withdrawn = withdraw()
    assert withdrawn.status_code == 200, withdrawn.text
    assert withdrawn.json()["status"] == "withdrawn"
    # The retry is due a second after the first failure; a machine busy with the rest of the
    # tests (or with containers) may take much longer to get to it; a poll ends once it holds.
    now = poll(deletions, lambda d: d["socialsec"]["status"] == "acknowledged", seconds=30)
    assert now["socialsec"]["status"] == "acknowledged"
    assert now["traffic"]["status"] == "pending"
    now = poll(deletions, lambda d: d["traffic"]["attempts"] >= 2, seconds=30)
    assert now["traffic"]["attempts"] >= 2
    assert now["traffic"]["status"] == "pending"


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
        withdraw_while_traffic_is_down(
            lambda: httpx.delete(f"{accounts}/v1/me/consents/traffic_records", headers=headers),
            deletions,
        )

        suite.start_process("traffic")
        wait_until(f"http://127.0.0.1:{suite.ports['traffic']}/readyz", seconds=STARTUP_SECONDS)
        now = poll(deletions, lambda d: d["traffic"]["status"] == "acknowledged", seconds=30)
        assert now["traffic"]["status"] == "acknowledged"
        assert now["traffic"]["acknowledged_at"]
        assert citizen_id in (suite.workdir / "traffic.log").read_text()
    finally:
        if "traffic" not in suite.procs:
            suite.start_process("traffic")
            wait_until(f"http://127.0.0.1:{suite.ports['traffic']}/readyz", seconds=STARTUP_SECONDS)


def test_withdrawal_reaches_a_stopped_compose_service_after_it_restarts(suite) -> None:
    if not isinstance(suite, ComposeSuite):
        pytest.skip("the compose variant; the local suite runs the one above")
    consents = f"{suite.gateway}/api/v1/accounts/me/consents"
    with httpx.Client(timeout=30) as browser:
        # 王五: no other scenario relies on his bindings, which the withdrawal deletes.
        headers = sign_in(browser, suite.gateway, "王五")
        me = browser.get(f"{suite.gateway}/api/v1/accounts/me", headers=headers)
        assert me.status_code == 200, me.text
        citizen_id = me.json()["citizen_id"]
        granted = browser.post(consents, json={"purpose": "traffic_records"}, headers=headers)
        assert granted.status_code == 201, granted.text

        def deletions() -> dict[str, dict]:
            items = browser.get(consents, headers=headers).json()["items"]
            item = next(i for i in items if i["purpose"] == "traffic_records")
            return {d["service"]: d for d in item["deletions"]}

        suite.stop_process("traffic")
        try:
            withdraw_while_traffic_is_down(
                lambda: browser.delete(f"{consents}/traffic_records", headers=headers), deletions
            )
        finally:
            suite.start_process("traffic")
            wait_until(f"{suite.gateway}/readyz", seconds=180)
        now = poll(deletions, lambda d: d["traffic"]["status"] == "acknowledged", seconds=60)
        assert now["traffic"]["status"] == "acknowledged"
        assert now["traffic"]["acknowledged_at"]
        assert citizen_id in suite.logs("traffic")
