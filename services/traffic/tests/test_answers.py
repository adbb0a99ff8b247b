"""`/v1/internal/answers`: 东莞交警's chat answers as the gateway asks for them (service token,
and the chatting citizen's token when it identified them)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from servicekit.answers import CITIZEN_HEADER
from servicekit.money import yuan_text
from servicekit.testing import mint_token, service_headers
from traffic.answers.texts import (
    ASK_BOTH,
    BOOKING_HOW,
    NO_MATCH,
    NOT_BOUND_POINTS,
    NOT_BOUND_VIOLATIONS,
    REVIEW_EXPLAINED,
)
from traffic.population import DEMO_PEOPLE

Headers = Callable[[str], dict[str, str]]


def gateway() -> dict[str, str]:
    """Headers with a fresh gateway service token (internal tokens live 60 s)."""
    return service_headers("gateway", "traffic")


PUBLIC_BASE = "https://gw.example.cn"
MAP = f"{PUBLIC_BASE}/api/v1/traffic/road-conditions/map.png"
PEOPLE = {p.citizen.id: p for p in DEMO_PEOPLE}


def ask(
    client: TestClient,
    name: str,
    text: str = "",
    *,
    citizen: str | None = None,
    **fields: Any,
) -> dict[str, Any]:
    """The answer of intent `name`, asked as the gateway asks (for `citizen`, a demo key)."""
    headers = gateway()
    if citizen is not None:
        headers[CITIZEN_HEADER] = mint_token("traffic", PEOPLE[citizen].citizen.citizen_id)[
            "Authorization"
        ]
    body = {"account": "dgjj", "text": text, "public_base_url": PUBLIC_BASE, **fields}
    response = client.post(f"/v1/internal/answers/{name}", json=body, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def text_of(client: TestClient, name: str, text: str = "", **kw: Any) -> str:
    answer = ask(client, name, text, **kw)
    assert not answer["needs_citizen"] and answer["text"], answer
    return str(answer["text"])


# -- the contract ---------------------------------------------------------------------------------


@pytest.mark.slow
def test_only_the_gateway_may_ask(client: TestClient, headers_of: Headers) -> None:
    body = {"account": "dgjj", "text": "路况"}
    path = "/v1/internal/answers/road_conditions"
    assert client.post(path, json=body).status_code == 401
    assert client.post(path, json=body, headers=headers_of("zhangsan")).status_code == 403
    other = service_headers("accounts", "traffic")
    assert client.post(path, json=body, headers=other).status_code == 403
    assert client.get("/v1/internal/answers", headers=other).status_code == 403
    assert client.post(path, json=body, headers=gateway()).status_code == 200


def test_the_catalogue_names_what_traffic_answers(client: TestClient) -> None:
    response = client.get("/v1/internal/answers", headers=gateway())
    assert response.status_code == 200, response.text
    assert response.json() == {
        "service": "traffic",
        "intents": [
            {"name": "appointments", "citizen": "none"},
            {"name": "fine_payment", "citizen": "required"},
            {"name": "guides", "citizen": "none"},
            {"name": "points", "citizen": "required"},
            {"name": "review_study", "citizen": "required"},
            {"name": "road_conditions", "citizen": "none"},
            {"name": "violations", "citizen": "optional"},
        ],
    }


@pytest.mark.parametrize("name", ["parking", "weather"])
def test_an_intent_not_served_is_a_404_problem(client: TestClient, name: str) -> None:
    response = client.post(
        f"/v1/internal/answers/{name}", json={"account": "dgjj"}, headers=gateway()
    )
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert name in response.json()["detail"]


def test_a_bad_citizen_token_is_refused(client: TestClient) -> None:
    elsewhere = mint_token("socialsec", PEOPLE["zhangsan"].citizen.citizen_id)["Authorization"]
    response = client.post(
        "/v1/internal/answers/points",
        json={"account": "dgjj", "text": "记分"},
        headers={**gateway(), CITIZEN_HEADER: elsewhere},
    )
    assert response.status_code == 401


# -- violations -----------------------------------------------------------------------------------


def test_a_vehicles_violations_with_amounts_due(client: TestClient) -> None:
    expected = client.get("/v1/violations", params={"plate": "粤S12345", "vin6": "123456"}).json()
    assert expected["total"] >= 3
    answer = ask(client, "violations", "违章 粤S12345 123456")
    assert not answer["personal"] and not answer["needs_citizen"]
    lines = answer["text"].splitlines()
    assert lines[0].startswith(f"粤S12345 近两年交通违法{expected['total']}条")
    assert f"应缴合计{yuan_text(expected['amount_due_fen'])}" in lines[0]
    for item in expected["items"]:
        assert item["place"] in answer["text"]
        assert f"罚款{yuan_text(item['fine_fen'])}" in answer["text"]
        if item["status"] != "paid":
            assert f"应缴{yuan_text(item['amount_due_fen'])}" in answer["text"]
    # The lookup needs nobody: a citizen's token changes nothing in it.
    assert ask(client, "violations", "违章 粤s12345 123456", citizen="lisi") == answer


def test_a_wrong_vin_suffix_is_refused_without_saying_what_was_wrong(client: TestClient) -> None:
    assert text_of(client, "violations", "违章 粤S12345 654321") == NO_MATCH
    # A plate nobody has answers the same: the refusal reveals nothing.
    assert text_of(client, "violations", "违章 粤S99999 123456") == NO_MATCH


def test_malformed_input_answers_the_validators_chinese_message(client: TestClient) -> None:
    plate = text_of(client, "violations", "违章 粤S1234O 123456")
    assert plate == "号牌号码中不使用字母I和O，请核对是否为数字1或0。"
    assert (
        text_of(client, "violations", "违章 粤S12345 12345") == "车架号后六位应为6位，当前为5位。"
    )
    assert text_of(client, "violations", "违章 粤S12345") == ASK_BOTH


def test_own_violations_need_the_citizen(client: TestClient) -> None:
    asked = (("violations", "违章"), ("points", "记分"), ("review_study", "审验"))
    for name, text in (*asked, ("fine_payment", "交罚款")):
        answer = ask(client, name, text)
        assert answer["needs_citizen"] and not answer["text"], answer


def test_a_bound_citizens_own_violations_by_keyword_and_menu(
    client: TestClient, headers_of: Headers
) -> None:
    expected = client.get(
        "/v1/me/violations", params={"limit": 100}, headers=headers_of("zhangsan")
    ).json()
    answer = ask(client, "violations", "违章", citizen="zhangsan")
    assert answer["personal"]
    text = answer["text"]
    assert text.startswith(f"您绑定的粤S12345及驾驶证近两年交通违法{expected['total']}条")
    assert f"应缴合计{yuan_text(expected['amount_due_fen'])}" in text
    assert all(f"粤S12345 {item['occurred_at'][:10]}" in text for item in expected["items"])
    # The menu's key is no plate: a click shows the citizen's own records.
    clicked = ask(client, "violations", "TRAFFIC_VIOLATIONS", menu_click=True, citizen="zhangsan")
    assert clicked["text"] == text


def test_one_citizen_never_sees_anothers_records(client: TestClient) -> None:
    mine = text_of(client, "violations", "违章", citizen="zhangsan")
    theirs = text_of(client, "violations", "违章", citizen="wangwu")
    assert "粤S12345" in mine and "粤SB7788" not in mine
    assert "粤SB7788" in theirs and "粤S12345" not in theirs
    mine, theirs = (text_of(client, "points", citizen=who) for who in ("zhangsan", "wangwu"))
    assert "1231（C1" in mine and "571X" not in mine
    assert "571X（B2" in theirs and "1231" not in theirs


def test_an_unbound_citizen_is_told_how_to_query_and_bind(client: TestClient) -> None:
    for name, expected in (
        ("violations", NOT_BOUND_VIOLATIONS),
        ("points", NOT_BOUND_POINTS),
        ("review_study", REVIEW_EXPLAINED),
    ):
        answer = ask(client, name, citizen="lisi", menu_click=True)
        assert (answer["text"], answer["personal"]) == (expected, True)


# -- points and review study ----------------------------------------------------------------------


def test_points_of_the_bound_licence_masked(client: TestClient, headers_of: Headers) -> None:
    licence = client.get("/v1/me/licence", headers=headers_of("zhangsan")).json()
    answer = ask(client, "points", "记分", citizen="zhangsan")
    assert answer["personal"]
    text = answer["text"]
    assert text.splitlines()[0] == "驾驶证 4419**********1231（C1，张*）"
    assert PEOPLE["zhangsan"].citizen.id_number not in text and "张三" not in text
    assert f"本周期累积记分：{licence['points']}分" in text
    assert f"记分周期：{licence['cycle_start']} 至 {licence['cycle_end']}" in text


def test_a_locked_licence_says_so(client: TestClient) -> None:
    text = text_of(client, "points", "TRAFFIC_POINTS", menu_click=True, citizen="wangwu")
    assert "本周期累积记分：12分" in text and "记满12分" in text and "满分学习" in text


def test_review_study_of_a_truck_driver_and_of_a_car_driver(
    client: TestClient, headers_of: Headers
) -> None:
    review = client.get("/v1/me/review-study", headers=headers_of("wangwu")).json()
    text = text_of(client, "review_study", "审验", citizen="wangwu")
    assert f"已学习{review['studied_minutes']}/180分钟" in text
    assert f"请在{review['due_by']}前完成" in text
    assert "无需审验学习" in text_of(client, "review_study", "审验学习", citizen="zhangsan")


# -- road conditions, appointments, guides --------------------------------------------------------


def test_road_conditions_of_the_city(client: TestClient) -> None:
    now = client.get("/v1/road-conditions", params={"limit": 100}).json()
    text = text_of(client, "road_conditions", "路况")
    assert f"全市交通指数{now['index']:.1f}，{now['index_level']}" in text
    lines = text.splitlines()
    red = next(line for line in lines if line.startswith("红色拥堵："))
    green = next(line for line in lines if line.startswith("绿色畅通："))
    assert all(road in red for road in now["congested_roads"])
    assert all(road in green for road in now["clear_roads"])
    assert f"路况地图（红色拥堵，绿色畅通）：{MAP}" in lines
    clicked = text_of(client, "road_conditions", "TRAFFIC_ROAD_CONDITIONS", menu_click=True)
    assert clicked == text
    assert MAP not in text_of(client, "road_conditions", "路况", public_base_url="")


def test_the_articles_weekend_question(client: TestClient) -> None:
    now = client.get("/v1/road-conditions", params={"limit": 100}).json()
    text = text_of(client, "road_conditions", "周末不想宅，哪里路不堵?")
    assert "电子地图红色拥堵，绿色畅通" in text.splitlines()[0]
    for road in now["congested_roads"] + now["clear_roads"]:
        assert road in text


def test_one_roads_segments(client: TestClient) -> None:
    now = client.get("/v1/road-conditions", params={"road": "莞深高速", "limit": 100}).json()
    text = text_of(client, "road_conditions", "路况 莞深高速")
    assert text.startswith("莞深高速 路况（")
    for segment in now["items"]:
        assert f"莞深高速 {segment['section']}：{segment['status_text']}" in text
    unknown = text_of(client, "road_conditions", "路况 不存在的路")
    assert unknown.startswith("未找到道路“不存在的路”") and "莞深高速" in unknown


def test_appointments(client: TestClient) -> None:
    text = text_of(client, "appointments", "预约")
    offices = client.get("/v1/offices", params={"limit": 100}).json()["items"]
    businesses = client.get("/v1/appointment-businesses", params={"limit": 100}).json()["items"]
    assert text.startswith("车驾管业务预约（预受理）")
    assert all(b["name"] in text for b in businesses)
    first = offices[0]
    slot = client.get(
        f"/v1/offices/{first['code']}/slots", params={"available": "true", "limit": 1}
    ).json()["items"][0]
    assert f"1. {first['name']}（{first['town']}）：" in text
    assert (
        f"{slot['starts_at'][11:16]}-{slot['ends_at'][11:16]}，余{slot['remaining']}个名额" in text
    )
    assert text.endswith(BOOKING_HOW)


def test_guides_list_one_in_full_and_menu_topics(client: TestClient) -> None:
    licence_guides = client.get("/v1/guides", params={"q": "驾驶证"}).json()
    listed = text_of(client, "guides", "办事指南 驾驶证")
    assert listed.startswith(f"与“驾驶证”相关的办事指南共{licence_guides['total']}项")
    assert all(g["title"] in listed for g in licence_guides["items"])
    by_menu = text_of(client, "guides", "TRAFFIC_GUIDE_LICENCE", menu_click=True,
                      params={"topic": "驾驶证"})  # fmt: skip
    assert by_menu == listed
    renewal = client.get("/v1/guides/licence-renewal").json()
    full = text_of(client, "guides", "办事指南 换证")
    assert full.startswith("【驾驶证期满换证】")
    assert all(m in full for m in renewal["materials"]) and renewal["hours"] in full
    assert text_of(client, "guides", "TRAFFIC_GUIDES", menu_click=True).startswith("办事指南共")
    nothing = text_of(client, "guides", "办事指南 火箭发射")
    assert nothing.startswith("没有找到与“火箭发射”相关的办事指南")
