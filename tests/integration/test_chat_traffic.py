"""东莞交警 in chat through the sandbox, as a citizen would use it in WeChat.

The sandbox posts each message to the gateway's callback; the gateway asks the sandbox's
`/cgi-bin/user/info` who the openid is, accounts which citizen that unionid is, and traffic for
the answer. Nothing here talks to the gateway's WeChat endpoint directly.
"""

from __future__ import annotations

import io
from collections.abc import Iterator

import httpx
import pytest

pytestmark = pytest.mark.integration

ACCOUNT = "dgjj"


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


def follow(sandbox: httpx.Client, citizen: str) -> None:
    """Follow 东莞交警 (no-op when already following)."""
    sandbox.put(f"/sandbox/citizens/{citizen}/follows/{ACCOUNT}").raise_for_status()


def send(sandbox: httpx.Client, citizen: str, body: dict) -> list[dict]:
    """Send a message or click; the account's answers to it."""
    answer = sandbox.post(
        f"/sandbox/citizens/{citizen}/conversations/{ACCOUNT}/messages", json=body
    )
    assert answer.status_code == 201, answer.text
    return [line for line in answer.json()["items"] if line["direction"] == "to_citizen"]


def say(sandbox: httpx.Client, citizen: str, text: str) -> str:
    """The passive text reply to `text`."""
    follow(sandbox, citizen)
    answers = send(sandbox, citizen, {"kind": "text", "content": text})
    assert [a["kind"] for a in answers] == ["reply"], answers
    assert answers[0]["msgtype"] == "text", answers
    return answers[0]["content"]["content"]


def yuan(fen: int) -> str:
    whole, cents = divmod(fen, 100)
    return f"{whole}元" if cents == 0 else f"{whole}.{cents:02d}元"


def test_a_vehicles_violations_with_amounts_due(
    sandbox: httpx.Client, gateway: httpx.Client
) -> None:
    expected = gateway.get(
        "/api/v1/traffic/violations", params={"plate": "粤S12345", "vin6": "123456"}
    ).json()
    assert expected["total"] >= 1
    text = say(sandbox, "lisi", "违章 粤S12345 123456")
    assert text.startswith(f"粤S12345 近两年交通违法{expected['total']}条")
    assert f"应缴合计{yuan(expected['amount_due_fen'])}" in text
    for item in expected["items"]:
        assert item["place"] in text
        if item["status"] != "paid":
            assert f"应缴{yuan(item['amount_due_fen'])}" in text


def test_the_articles_weekend_question_answers_red_and_green_roads(
    sandbox: httpx.Client, gateway: httpx.Client
) -> None:
    text = say(sandbox, "chenxiaomei", "周末不想宅，哪里路不堵?")
    now = gateway.get("/api/v1/traffic/road-conditions", params={"limit": 1}).json()
    lines = text.splitlines()
    assert "红色拥堵，绿色畅通" in lines[0]
    assert any(line.startswith("红色拥堵：") for line in lines), text
    assert any(line.startswith("绿色畅通：") for line in lines), text
    assert "/api/v1/traffic/road-conditions/map.png" in text
    # The snapshot may have moved on between the two reads; its roads still answer by name.
    roads = set(now["congested_roads"]) | set(now["clear_roads"])
    assert any(road in text for road in roads) or not roads


def test_a_wrong_vin_suffix_answers_a_polite_refusal(sandbox: httpx.Client) -> None:
    text = say(sandbox, "wangwu", "违章 粤S12345 654321")
    assert text.startswith("未查询到与该号牌号码和车架号后六位相符的机动车")
    # The same answer for a plate that does not exist: nothing is revealed.
    assert say(sandbox, "wangwu", "违章 粤S99999 123456") == text


def test_zhangsan_asks_for_his_points(sandbox: httpx.Client) -> None:
    text = say(sandbox, "zhangsan", "记分")
    assert text.startswith("驾驶证 4419**********1231（C1，张*）"), text
    assert "本周期累积记分：" in text and "状态：" in text


def test_an_unbound_citizen_is_told_how_to_bind(sandbox: httpx.Client) -> None:
    text = say(sandbox, "lisi", "记分")
    assert text.startswith("您还没有绑定驾驶证") and "档案编号" in text


def test_the_road_map_through_the_gateway_is_a_png_coloured_by_status(suite) -> None:
    from PIL import Image

    response = httpx.get(f"{suite.gateway}/api/v1/traffic/road-conditions/map.png", timeout=30)
    assert response.status_code == 200 and response.headers["content-type"] == "image/png"
    conditions = httpx.get(
        f"{suite.gateway}/api/v1/traffic/road-conditions", params={"limit": 100}
    ).json()
    statuses = {segment["status"] for segment in conditions["items"]}
    image = Image.open(io.BytesIO(response.content)).convert("RGB")
    colours = {colour for _count, colour in image.getcolors(maxcolors=1 << 20)}
    # 畅通 green whenever any segment is clear; 拥堵 red whenever any is congested.
    if 1 in statuses:
        assert (0x2E, 0x9E, 0x44) in colours
    if 3 in statuses:
        assert (0xD9, 0x30, 0x25) in colours
    assert statuses & {1, 3}
