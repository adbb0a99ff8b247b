"""Citizens chatting with the city's accounts through the sandbox, as they would in WeChat.

The sandbox builds, signs and encrypts each message per the account's mode and posts it to the
gateway's callback; the gateway routes it by the registry's chat configuration to the services.
Nothing here talks to the gateway's WeChat endpoint directly.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from wechat.dev import DEV_WECHAT_ACCOUNTS

pytestmark = pytest.mark.integration

CHAT_ACCOUNTS = [account["code"] for account in DEV_WECHAT_ACCOUNTS]
MENU_WAIT_SECONDS = 30
COUNT_WAIT_SECONDS = 10
# What a button's answer to 张三 must say, not only that it answers: (account, key) -> a part of it.
EXPECTED = {
    ("dgjj", "TRAFFIC_VIOLATIONS"): "您绑定的粤S12345",
    ("dgjj", "TRAFFIC_POINTS"): "驾驶证 4419**********1231",
    # His unpaid decisions with the payment page, or that none is left (other scenarios pay).
    ("dgjj", "TRAFFIC_FINE_PAYMENT"): "待缴",
    ("dgjj", "TRAFFIC_ROAD_CONDITIONS"): "东莞路况",
    ("dgjj", "TRAFFIC_APPOINTMENTS"): "车驾管业务预约",
    ("dgjj", "TRAFFIC_REVIEW_STUDY"): "审验",
    ("dgjj", "TRAFFIC_GUIDE_LICENCE"): "驾驶证",
    ("dgjj", "TRAFFIC_GUIDE_VEHICLE"): "机动车",
    ("dgjj", "TRAFFIC_GUIDE_VIOLATION"): "违法",
    ("dgjj", "TRAFFIC_GUIDES"): "办事指南",
    ("dgtq", "WEATHER_TODAY"): "东莞市",
    ("dgtq", "WEATHER_FORECAST"): "（明天）",
    # No signal in force, or the signals other scenarios issued.
    ("dgtq", "WEATHER_WARNINGS"): "预警信号",
    ("dgtq", "WEATHER_INDEX_UMBRELLA"): "雨伞指数",
    ("dgtq", "WEATHER_INDEX_OUTING"): "郊游指数",
    ("dgtq", "ACCOUNT_ARTICLES"): "[图文] 东莞天气：",
    ("dgsb", "SOCIALSEC_CONTRIBUTIONS"): "缴费明细",
    ("dgsb", "SOCIALSEC_BALANCES"): "养老保险个人账户",
    ("dgsb", "SOCIALSEC_CARD"): "制卡进度",
    ("dgsb", "SOCIALSEC_PENSION"): "养老金",
    ("dgsb", "SOCIALSEC_OFFICES"): "社保分局电话",
    ("dgsb", "SOCIALSEC_PROVIDENT_FUND"): "住房公积金",
    ("dgsb", "SOCIALSEC_FREE_BUS"): "免费乘坐公交",
    ("gxhk", "ACCOUNT_ARTICLES"): "[图文] ",
    ("gxhk", "WEATHER_TODAY"): "东莞市",
    ("gxhk", "TRAFFIC_ROAD_CONDITIONS"): "东莞路况",
    ("gxhk", "SOCIALSEC_OFFICES"): "社保分局电话",
    ("gxhk", "SOCIALSEC_PROVIDENT_FUND"): "住房公积金",
    ("gxhk", "SOCIALSEC_FREE_BUS"): "免费乘坐公交",
    ("gxhk", "GXHK_ABOUT"): "[图文] ",
    ("lxdl", "ACCOUNT_ARTICLES"): "[图文] ",
    ("lxdl", "LXDL_SOCIALSEC_PHONE"): "0769-83106399",
    ("lxdl", "LXDL_WEATHER"): "大朗镇",
    # 东莞特检's menu answers from the inspection service, no longer the seed's placeholders.
    ("dgtj", "DGTJ_QUERY"): "电梯 注册代码",
    ("dgtj", "DGTJ_GUIDE"): "【办事指南】",
    ("dgtj", "DGTJ_ABOUT"): "广东省特种设备检测研究院东莞检测院",
}


@pytest.fixture
def sandbox(suite) -> Iterator[httpx.Client]:
    """A client of the sandbox (callbacks take up to 3 x 5 s when the gateway struggles)."""
    with httpx.Client(base_url=suite.sandbox, timeout=20) as client:
        yield client


@pytest.fixture
def gateway(suite) -> Iterator[httpx.Client]:
    """A client of the gateway's public REST API."""
    with httpx.Client(base_url=suite.gateway, timeout=20) as client:
        yield client


def follow(sandbox: httpx.Client, citizen: str, account: str) -> list[dict[str, Any]]:
    """Follow the account (unfollowing first if needed); the conversation lines it added."""
    following = sandbox.get("/sandbox/citizens", params={"limit": 100}).json()["items"]
    if account in next(c for c in following if c["id"] == citizen)["following"]:
        sandbox.delete(f"/sandbox/citizens/{citizen}/follows/{account}").raise_for_status()
    seen = last_id(sandbox, citizen, account)
    sandbox.put(f"/sandbox/citizens/{citizen}/follows/{account}").raise_for_status()
    return lines_after(sandbox, citizen, account, seen)


def last_id(sandbox: httpx.Client, citizen: str, account: str) -> int:
    """The id of the conversation's latest line (0 when empty)."""
    lines = lines_after(sandbox, citizen, account, 0)
    return lines[-1]["id"] if lines else 0


def lines_after(sandbox: httpx.Client, citizen: str, account: str, after: int) -> list[dict]:
    """The conversation's lines newer than `after`."""
    answer = sandbox.get(
        f"/sandbox/citizens/{citizen}/conversations/{account}",
        params={"after": after, "limit": 100},
    )
    answer.raise_for_status()
    return answer.json()["items"]


def send(sandbox: httpx.Client, citizen: str, account: str, body: dict) -> list[dict]:
    """Send a message or click; the account's answers to it (a passive reply, or `failure`:
    WeChat's apology when the gateway gave no valid answer)."""
    answer = sandbox.post(
        f"/sandbox/citizens/{citizen}/conversations/{account}/messages", json=body
    )
    assert answer.status_code == 201, answer.text
    return [line for line in answer.json()["items"] if line["direction"] == "to_citizen"]


def followers_today(gateway: httpx.Client, account: str) -> int:
    """The registry's follower count of the account at the end of today (so far)."""
    answer = gateway.get(f"/api/v1/accounts/accounts/{account}/followers")
    assert answer.status_code == 200, answer.text
    return answer.json()["items"][-1]["followers"]


def clicks(buttons: list[dict]) -> Iterator[dict]:
    """Every CLICK button of a menu, sub-buttons included."""
    for button in buttons:
        yield from clicks(button.get("sub_button") or [])
        if button.get("type") == "click":
            yield button


def published_menu(sandbox: httpx.Client, account: str) -> list[dict]:
    """The account's menu once the gateway has published it from the registry."""
    deadline = time.monotonic() + MENU_WAIT_SECONDS
    while time.monotonic() < deadline:
        menu = sandbox.get(f"/sandbox/accounts/{account}/menu").json()
        if menu["published"]:
            return menu["button"]
        time.sleep(0.2)
    pytest.fail(f"the gateway did not publish {account}'s menu within {MENU_WAIT_SECONDS} s")


def test_a_dalang_resident_asks_for_the_social_security_phone(sandbox: httpx.Client) -> None:
    follow(sandbox, "lisi", "lxdl")
    answers = send(
        sandbox, "lisi", "lxdl", {"kind": "text", "content": "要办社保，可是不知道电话咋办。"}
    )
    assert [a["kind"] for a in answers] == ["reply"], answers
    assert "83106399" in answers[0]["summary"]


@pytest.mark.parametrize("account", CHAT_ACCOUNTS)
def test_following_an_account_welcomes_and_counts_the_follower(
    sandbox: httpx.Client, gateway: httpx.Client, account: str
) -> None:
    welcome = gateway.get(f"/api/v1/accounts/accounts/{account}/chat-config").json()["welcome_text"]
    before = followers_today(gateway, account)

    lines = follow(sandbox, "wangwu", account)

    replies = [line for line in lines if line["kind"] == "reply"]
    assert [r["content"].get("content") for r in replies] == [welcome], lines
    # The gateway tells accounts in the background, after the welcome has gone out.
    deadline = time.monotonic() + COUNT_WAIT_SECONDS
    while followers_today(gateway, account) == before and time.monotonic() < deadline:
        time.sleep(0.2)
    assert followers_today(gateway, account) == before + 1


@pytest.mark.parametrize("account", CHAT_ACCOUNTS)
def test_every_menu_button_answers(sandbox: httpx.Client, account: str) -> None:
    buttons = list(clicks(published_menu(sandbox, account)))
    follow(sandbox, "zhangsan", account)
    silent, wrong = [], []
    for button in buttons:
        answers = send(sandbox, "zhangsan", account, {"kind": "click", "key": button["key"]})
        if not answers or answers[0]["kind"] != "reply" or not answers[0]["summary"].strip():
            silent.append((button["name"], answers))
            continue
        expected = EXPECTED[(account, button["key"])]
        if expected not in answers[0]["summary"] or "即将上线" in answers[0]["summary"]:
            wrong.append((button["name"], expected, answers[0]["summary"]))
    assert not silent, silent
    assert not wrong, wrong


def test_the_weather_accounts_umbrella_and_outing_answer(
    sandbox: httpx.Client, gateway: httpx.Client
) -> None:
    follow(sandbox, "chenxiaomei", "dgtq")
    answers = send(
        sandbox, "chenxiaomei", "dgtq", {"kind": "text", "content": "会不会下雨，能不能出去玩?"}
    )
    indices = gateway.get("/api/v1/weather/indices/dongguan").json()["indices"]
    expected = {i["code"]: f"{i['name']}：{i['level']}。{i['text']}" for i in indices}
    lines = answers[0]["content"]["content"].splitlines()
    assert expected["umbrella"] in lines and expected["outing"] in lines, lines


def test_weather_of_dalang(sandbox: httpx.Client, gateway: httpx.Client) -> None:
    follow(sandbox, "lisi", "dgtq")
    answers = send(sandbox, "lisi", "dgtq", {"kind": "text", "content": "天气 大朗"})
    today = gateway.get("/api/v1/weather/forecasts/dalang").json()["days"][0]
    text = answers[0]["content"]["content"]
    assert text.startswith("大朗镇 ") and f"{today['temp_min_c']}～{today['temp_max_c']}℃" in text
