"""东莞社保 in chat, end to end: signed callbacks from the demo citizens' openids, the sandbox
answering `/cgi-bin/user/info` with their unionids, the real accounts service (registry, chat
configuration and the seeded demo citizens) resolving them, and the real seeded socialsec
service answering with each citizen's own bound record, masked."""

from __future__ import annotations

import itertools
import logging
import secrets
import time
from collections.abc import Iterator
from datetime import datetime
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
from gateway.wechat.handlers.socialsec import (
    ASK_TOWN,
    BIND_TO_SEE_MINE,
    HOW_TO_BIND,
    ID_IN_CHAT,
    MENU,
    NOT_BOUND,
    SHANGHAI,
    recent_months,
    yuan,
)
from gateway.wechat.handlers.textfit import TEXT_LIMIT_BYTES, utf8_len
from servicekit.demo_citizens import demo_citizen
from servicekit.settings import SharedSettings
from servicekit.testing import free_port, mint_token, serve_seeded_service
from servicekit.wechat_crypto import sign
from socialsec.main import create_app as create_socialsec_app
from socialsec.population import DEMO_PEOPLE
from socialsec.seed import seed as seed_socialsec
from socialsec.settings import SocialsecSettings

_msg_ids = itertools.count(8_700_000_000_000_000_000)
PERSONAL_KEYWORDS = ("缴费", "余额", "社保卡", "养老金")


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
        folder=tmp_path_factory.mktemp("accounts-socialsec-chat"),
        seed=_accounts_seed,
        app_factory=lambda url: create_accounts_app(
            AccountsSettings(database_url=url, shared=SharedSettings(env="dev"))
        ),
    ) as base:
        yield base


@pytest.fixture(scope="module")
def socialsec_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with serve_seeded_service(
        package="socialsec",
        folder=tmp_path_factory.mktemp("socialsec-chat"),
        seed=seed_socialsec,
        app_factory=lambda url: create_socialsec_app(
            SocialsecSettings(database_url=url, shared=SharedSettings(env="dev"))
        ),
    ) as base:
        yield base


@pytest.fixture
def socialsec(socialsec_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=socialsec_url, timeout=10) as client:
        yield client


@pytest.fixture
def dgsb(chat_accounts: list[WechatAccount]) -> WechatAccount:
    return next(a for a in chat_accounts if a.code == "dgsb")


def gateway_settings(
    accounts_url: str, socialsec_url: str, sandbox_url: str, accounts: list[WechatAccount]
) -> GatewaySettings:
    return GatewaySettings(
        accounts_url=accounts_url,
        socialsec_url=socialsec_url,
        wechat_api_base_url=sandbox_url,
        wechat_accounts=accounts,
        shared=SharedSettings(env="dev"),
    )


@pytest.fixture
def gateway(
    accounts_url: str,
    socialsec_url: str,
    chat_sandbox_url: str,
    chat_accounts: list[WechatAccount],
) -> Iterator[TestClient]:
    settings = gateway_settings(accounts_url, socialsec_url, chat_sandbox_url, chat_accounts)
    with TestClient(create_app(settings)) as client:
        yield client


class Chat:
    """Messages to one account as WeChat posts them, from one openid."""

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
            "ToUserName": f"gh_{self.account.code}",
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
        assert_masked(content)
        return content

    def say(self, text: str) -> str:
        return self._post({"MsgType": "text", "Content": text, "MsgId": str(next(_msg_ids))})

    def click(self, key: str) -> str:
        return self._post({"MsgType": "event", "Event": "CLICK", "EventKey": key})


def assert_masked(text: str, *, typed: str = "") -> None:
    """No demo person's full name, ID number, card number or bank account in `text`."""
    for person in DEMO_PEOPLE:
        for secret in (person.name, person.id_number, person.card_number):
            assert secret not in text, f"{person.key}'s unmasked identifier leaked"
    assert not typed or typed not in text


def as_citizen(gateway: TestClient, account: WechatAccount, who: str) -> Chat:
    """Chat as a demo citizen: their openid with the account, as the sandbox derives it."""
    return Chat(gateway, account, demo_citizen(who).openid(account.appid))


def my(socialsec: httpx.Client, who: str, path: str, **params: Any) -> Any:
    """A demo citizen's own document straight from socialsec (the expected answer)."""
    headers = mint_token("socialsec", demo_citizen(who).citizen_id)
    answer = socialsec.get(path, params=params, headers=headers)
    assert answer.status_code == 200, answer.text
    return answer.json()


def rule_text(socialsec: httpx.Client, rule: str) -> str:
    items = socialsec.get("/v1/eligibility/rules").json()["items"]
    return next(r["description"] for r in items if r["rule"] == rule)


def this_period() -> dict[str, str]:
    first, last = recent_months(datetime.now(SHANGHAI).date())
    return {"from": first, "to": last}


# -- contributions ---------------------------------------------------------------------------------


def test_contributions_of_the_last_six_months_by_keyword_and_menu(
    gateway: TestClient, dgsb: WechatAccount, socialsec: httpx.Client
) -> None:
    period = this_period()
    summary = my(socialsec, "zhangsan", "/v1/me/contributions/summary", **period)
    rows = my(socialsec, "zhangsan", "/v1/me/contributions", limit=100, **period)["items"]
    chat = as_citizen(gateway, dgsb, "zhangsan")
    text = chat.say("缴费")
    lines = text.splitlines()
    assert lines[0] == (
        f"张*（441***********1231）{period['from']}至{period['to']}缴费明细（在职参保）："
    )
    # Every month, newest first, with the parts added up over the insurances.
    months = [line.split(" ")[0] for line in lines[1:] if line[:4].isdigit()]
    assert months == sorted({r["month"] for r in rows}, reverse=True)
    for month in months:
        mine = [r for r in rows if r["month"] == month]
        employee = yuan(sum(r["employee_fen"] for r in mine))
        employer = yuan(sum(r["employer_fen"] for r in mine))
        status = "欠缴" if mine[0]["status"] == "owed" else "已缴"
        assert f"{month} {status}：个人{employee}，单位{employer}" in lines
    totals = summary["totals"]
    assert totals["months_owed"] == 2  # the README's zhangsan: a new employer two months behind
    assert (
        f"合计：已缴{totals['months_paid']}个月 {yuan(totals['paid_fen'])}，"
        f"欠缴{totals['months_owed']}个月 {yuan(totals['owed_fen'])}"
    ) in text
    owed = sorted({r["month"] for r in rows if r["status"] == "owed"})
    assert f"⚠欠缴月份：{'、'.join(owed)}" in text
    assert f"已连续缴费{summary['continuous_months']}个月" in text
    assert chat.click("SOCIALSEC_CONTRIBUTIONS") == text


# -- card, balances, pension -----------------------------------------------------------------------


def test_card_making_progress_of_a_card_waiting_at_humen(
    gateway: TestClient, dgsb: WechatAccount, socialsec: httpx.Client
) -> None:
    card = my(socialsec, "chenxiaomei", "/v1/me/card")
    chat = as_citizen(gateway, dgsb, "chenxiaomei")
    text = chat.say("社保卡")
    assert text.startswith(
        f"社保卡 {card['card_number']}（中国银行）\n卡状态：正常\n制卡进度：待领取"
    )
    for step in card["progress"]:
        day = step["at"][:10]
        assert f"· {day} {step['stage_text']}" in text
    assert "已到达虎门社保分局，待领取" in text
    assert "社保卡已到达虎门镇社保分局，请本人携带身份证原件前往领取" in text
    assert chat.click("SOCIALSEC_CARD") == text
    assert chat.say("我的社保卡办好了没有") == text


def test_a_lost_card_being_replaced(gateway: TestClient, dgsb: WechatAccount) -> None:
    text = as_citizen(gateway, dgsb, "wangwu").say("社保卡")
    assert "卡状态：挂失" in text and "制卡进度：制卡中" in text and "已挂失" in text


def test_account_balances(
    gateway: TestClient, dgsb: WechatAccount, socialsec: httpx.Client
) -> None:
    accounts = my(socialsec, "zhangsan", "/v1/me/accounts")["items"]
    chat = as_citizen(gateway, dgsb, "zhangsan")
    text = chat.say("余额")
    for account in accounts:
        assert (
            f"{account['name']}：{yuan(account['balance_fen'])}（截至{account['as_of']}）" in text
        )
    assert chat.click("SOCIALSEC_BALANCES") == text


def test_pension_of_someone_still_working(gateway: TestClient, dgsb: WechatAccount) -> None:
    chat = as_citizen(gateway, dgsb, "chenxiaomei")
    text = chat.say("养老金")
    assert text.startswith("陈**，您的参保状态为“在职参保”，尚未办理退休，暂无养老金发放记录。")
    assert chat.click("SOCIALSEC_PENSION") == text


# -- rules -----------------------------------------------------------------------------------------


def test_provident_fund_rule_with_each_citizens_own_result(
    gateway: TestClient, dgsb: WechatAccount, socialsec: httpx.Client
) -> None:
    description = rule_text(socialsec, "provident_fund_withdrawal")
    zhangsan = as_citizen(gateway, dgsb, "zhangsan").say("公积金")
    assert zhangsan.splitlines()[:2] == ["【使用社保卡提取住房公积金】", description]
    assert "您的情况：可以。" in zhangsan and "尾号4121" in zhangsan
    chat = as_citizen(gateway, dgsb, "chenxiaomei")
    waiting = chat.say("社保卡怎么提取公积金")
    assert waiting.splitlines()[1] == description
    assert (
        "您的情况：暂不能使用社保卡提取住房公积金" in waiting and "× 制卡进度为“待领取”" in waiting
    )
    assert "√ 社保卡状态为“正常”。" in waiting
    assert chat.click("SOCIALSEC_PROVIDENT_FUND") == waiting
    unbound = as_citizen(gateway, dgsb, "lisi").say("公积金")
    assert unbound == f"【使用社保卡提取住房公积金】\n{description}\n{BIND_TO_SEE_MINE}"


def test_free_bus_rule_with_the_citizens_own_result(
    gateway: TestClient, dgsb: WechatAccount, socialsec: httpx.Client
) -> None:
    description = rule_text(socialsec, "elderly_free_bus")
    wangwu = as_citizen(gateway, dgsb, "wangwu")
    text = wangwu.say("老人免费乘车")
    assert text.splitlines()[:2] == ["【非东莞户籍老年人免费乘坐公交】", description]
    assert "您的情况：暂不符合免费乘车条件" in text and "× 需年满65周岁" in text
    assert "√ 非东莞户籍。" in text and "√ 持有东莞居住证。" in text
    assert wangwu.click("SOCIALSEC_FREE_BUS") == text
    unbound = as_citizen(gateway, dgsb, "lisi").say("外地老人可以免费坐公交吗")
    assert unbound.endswith(BIND_TO_SEE_MINE) and description in unbound


# -- unbound, menu, office, privacy ----------------------------------------------------------------


def test_an_unbound_citizen_is_told_how_to_bind(gateway: TestClient, dgsb: WechatAccount) -> None:
    chat = as_citizen(gateway, dgsb, "lisi")
    for keyword in PERSONAL_KEYWORDS:
        assert chat.say(keyword) == NOT_BOUND
    assert chat.click("SOCIALSEC_CARD") == NOT_BOUND
    assert (
        "姓名、身份证号码和社保卡号" in HOW_TO_BIND and "请不要在聊天中发送身份证号码" in NOT_BOUND
    )


def test_what_can_be_asked(gateway: TestClient, dgsb: WechatAccount) -> None:
    chat = as_citizen(gateway, dgsb, "lisi")
    assert chat.say("社保查询") == MENU
    assert chat.say("我要查社保") == MENU


def test_office_phones(gateway: TestClient, dgsb: WechatAccount) -> None:
    chat = as_citizen(gateway, dgsb, "lisi")
    assert chat.say("社保电话 大朗").startswith("大朗镇社保分局电话：0769-83106399")
    assert chat.click("SOCIALSEC_OFFICES") == ASK_TOWN


def test_an_id_number_typed_into_the_chat_is_never_used_or_echoed(
    gateway: TestClient, dgsb: WechatAccount
) -> None:
    chat = as_citizen(gateway, dgsb, "lisi")
    lisi = next(p for p in DEMO_PEOPLE if p.key == "lisi")
    for text in (f"社保卡 {lisi.id_number}", f"缴费 李四 {lisi.id_number} {lisi.card_number}"):
        assert chat.say(text) == ID_IN_CHAT
    assert chat.say(f"公积金 {lisi.id_number}") == ID_IN_CHAT


def test_one_citizen_never_sees_anothers_records(gateway: TestClient, dgsb: WechatAccount) -> None:
    zhangsan = as_citizen(gateway, dgsb, "zhangsan")
    chenxiaomei = as_citizen(gateway, dgsb, "chenxiaomei")
    for _ in range(2):  # the second round comes from the gateway's caches
        mine, theirs = zhangsan.say("社保卡"), chenxiaomei.say("社保卡")
        assert "*****0123" in mine and "*****0808" not in mine and "中国工商银行" in mine
        assert "*****0808" in theirs and "*****0123" not in theirs and "中国银行" in theirs
        mine, theirs = zhangsan.say("缴费"), chenxiaomei.say("缴费")
        assert mine.startswith("张*（441***********1231）") and "064X" not in mine
        assert theirs.startswith("陈**（441***********064X）") and "1231" not in theirs
        assert "南城云帆" in mine and "虎门服装" not in mine
        assert "虎门服装" in theirs and "南城云帆" not in theirs


def test_every_read_is_in_the_citizens_access_log(
    gateway: TestClient, dgsb: WechatAccount, socialsec: httpx.Client
) -> None:
    as_citizen(gateway, dgsb, "zhangsan").say("社保卡")
    log = my(socialsec, "zhangsan", "/v1/me/access-log", limit=5)["items"]
    assert log[0]["resource"] == "card"


def test_no_personal_data_in_the_logs(
    gateway: TestClient,
    dgsb: WechatAccount,
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
) -> None:
    caplog.set_level(logging.DEBUG)
    capfd.readouterr()
    for who in ("zhangsan", "chenxiaomei", "wangwu", "lisi"):
        chat = as_citizen(gateway, dgsb, who)
        for keyword in (*PERSONAL_KEYWORDS, "公积金", "老人免费乘车"):
            chat.say(keyword)
    lisi = next(p for p in DEMO_PEOPLE if p.key == "lisi")
    chat.say(f"社保卡 {lisi.id_number}")
    records = [f"{r.getMessage()} {vars(r)}" for r in caplog.records]
    assert any("/v1/me/card" in line for line in records)
    written = capfd.readouterr()
    logged = "\n".join([*records, written.out, written.err])
    assert_masked(logged)
    for who in ("zhangsan", "chenxiaomei", "wangwu", "lisi"):
        assert demo_citizen(who).openid(dgsb.appid) not in logged


# -- identity and consent --------------------------------------------------------------------------


def test_platform_down_answers_politely_and_the_rule_still_answers(
    accounts_url: str, socialsec_url: str, chat_accounts: list[WechatAccount]
) -> None:
    closed = f"http://127.0.0.1:{free_port()}"
    settings = gateway_settings(accounts_url, socialsec_url, closed, chat_accounts)
    with TestClient(create_app(settings)) as client:
        dgsb = next(a for a in chat_accounts if a.code == "dgsb")
        chat = as_citizen(client, dgsb, "zhangsan")
        assert chat.say("社保卡") == UNAVAILABLE
        fund = chat.say("公积金")
        assert fund.startswith("【使用社保卡提取住房公积金】") and fund.endswith(UNAVAILABLE)


def test_a_withdrawn_consent_hides_personal_records(
    gateway: TestClient, dgsb: WechatAccount, accounts_url: str
) -> None:
    citizen = demo_citizen("wangwu").citizen_id
    headers = mint_token("accounts", citizen)
    chat = as_citizen(gateway, dgsb, "wangwu")
    with httpx.Client(base_url=accounts_url, headers=headers, timeout=10) as accounts:
        assert accounts.post("/v1/me/consents", json={"purpose": "socialsec_records"}).is_success
        assert chat.say("社保卡").startswith("社保卡 ")
        withdrawn = accounts.delete("/v1/me/consents/socialsec_records")
        assert withdrawn.is_success, withdrawn.text
        try:
            for keyword in PERSONAL_KEYWORDS:
                answer = chat.say(keyword)
                assert answer.startswith("您已撤回“查询社保记录”的授权"), answer
            fund = chat.say("公积金")
            assert fund.startswith("【使用社保卡提取住房公积金】")
            assert "您已撤回“查询社保记录”的授权" in fund and "您的情况" not in fund
        finally:
            accounts.post("/v1/me/consents", json={"purpose": "socialsec_records"})
