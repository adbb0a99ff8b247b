"""The acceptance scenarios of the walking skeleton, through the gateway of a running suite."""

from __future__ import annotations

import hashlib
import secrets
import time
import xml.etree.ElementTree as ET
from datetime import datetime
from zoneinfo import ZoneInfo

import httpx
import pytest

from gateway.settings import DEV_WECHAT_ACCOUNTS

pytestmark = pytest.mark.integration
SERVICES = ("accounts", "traffic", "weather", "socialsec", "inspection")


def test_gateway_reports_every_service_ready(suite) -> None:
    body = httpx.get(f"{suite.gateway}/readyz").json()
    assert body["status"] == "ready"
    for service in SERVICES:
        assert body["checks"][service]["ready"] is True
        assert body["checks"][service]["latency_ms"] >= 0


def test_five_day_forecast_through_the_gateway(suite) -> None:
    response = httpx.get(f"{suite.gateway}/api/v1/weather/forecasts/dalang")
    assert response.status_code == 200
    days = response.json()["days"]
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date().isoformat()
    assert len(days) == 5 and days[0]["date"] == today


def test_each_service_answers_its_slice(suite) -> None:
    gw = suite.gateway
    assert httpx.get(f"{gw}/api/v1/accounts/accounts/dgtq").json()["name"] == "东莞天气"
    codes = httpx.get(f"{gw}/api/v1/traffic/violation-codes", params={"limit": 100}).json()
    assert "1625" in {item["code"] for item in codes["items"]}
    offices = httpx.get(f"{gw}/api/v1/socialsec/offices", params={"town": "dalang"}).json()
    assert "83106399" in offices["items"][0]["phone"]


def test_docs_show_every_service(suite) -> None:
    page = httpx.get(f"{suite.gateway}/docs")
    assert page.status_code == 200 and "swagger" in page.text.lower()
    spec = httpx.get(f"{suite.gateway}/openapi.json").json()
    for service in SERVICES:
        assert any(path.startswith(f"/api/v1/{service}/") for path in spec["paths"]), service
    assert not any("/internal/" in path for path in spec["paths"])


def test_bad_input_is_a_problem(suite) -> None:
    missing = httpx.get(f"{suite.gateway}/api/v1/weather/forecasts/atlantis")
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"
    assert "未找到" in missing.json()["detail"]
    bad = httpx.get(f"{suite.gateway}/api/v1/weather/locations", params={"limit": "abc"})
    assert bad.status_code == 422
    assert bad.headers["content-type"] == "application/problem+json"
    assert [e["field"] for e in bad.json()["errors"]] == ["limit"]


def test_a_stopped_service_is_a_503_while_the_others_keep_working(suite) -> None:
    suite.stop_process("socialsec")
    try:
        started = time.monotonic()
        response = httpx.get(f"{suite.gateway}/api/v1/socialsec/offices", timeout=15)
        elapsed = time.monotonic() - started
        assert response.status_code == 503
        assert response.headers["content-type"] == "application/problem+json"
        assert "socialsec" in response.json()["detail"]
        assert elapsed < 10
        assert httpx.get(f"{suite.gateway}/api/v1/weather/forecasts/dalang").status_code == 200
        ready = httpx.get(f"{suite.gateway}/readyz", timeout=15)
        assert ready.status_code == 503
        assert ready.json()["checks"]["socialsec"]["ready"] is False
        assert ready.json()["checks"]["weather"]["ready"] is True
    finally:
        suite.start_process("socialsec")
    deadline = time.monotonic() + 30
    while httpx.get(f"{suite.gateway}/readyz", timeout=15).status_code != 200:
        assert time.monotonic() < deadline, "socialsec did not come back"
        time.sleep(0.3)


def _signed(token: str, **extra: str) -> dict[str, str]:
    timestamp, nonce = str(int(time.time())), str(secrets.randbelow(10**10))
    signature = hashlib.sha1("".join(sorted([token, timestamp, nonce])).encode()).hexdigest()
    return {"signature": signature, "timestamp": timestamp, "nonce": nonce, **extra}


def test_chat_answers_weather_with_todays_forecast(suite) -> None:
    account = next(a for a in DEV_WECHAT_ACCOUNTS if a.code == "dgtq")
    message = (
        "<xml><ToUserName><![CDATA[gh_dgtq]]></ToUserName>"
        "<FromUserName><![CDATA[o_citizen_1]]></FromUserName>"
        f"<CreateTime>{int(time.time())}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
        "<Content><![CDATA[天气]]></Content><MsgId>1000000001</MsgId></xml>"
    )
    params = _signed(account.token, openid="o_citizen_1")
    response = httpx.post(f"{suite.gateway}/wechat/dgtq", params=params, content=message.encode())
    assert response.status_code == 200
    reply = ET.fromstring(response.text)
    assert reply.findtext("ToUserName") == "o_citizen_1"
    assert reply.findtext("MsgType") == "text"
    forecast = httpx.get(f"{suite.gateway}/api/v1/weather/forecasts/dongguan").json()
    assert forecast["days"][0]["text"] in reply.findtext("Content")

    params["signature"] = "0" * 40
    forged = httpx.post(f"{suite.gateway}/wechat/dgtq", params=params, content=message.encode())
    assert forged.status_code == 403


def test_rankings_through_the_gateway(suite) -> None:
    week = httpx.get(
        f"{suite.gateway}/api/v1/accounts/rankings", params={"period": "week"}, timeout=30
    )
    assert week.status_code == 200
    items = week.json()["items"]
    active = httpx.get(
        f"{suite.gateway}/api/v1/accounts/accounts", params={"limit": 100, "offset": 0}
    ).json()["total"]
    assert len(items) == active
    assert [item["rank"] for item in items] == list(range(1, len(items) + 1))
    assert all("score" in item and "rank_change" in item for item in items)
    day = httpx.get(
        f"{suite.gateway}/api/v1/accounts/rankings",
        params={"period": "day", "date": "2014-12-18"},
        timeout=30,
    ).json()["items"]
    lxdl = next(item for item in day if item["code"] == "lxdl")
    assert lxdl["totals"]["reads"] == 13075 and lxdl["totals"]["likes"] == 40
