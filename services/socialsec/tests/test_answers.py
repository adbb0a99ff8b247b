"""东莞社保's chat answers at `/v1/internal/answers`: the gateway's token, the catalogue, and each
intent's text for the demo citizens, masked and written to the access log like `/v1/me`."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from servicekit.money import yuan_text
from servicekit.testing import mint_token, service_headers
from socialsec.answers.texts import (
    ASK_TOWN,
    BIND_TO_SEE_MINE,
    ID_IN_CHAT,
    MENU,
    NOT_BOUND,
)
from socialsec.population import DEMO_PEOPLE

Headers = Callable[[str], dict[str, str]]
CITIZENS = {p.citizen.id: p.citizen_id for p in DEMO_PEOPLE if p.citizen_id}


def gateway() -> dict[str, str]:
    """Headers with a fresh gateway service token (internal tokens live 60 s)."""
    return service_headers("gateway", "socialsec")


# ANCHOR is 2026-06-15: the six whole months before it.
PERIOD = {"from": "2025-12", "to": "2026-05"}
PERSONAL = {"contributions", "balances", "card", "pension"}


def ask(
    client: TestClient,
    intent: str,
    text: str = "",
    *,
    who: str | None = None,
    status: int = 200,
    **params: str,
) -> dict[str, Any]:
    """The answer of `intent` to `text`, asked by the gateway for citizen `who` (or nobody)."""
    headers = gateway()
    if who is not None:
        token = mint_token("socialsec", CITIZENS.get(who, who))["Authorization"]
        headers["X-Citizen-Authorization"] = token
    response = client.post(
        f"/v1/internal/answers/{intent}",
        json={"account": "dgsb", "text": text, "params": params},
        headers=headers,
    )
    assert response.status_code == status, response.text
    body = response.json()
    if status == 200:
        assert_masked(body["text"])
    return body


def assert_masked(text: str) -> None:
    """No demo person's full name, ID number or card number in `text`."""
    for person in DEMO_PEOPLE:
        for secret in (person.citizen.name, person.citizen.id_number, person.card.number):
            assert secret not in text, f"{person.citizen.id}'s unmasked identifier leaked"


@pytest.mark.slow
def test_only_the_gateway_may_ask(client: TestClient, headers_of: Headers) -> None:
    body = {"account": "dgsb", "text": "社保电话 大朗"}
    path = "/v1/internal/answers/office_phone"
    assert client.post(path, json=body).status_code == 401
    assert client.get("/v1/internal/answers").status_code == 401
    for headers in (headers_of("zhangsan"), service_headers("accounts", "socialsec")):
        assert client.post(path, json=body, headers=headers).status_code == 403
        assert client.get("/v1/internal/answers", headers=headers).status_code == 403
    bad = {**gateway(), "X-Citizen-Authorization": "Bearer not-a-token"}
    assert client.post(path, json=body, headers=bad).status_code == 401


def test_the_catalogue(client: TestClient) -> None:
    assert client.get("/v1/internal/answers", headers=gateway()).json() == {
        "service": "socialsec",
        "intents": [
            {"name": "eligibility", "citizen": "optional"},
            {"name": "enquiry", "citizen": "optional"},
            {"name": "office_phone", "citizen": "none"},
        ],
    }


@pytest.mark.slow
def test_an_intent_not_served_is_a_404_problem(client: TestClient) -> None:
    body = ask(client, "weather", "天气", status=404)
    assert "weather" in body["detail"]


def test_office_phones(client: TestClient) -> None:
    dalang = ask(client, "office_phone", "社保电话 大朗")
    assert dalang["text"].startswith("大朗镇社保分局电话：0769-83106399\n办公时间：")
    assert not dalang["personal"] and not dalang["needs_citizen"]
    assert ask(client, "office_phone", "要办社保，可是不知道电话咋办。", town="dalang") == dalang
    # The town's full name finds it as well as its short one.
    assert ask(client, "office_phone", "社保电话 大朗镇")["text"] == dalang["text"]
    for text, params in (("SOCIALSEC_OFFICES", {}), ("社保电话", {}), ("", {"town": "nowhere"})):
        assert ask(client, "office_phone", text, **params)["text"] == ASK_TOWN


def test_a_bound_citizens_contributions_masked(client: TestClient, headers_of: Headers) -> None:
    mine = headers_of("zhangsan")
    summary = client.get("/v1/me/contributions/summary", params=PERIOD, headers=mine).json()
    rows = client.get("/v1/me/contributions", params={**PERIOD, "limit": 100}, headers=mine).json()[
        "items"
    ]
    answer = ask(client, "enquiry", "缴费", who="zhangsan", topic="contributions")
    assert answer["personal"] and not answer["needs_citizen"]
    text = answer["text"]
    lines = text.splitlines()
    assert lines[0] == "张*（441***********1231）2025-12至2026-05缴费明细（在职参保）："
    months = [line.split(" ")[0] for line in lines[1:] if line[:4].isdigit()]
    assert months == sorted({r["month"] for r in rows}, reverse=True)
    for month in months:
        theirs = [r for r in rows if r["month"] == month]
        employee = yuan_text(sum(r["employee_fen"] for r in theirs))
        employer = yuan_text(sum(r["employer_fen"] for r in theirs))
        status = "欠缴" if theirs[0]["status"] == "owed" else "已缴"
        assert f"{month} {status}：个人{employee}，单位{employer}" in lines
    totals = summary["totals"]
    assert f"合计：已缴{totals['months_paid']}个月 {yuan_text(totals['paid_fen'])}" in text
    owed = sorted({r["month"] for r in rows if r["status"] == "owed"})
    assert not owed or f"⚠欠缴月份：{'、'.join(owed)}" in text
    assert f"已连续缴费{summary['continuous_months']}个月" in text
    assert "南城云帆" in text and "虎门服装" not in text


def test_card_progress_balances_and_pension(client: TestClient, headers_of: Headers) -> None:
    card = client.get("/v1/me/card", headers=headers_of("chenxiaomei")).json()
    text = ask(client, "enquiry", "社保卡", who="chenxiaomei", topic="card")["text"]
    assert text.startswith(f"社保卡 {card['card_number']}（中国银行）\n卡状态：正常\n制卡进度：")
    assert card["card_number"] == "*****0808"
    for step in card["progress"]:
        assert f"· {step['at'][:10]} {step['stage_text']}" in text
    lost = ask(client, "enquiry", "社保卡", who="wangwu", topic="card")["text"]
    assert "卡状态：挂失" in lost and "已挂失" in lost
    accounts = client.get("/v1/me/accounts", headers=headers_of("zhangsan")).json()["items"]
    balances = ask(client, "enquiry", "余额", who="zhangsan", topic="balances")["text"]
    for account in accounts:
        balance = yuan_text(account["balance_fen"])
        assert f"{account['name']}：{balance}（截至{account['as_of']}）" in balances
    pension = ask(client, "enquiry", "养老金", who="chenxiaomei", topic="pension")["text"]
    assert pension.startswith("陈**，您的参保状态为“在职参保”，尚未办理退休，暂无养老金发放记录。")


def test_rules_with_each_citizens_own_result(client: TestClient) -> None:
    rules = {r["rule"]: r for r in client.get("/v1/eligibility/rules").json()["items"]}
    fund = rules["provident_fund_withdrawal"]["description"]
    zhangsan = ask(client, "eligibility", "公积金", who="zhangsan", rule="provident_fund")
    assert zhangsan["personal"]
    assert zhangsan["text"].splitlines()[:2] == ["【使用社保卡提取住房公积金】", fund]
    assert "您的情况：可以。" in zhangsan["text"]
    bus = ask(client, "eligibility", "老人免费乘车", who="wangwu", rule="free_bus")["text"]
    assert bus.splitlines()[:2] == [
        "【非东莞户籍老年人免费乘坐公交】",
        rules["elderly_free_bus"]["description"],
    ]
    assert "√ 非东莞户籍。" in bus and "√ 持有东莞居住证。" in bus
    unbound = ask(client, "eligibility", "公积金", who="lisi", rule="provident_fund")
    assert unbound == {
        "text": f"【使用社保卡提取住房公积金】\n{fund}\n{BIND_TO_SEE_MINE}",
        "articles": [],
        "links": [],
        "personal": False,
        "needs_citizen": False,
    }


def test_without_a_citizen_personal_answers_need_one(client: TestClient) -> None:
    for topic in PERSONAL:
        answer = ask(client, "enquiry", "缴费", topic=topic)
        assert answer["needs_citizen"] and answer["text"] == "" and not answer["personal"]
    fund = ask(client, "eligibility", "公积金", rule="provident_fund")
    # The rule alone: the gateway adds why it could not tell who is asking.
    assert fund["needs_citizen"] and not fund["personal"]
    assert (
        fund["text"].startswith("【使用社保卡提取住房公积金】\n") and "您的情况" not in fund["text"]
    )
    assert ask(client, "enquiry", "社保查询")["text"] == MENU


def test_an_unbound_citizen_is_told_how_to_bind(client: TestClient) -> None:
    for topic in PERSONAL:
        answer = ask(client, "enquiry", "社保卡", who="lisi", topic=topic)
        assert answer["text"] == NOT_BOUND and not answer["personal"]
    assert ask(client, "enquiry", "我要查社保", who="lisi")["text"] == MENU


def test_an_id_number_typed_in_is_never_used_or_echoed(client: TestClient) -> None:
    lisi = next(p for p in DEMO_PEOPLE if p.citizen.id == "lisi")
    for text in (
        f"社保卡 {lisi.citizen.id_number}",
        f"缴费 李四 {lisi.citizen.id_number} {lisi.card.number}",
    ):
        for who in ("lisi", "zhangsan", None):
            answer = ask(client, "enquiry", text, who=who, topic="card")
            assert answer["text"] == ID_IN_CHAT and not answer["personal"]
    fund = ask(client, "eligibility", f"公积金 {lisi.citizen.id_number}", who="zhangsan")
    assert fund["text"] == ID_IN_CHAT


def test_every_read_is_in_the_citizens_access_log(client: TestClient, headers_of: Headers) -> None:
    ask(client, "enquiry", "缴费", who="zhangsan", topic="contributions")
    ask(client, "enquiry", "社保卡", who="zhangsan", topic="card")
    log = client.get("/v1/me/access-log", params={"limit": 4}, headers=headers_of("zhangsan"))
    items = log.json()["items"]
    assert [i["resource"] for i in items][:1] == ["card"]
    assert {i["resource"] for i in items[1:]} == {
        "profile",
        "contributions",
        "contribution_summary",
    }
    assert {i["detail"] for i in items if i["resource"].startswith("contribution")} == {
        "2025-12至2026-05 全部险种"
    }
    assert all(i["request_id"] for i in items)


@pytest.mark.slow
def test_no_personal_data_in_the_logs(
    client: TestClient, caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]
) -> None:
    caplog.set_level(logging.DEBUG)
    capfd.readouterr()
    for who in ("zhangsan", "chenxiaomei", "wangwu", "lisi"):
        for topic in PERSONAL:
            ask(client, "enquiry", "查询", who=who, topic=topic)
        for rule in ("provident_fund", "free_bus"):
            ask(client, "eligibility", "查询", who=who, rule=rule)
    lisi = next(p for p in DEMO_PEOPLE if p.citizen.id == "lisi")
    ask(client, "enquiry", f"社保卡 {lisi.citizen.id_number}", who="lisi", topic="card")
    written = capfd.readouterr()
    logged = "\n".join(
        [*(f"{r.getMessage()} {vars(r)}" for r in caplog.records), written.out, written.err]
    )
    assert "/v1/internal/answers/enquiry" in logged
    assert_masked(logged)
