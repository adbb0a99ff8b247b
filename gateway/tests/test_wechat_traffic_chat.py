"""东莞交警 in chat, end to end: signed callbacks from the demo citizens' openids, the sandbox
answering `/cgi-bin/user/info` with their unionids, the real accounts service (registry, chat
configuration and the seeded demo citizens) resolving them, and the real seeded traffic service."""

from __future__ import annotations

import itertools
import secrets
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from defusedxml.ElementTree import fromstring
from fastapi.testclient import TestClient
from sqlmodel import Session

from accounts.citizens_seed import seed_demo_citizens
from accounts.main import create_app as create_accounts_app
from accounts.registry_seed import seed_chat_config, seed_registry
from accounts.settings import AccountsSettings
from gateway.main import create_app
from gateway.settings import GatewaySettings, WechatAccount
from gateway.wechat.citizens import UNAVAILABLE
from gateway.wechat.handlers.textfit import TEXT_LIMIT_BYTES, utf8_len
from gateway.wechat.handlers.traffic import (
    ASK_BOTH,
    BOOKING_HOW,
    MAP_PATH,
    NO_MATCH,
    NOT_BOUND_POINTS,
    NOT_BOUND_VIOLATIONS,
    REVIEW_EXPLAINED,
    yuan,
)
from servicekit.demo_citizens import demo_citizen
from servicekit.settings import SharedSettings
from servicekit.testing import free_port, mint_token, serve_seeded_service
from servicekit.wechat_crypto import sign

_msg_ids = itertools.count(8_600_000_000_000_000_000)
PUBLIC_BASE = "https://gw.example.cn"


def _accounts_seed(session: Session) -> str:
    return "; ".join(
        [
            seed_registry(session=session),
            seed_chat_config(session=session),
            seed_demo_citizens(session=session),
        ]
    )


@pytest.fixture(scope="module")
def accounts_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with serve_seeded_service(
        package="accounts",
        folder=tmp_path_factory.mktemp("accounts-citizens"),
        seed=_accounts_seed,
        app_factory=lambda url: create_accounts_app(
            AccountsSettings(database_url=url, shared=SharedSettings(env="dev"))
        ),
    ) as base:
        yield base


@pytest.fixture
def closed_port_url() -> str:
    """A port nobody listens on."""
    return f"http://127.0.0.1:{free_port()}"


@pytest.fixture
def traffic(traffic_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=traffic_url, timeout=10) as client:
        yield client


@pytest.fixture
def dgjj(chat_accounts: list[WechatAccount]) -> WechatAccount:
    return next(a for a in chat_accounts if a.code == "dgjj")


def gateway_settings(
    accounts_url: str, traffic_url: str, sandbox_url: str, accounts: list[WechatAccount], **kw: Any
) -> GatewaySettings:
    return GatewaySettings(
        accounts_url=accounts_url,
        traffic_url=traffic_url,
        wechat_api_base_url=sandbox_url,
        wechat_accounts=accounts,
        public_base_url=PUBLIC_BASE,
        shared=SharedSettings(env="dev"),
        **kw,
    )


@pytest.fixture
def gateway(
    accounts_url: str,
    traffic_url: str,
    chat_sandbox_url: str,
    chat_accounts: list[WechatAccount],
) -> Iterator[TestClient]:
    settings = gateway_settings(accounts_url, traffic_url, chat_sandbox_url, chat_accounts)
    with TestClient(create_app(settings)) as client:
        yield client


class Chat:
    """Messages to 东莞交警 as WeChat posts them, from one openid."""

    def __init__(self, client: TestClient, account: WechatAccount, openid: str) -> None:
        self.client, self.account, self.openid = client, account, openid

    def _post(self, fields: dict[str, str]) -> str:
        stamp, nonce = str(int(time.time())), str(secrets.randbelow(10**10))
        query = {
            "signature": sign(self.account.token, stamp, nonce),
            "timestamp": stamp,
            "nonce": nonce,
            "openid": self.openid,
        }
        parts = {
            "ToUserName": "gh_dgjj",
            "FromUserName": self.openid,
            "CreateTime": stamp,
            **fields,
        }
        xml = "<xml>" + "".join(f"<{k}><![CDATA[{v}]]></{k}>" for k, v in parts.items()) + "</xml>"
        response = self.client.post(
            f"/wechat/{self.account.code}", params=query, content=xml.encode()
        )
        assert response.status_code == 200, response.text
        root = fromstring(response.content)
        assert root.findtext("MsgType") == "text", response.text
        assert root.findtext("ToUserName") == self.openid
        content = root.findtext("Content") or ""
        assert content.strip() and utf8_len(content) <= TEXT_LIMIT_BYTES
        return content

    def say(self, text: str) -> str:
        return self._post({"MsgType": "text", "Content": text, "MsgId": str(next(_msg_ids))})

    def click(self, key: str) -> str:
        return self._post({"MsgType": "event", "Event": "CLICK", "EventKey": key})


def as_citizen(gateway: TestClient, account: WechatAccount, who: str) -> Chat:
    """Chat as a demo citizen: their openid with the account, as the sandbox derives it."""
    return Chat(gateway, account, demo_citizen(who).openid(account.appid))


def my(traffic: httpx.Client, who: str, path: str, **params: Any) -> Any:
    """A demo citizen's own document straight from traffic (the expected answer)."""
    headers = mint_token("traffic", demo_citizen(who).citizen_id)
    answer = traffic.get(path, params=params, headers=headers)
    assert answer.status_code == 200, answer.text
    return answer.json()


# -- public lookup ---------------------------------------------------------------------------------


def test_a_vehicles_violations_with_amounts_due(
    gateway: TestClient, dgjj: WechatAccount, traffic: httpx.Client
) -> None:
    expected = traffic.get("/v1/violations", params={"plate": "粤S12345", "vin6": "123456"}).json()
    assert expected["total"] >= 3
    text = as_citizen(gateway, dgjj, "lisi").say("违章 粤S12345 123456")
    lines = text.splitlines()
    assert lines[0].startswith(f"粤S12345 近两年交通违法{expected['total']}条")
    assert f"应缴合计{yuan(expected['amount_due_fen'])}" in lines[0]
    for item in expected["items"]:
        assert item["place"] in text
        assert f"罚款{yuan(item['fine_fen'])}" in text
        if item["status"] != "paid":
            assert f"应缴{yuan(item['amount_due_fen'])}" in text


def test_a_wrong_vin_suffix_is_refused_politely_without_saying_what_was_wrong(
    gateway: TestClient, dgjj: WechatAccount
) -> None:
    chat = as_citizen(gateway, dgjj, "lisi")
    assert chat.say("违章 粤S12345 654321") == NO_MATCH
    # A plate nobody has answers the same: the refusal reveals nothing.
    assert chat.say("违章 粤S99999 123456") == NO_MATCH


def test_malformed_input_answers_the_validators_chinese_message(
    gateway: TestClient, dgjj: WechatAccount
) -> None:
    chat = as_citizen(gateway, dgjj, "lisi")
    assert chat.say("违章 粤S1234O 123456") == "号牌号码中不使用字母I和O，请核对是否为数字1或0。"
    assert chat.say("违章 粤S12345 12345") == "车架号后六位应为6位，当前为5位。"
    assert chat.say("违章 粤S12345") == ASK_BOTH


# -- personal answers ------------------------------------------------------------------------------


def test_a_bound_citizens_own_violations_by_keyword_and_menu(
    gateway: TestClient, dgjj: WechatAccount, traffic: httpx.Client
) -> None:
    expected = my(traffic, "zhangsan", "/v1/me/violations", limit=100)
    chat = as_citizen(gateway, dgjj, "zhangsan")
    text = chat.say("违章")
    assert text.startswith(f"您绑定的粤S12345及驾驶证近两年交通违法{expected['total']}条")
    assert f"应缴合计{yuan(expected['amount_due_fen'])}" in text
    assert chat.click("TRAFFIC_VIOLATIONS") == text


def test_an_unbound_citizen_is_told_how_to_query_and_bind(
    gateway: TestClient, dgjj: WechatAccount
) -> None:
    chat = as_citizen(gateway, dgjj, "lisi")
    assert chat.say("违章") == NOT_BOUND_VIOLATIONS
    assert chat.say("记分") == NOT_BOUND_POINTS
    assert chat.click("TRAFFIC_REVIEW_STUDY") == REVIEW_EXPLAINED


def test_points_of_the_bound_licence(
    gateway: TestClient, dgjj: WechatAccount, traffic: httpx.Client
) -> None:
    licence = my(traffic, "zhangsan", "/v1/me/licence")
    text = as_citizen(gateway, dgjj, "zhangsan").say("记分")
    assert f"驾驶证 {licence['licence_number']}（C1，张*）" in text
    assert f"本周期累积记分：{licence['points']}分" in text
    assert f"记分周期：{licence['cycle_start']} 至 {licence['cycle_end']}" in text


def test_a_locked_licence_says_so(gateway: TestClient, dgjj: WechatAccount) -> None:
    text = as_citizen(gateway, dgjj, "wangwu").click("TRAFFIC_POINTS")
    assert "本周期累积记分：12分" in text and "记满12分" in text and "满分学习" in text


def test_review_study_of_a_truck_driver_and_of_a_car_driver(
    gateway: TestClient, dgjj: WechatAccount, traffic: httpx.Client
) -> None:
    review = my(traffic, "wangwu", "/v1/me/review-study")
    text = as_citizen(gateway, dgjj, "wangwu").say("审验")
    assert f"已学习{review['studied_minutes']}/180分钟" in text
    assert f"请在{review['due_by']}前完成" in text
    car = as_citizen(gateway, dgjj, "zhangsan").say("审验学习")
    assert "无需审验学习" in car


def test_one_citizen_never_sees_anothers_records(gateway: TestClient, dgjj: WechatAccount) -> None:
    zhangsan, wangwu = as_citizen(gateway, dgjj, "zhangsan"), as_citizen(gateway, dgjj, "wangwu")
    for _ in range(2):  # the second round comes from the gateway's caches
        mine, theirs = zhangsan.say("违章"), wangwu.say("违章")
        assert "粤S12345" in mine and "粤SB7788" not in mine
        assert "粤SB7788" in theirs and "粤S12345" not in theirs
        mine, theirs = zhangsan.say("记分"), wangwu.say("记分")
        assert "1231（C1" in mine and "571X" not in mine
        assert "571X（B2" in theirs and "1231" not in theirs


def test_identities_are_cached(
    gateway: TestClient, dgjj: WechatAccount, chat_sandbox_url: str
) -> None:
    chat = as_citizen(gateway, dgjj, "chenxiaomei")

    def user_info_calls() -> int:
        stats = httpx.get(f"{chat_sandbox_url}/sandbox/stats").json()
        return stats["api_calls"].get("/cgi-bin/user/info", 0)

    before = user_info_calls()
    for text in ("记分", "违章", "审验"):
        chat.say(text)
    assert user_info_calls() == before + 1


def test_someone_the_platform_does_not_know_gets_a_polite_answer(
    gateway: TestClient, dgjj: WechatAccount
) -> None:
    assert Chat(gateway, dgjj, "o-not-a-sandbox-user").say("记分") == UNAVAILABLE


def test_platform_down_answers_politely_and_public_answers_still_work(
    accounts_url: str, traffic_url: str, chat_accounts: list[WechatAccount], closed_port_url: str
) -> None:
    settings = gateway_settings(accounts_url, traffic_url, closed_port_url, chat_accounts)
    with TestClient(create_app(settings)) as client:
        dgjj = next(a for a in chat_accounts if a.code == "dgjj")
        chat = as_citizen(client, dgjj, "zhangsan")
        assert chat.say("记分") == UNAVAILABLE
        assert chat.say("违章 粤S12345 123456").startswith("粤S12345 近两年交通违法")


def test_a_withdrawn_consent_hides_personal_records(
    gateway: TestClient, dgjj: WechatAccount, accounts_url: str
) -> None:
    citizen = demo_citizen("chenxiaomei").citizen_id
    headers = mint_token("accounts", citizen)
    with httpx.Client(base_url=accounts_url, headers=headers, timeout=10) as accounts:
        assert accounts.post("/v1/me/consents", json={"purpose": "traffic_records"}).is_success
        chat = as_citizen(gateway, dgjj, "chenxiaomei")
        assert chat.say("记分").startswith("驾驶证 ")
        withdrawn = accounts.delete("/v1/me/consents/traffic_records")
        assert withdrawn.is_success, withdrawn.text
    for text in ("记分", "违章", "审验"):
        answer = chat.say(text)
        assert answer.startswith("您已撤回“查询交通违法记录”的授权"), answer
    # The public lookup needs no consent: it shows a vehicle to whoever knows its VIN suffix.
    assert chat.say("违章 粤SF36999 369990").startswith("粤SF36999 近两年交通违法")


def test_consent_required_when_configured(
    accounts_url: str,
    traffic_url: str,
    chat_sandbox_url: str,
    chat_accounts: list[WechatAccount],
    dgjj: WechatAccount,
) -> None:
    settings = gateway_settings(
        accounts_url,
        traffic_url,
        chat_sandbox_url,
        chat_accounts,
        wechat_personal_consent="granted",
    )
    with TestClient(create_app(settings)) as client:
        answer = as_citizen(client, dgjj, "wangwu").say("记分")
        assert answer.startswith("查询个人记录需要您的授权")


# -- road conditions, appointments, guides ---------------------------------------------------------


def _same_snapshot(traffic: httpx.Client, ask: Any, **params: Any) -> tuple[dict, str]:
    """traffic's road conditions and the chat answer, taken within one 5-minute snapshot."""
    for _ in range(3):
        before = traffic.get("/v1/road-conditions", params={"limit": 100, **params}).json()
        answer = ask()
        after = traffic.get("/v1/road-conditions", params={"limit": 100, **params}).json()
        if before["snapshot_at"] == after["snapshot_at"]:
            return before, answer
    pytest.fail("the road-condition snapshot kept changing")


def test_road_conditions_of_the_city(
    gateway: TestClient, dgjj: WechatAccount, traffic: httpx.Client
) -> None:
    chat = as_citizen(gateway, dgjj, "lisi")
    now, text = _same_snapshot(traffic, lambda: chat.say("路况"))
    assert f"全市交通指数{now['index']:.1f}，{now['index_level']}" in text
    lines = text.splitlines()
    red = next(line for line in lines if line.startswith("红色拥堵："))
    green = next(line for line in lines if line.startswith("绿色畅通："))
    assert all(road in red for road in now["congested_roads"])
    assert all(road in green for road in now["clear_roads"])
    assert f"{PUBLIC_BASE}{MAP_PATH}" in text
    assert chat.click("TRAFFIC_ROAD_CONDITIONS").splitlines()[0].startswith("东莞路况")


def test_the_articles_weekend_question(
    gateway: TestClient, dgjj: WechatAccount, traffic: httpx.Client
) -> None:
    chat = as_citizen(gateway, dgjj, "lisi")
    now, text = _same_snapshot(traffic, lambda: chat.say("周末不想宅，哪里路不堵?"))
    assert "电子地图红色拥堵，绿色畅通" in text.splitlines()[0]
    assert "红色拥堵：" in text and "绿色畅通：" in text
    for road in now["congested_roads"] + now["clear_roads"]:
        assert road in text
    assert f"{PUBLIC_BASE}{MAP_PATH}" in text


def test_one_roads_segments(
    gateway: TestClient, dgjj: WechatAccount, traffic: httpx.Client
) -> None:
    chat = as_citizen(gateway, dgjj, "lisi")
    now, text = _same_snapshot(traffic, lambda: chat.say("路况 莞深高速"), road="莞深高速")
    for segment in now["items"]:
        assert f"莞深高速 {segment['section']}：{segment['status_text']}" in text
    unknown = chat.say("路况 不存在的路")
    assert unknown.startswith("未找到道路“不存在的路”") and "莞深高速" in unknown


def test_appointments(gateway: TestClient, dgjj: WechatAccount, traffic: httpx.Client) -> None:
    text = as_citizen(gateway, dgjj, "lisi").say("预约")
    offices = traffic.get("/v1/offices", params={"limit": 100}).json()["items"]
    businesses = traffic.get("/v1/appointment-businesses", params={"limit": 100}).json()["items"]
    assert text.startswith("车驾管业务预约（预受理）")
    assert all(b["name"] in text for b in businesses)
    first = offices[0]
    slot = traffic.get(
        f"/v1/offices/{first['code']}/slots", params={"available": "true", "limit": 1}
    ).json()["items"][0]
    assert f"{first['name']}（{first['town']}）" in text
    assert f"余{slot['remaining']}个名额" in text
    assert text.endswith(BOOKING_HOW)


def test_guides_list_one_in_full_and_menu_topics(
    gateway: TestClient, dgjj: WechatAccount, traffic: httpx.Client
) -> None:
    chat = as_citizen(gateway, dgjj, "lisi")
    licence_guides = traffic.get("/v1/guides", params={"q": "驾驶证"}).json()
    listed = chat.say("办事指南 驾驶证")
    assert listed.startswith(f"与“驾驶证”相关的办事指南共{licence_guides['total']}项")
    assert all(g["title"] in listed for g in licence_guides["items"])
    assert chat.click("TRAFFIC_GUIDE_LICENCE") == listed
    renewal = traffic.get("/v1/guides/licence-renewal").json()
    full = chat.say("办事指南 换证")
    assert full.startswith("【驾驶证期满换证】")
    assert all(m in full for m in renewal["materials"]) and renewal["hours"] in full
    assert chat.click("TRAFFIC_GUIDE_VIOLATION").startswith("【交通违法处理】")
    everything = chat.click("TRAFFIC_GUIDES")
    assert everything.startswith("办事指南共")
    assert chat.say("办事指南 火箭发射").startswith("没有找到与“火箭发射”相关的办事指南")
