"""Who is chatting (gateway/wechat/citizens.py), end to end: signed callbacks from the demo
citizens' openids, the sandbox answering `/cgi-bin/user/info` with their unionids, a fake
registry resolving them and holding their consents, and a fake traffic service answering with
the citizen its token names. No service package is imported."""

from __future__ import annotations

import itertools
import logging
import secrets
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from defusedxml.ElementTree import fromstring
from fastapi.testclient import TestClient

from gateway.main import create_app
from gateway.settings import GatewaySettings, WechatAccount
from gateway.wechat.citizens import UNAVAILABLE, TtlCache
from servicekit.answers import Answer, AnswerRequest
from servicekit.settings import SharedSettings
from servicekit.testing import free_port
from wechat.crypto import sign
from wechat.demo_citizens import demo_citizen

if TYPE_CHECKING:
    from conftest import FakeRegistry, FakeService

_msg_ids = itertools.count(8_700_000_000_000_000_000)
PLATE = "违章 粤S12345 123456"
PUBLIC = "粤S12345 近两年交通违法1条"
RULE = "【审验学习】说明"


def own(request: AnswerRequest, citizen: str | None) -> Answer:
    """An answer naming the citizen whose records it shows."""
    return Answer(text=f"{citizen}的记录", personal=True)


def violations(request: AnswerRequest, citizen: str | None) -> Answer:
    """A plate's violations are public; the citizen's own need the citizen."""
    if "粤S" in request.text:
        return Answer(text=PUBLIC)
    return own(request, citizen) if citizen else Answer(needs_citizen=True)


def review(request: AnswerRequest, citizen: str | None) -> Answer:
    """The rule explained to anyone, then the citizen's own progress."""
    if citizen is None:
        return Answer(text=RULE, needs_citizen=True)
    return Answer(text=f"{RULE}\n{citizen}的进度", personal=True)


def keyword(position: int, word: str, intent: str) -> dict[str, Any]:
    return {
        "position": position,
        "match": "regex",
        "patterns": [word],
        "reply_type": "intent",
        "intent": intent,
    }


@dataclass
class Fakes:
    registry: FakeRegistry
    traffic: FakeService
    sandbox_url: str
    accounts: list[WechatAccount]

    def gateway(self, *, platform: str | None = None, **kw: Any) -> TestClient:
        """A gateway over the fakes, with the sandbox (or `platform`) as WeChat."""
        settings = GatewaySettings(
            accounts_url=self.registry.url,
            traffic_url=self.traffic.url,
            wechat_api_base_url=platform or self.sandbox_url,
            wechat_accounts=self.accounts,
            shared=SharedSettings(env="dev"),
            **kw,
        )
        return TestClient(create_app(settings))


@pytest.fixture
def fakes(
    fake_registry: FakeRegistry,
    fake_service: Callable[[str], FakeService],
    chat_sandbox_url: str,
    chat_accounts: list[WechatAccount],
) -> Fakes:
    fake_registry.configs["dgjj"] = {
        "keyword_rules": [
            keyword(0, "记分", "traffic.points"),
            keyword(1, "违章", "traffic.violations"),
            keyword(2, "审验", "traffic.review_study"),
        ]
    }
    traffic = fake_service("traffic")
    traffic.serves("points", own, "required")
    traffic.serves("violations", violations, "optional")
    traffic.serves("review_study", review, "optional")
    return Fakes(fake_registry, traffic, chat_sandbox_url, chat_accounts)


@pytest.fixture
def gateway(fakes: Fakes) -> Iterator[TestClient]:
    with fakes.gateway() as client:
        yield client


@pytest.fixture
def dgjj(chat_accounts: list[WechatAccount]) -> WechatAccount:
    return next(a for a in chat_accounts if a.code == "dgjj")


@dataclass
class Chat:
    """Text messages to an account as WeChat posts them, from one openid."""

    client: TestClient
    account: WechatAccount
    openid: str

    def say(self, text: str) -> str:
        stamp, nonce = str(int(time.time())), str(secrets.randbelow(10**10))
        query = {
            "signature": sign(self.account.token, stamp, nonce),
            "timestamp": stamp,
            "nonce": nonce,
            "openid": self.openid,
        }
        xml = (
            f"<xml><ToUserName><![CDATA[gh_{self.account.code}]]></ToUserName>"
            f"<FromUserName><![CDATA[{self.openid}]]></FromUserName>"
            f"<CreateTime>{stamp}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
            f"<Content><![CDATA[{text}]]></Content><MsgId>{next(_msg_ids)}</MsgId></xml>"
        )
        response = self.client.post(
            f"/wechat/{self.account.code}", params=query, content=xml.encode()
        )
        assert response.status_code == 200, response.text
        root = fromstring(response.content)
        assert root.findtext("ToUserName") == self.openid
        return root.findtext("Content") or ""


def as_citizen(client: TestClient, account: WechatAccount, who: str) -> Chat:
    """Chat as a demo citizen: their openid with the account, as the sandbox derives it."""
    return Chat(client, account, demo_citizen(who).openid(account.appid))


def citizen_of(who: str) -> str:
    """The citizen_id the fake registry resolves a demo citizen to (by their unionid)."""
    return f"citizen-{demo_citizen(who).unionid}"


@pytest.mark.slow
def test_each_citizen_is_answered_with_their_own_token(
    gateway: TestClient, dgjj: WechatAccount
) -> None:
    zhangsan, wangwu = as_citizen(gateway, dgjj, "zhangsan"), as_citizen(gateway, dgjj, "wangwu")
    for _ in range(2):  # the second round comes from the gateway's caches
        assert zhangsan.say("记分") == f"{citizen_of('zhangsan')}的记录"
        assert wangwu.say("记分") == f"{citizen_of('wangwu')}的记录"
        assert zhangsan.say("违章") == f"{citizen_of('zhangsan')}的记录"


@pytest.mark.slow
def test_identities_are_cached(gateway: TestClient, dgjj: WechatAccount, fakes: Fakes) -> None:
    chat = as_citizen(gateway, dgjj, "chenxiaomei")

    def user_info_calls() -> int:
        stats = httpx.get(f"{fakes.sandbox_url}/sandbox/stats").json()
        return stats["api_calls"].get("/cgi-bin/user/info", 0)

    before = user_info_calls()
    for text in ("记分", "违章", "审验"):
        assert chat.say(text).startswith(RULE if text == "审验" else citizen_of("chenxiaomei"))
    assert user_info_calls() == before + 1
    assert [r["unionid"] for r in fakes.registry.resolved] == [demo_citizen("chenxiaomei").unionid]


@pytest.mark.slow
def test_someone_the_platform_does_not_know_gets_a_polite_answer(
    gateway: TestClient, dgjj: WechatAccount, fakes: Fakes
) -> None:
    assert Chat(gateway, dgjj, "o-not-a-sandbox-user").say("记分") == UNAVAILABLE
    assert fakes.traffic.asked == []


@pytest.mark.slow
def test_platform_down_answers_politely_and_public_answers_still_work(
    fakes: Fakes, dgjj: WechatAccount
) -> None:
    with fakes.gateway(platform=f"http://127.0.0.1:{free_port()}") as client:
        chat = as_citizen(client, dgjj, "zhangsan")
        assert chat.say("记分") == UNAVAILABLE
        assert chat.say("违章") == UNAVAILABLE
        assert chat.say(PLATE) == PUBLIC
        # The public part first, then why the rest is not shown.
        assert chat.say("审验") == f"{RULE}\n{UNAVAILABLE}"
    assert {a.citizen for a in fakes.traffic.asked} == {None}


@pytest.mark.slow
def test_a_withdrawn_consent_hides_personal_records(
    gateway: TestClient, dgjj: WechatAccount, fakes: Fakes
) -> None:
    chat = as_citizen(gateway, dgjj, "chenxiaomei")
    fakes.registry.consents[citizen_of("chenxiaomei")] = {"traffic_records": "granted"}
    assert chat.say("记分") == f"{citizen_of('chenxiaomei')}的记录"
    fakes.registry.consents[citizen_of("chenxiaomei")] = {"traffic_records": "withdrawn"}
    for text in ("记分", "违章"):
        assert chat.say(text).startswith("您已撤回“查询交通违法记录”的授权")
    answer = chat.say("审验")
    assert answer.startswith(f"{RULE}\n您已撤回“查询交通违法记录”的授权"), answer
    # The public lookup needs no consent.
    assert chat.say(PLATE) == PUBLIC


@pytest.mark.slow
def test_consent_required_when_configured(fakes: Fakes, dgjj: WechatAccount) -> None:
    with fakes.gateway(wechat_personal_consent="granted") as client:
        answer = as_citizen(client, dgjj, "wangwu").say("记分")
    assert answer.startswith("查询个人记录需要您的授权")
    assert fakes.traffic.asked == []


@pytest.mark.slow
def test_no_openid_in_the_logs(
    gateway: TestClient,
    dgjj: WechatAccount,
    fakes: Fakes,
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
) -> None:
    caplog.set_level(logging.DEBUG)
    capfd.readouterr()
    fakes.traffic.status = 500  # failures are logged too
    for who in ("zhangsan", "wangwu"):
        chat = as_citizen(gateway, dgjj, who)
        for text in ("记分", "违章", PLATE):
            chat.say(text)
    Chat(gateway, dgjj, "o-not-a-sandbox-user").say("记分")
    written = capfd.readouterr()
    logged = "\n".join([*(f"{r.getMessage()} {vars(r)}" for r in caplog.records), *written])
    assert "traffic.points answered 500" in logged
    openids = [demo_citizen(who).openid(dgjj.appid) for who in ("zhangsan", "wangwu")]
    for openid in ("o-not-a-sandbox-user", *openids):
        assert openid not in logged
    assert "粤S12345" not in logged


def test_the_identity_cache_lapses_and_stays_bounded() -> None:
    now = [100.0]
    cache: TtlCache[str, str | None] = TtlCache(10.0, max_entries=2, clock=lambda: now[0])
    cache.put("a", None)  # "no unionid" is an answer worth keeping too
    assert cache.get("a") == (True, None)
    assert cache.get("b") == (False, None)
    now[0] += 10.0
    assert cache.get("a") == (False, None)
    for key in ("x", "y", "z"):
        cache.put(key, key.upper())
    assert cache.get("x") == (False, None) and cache.get("z") == (True, "Z")
    off: TtlCache[str, str] = TtlCache(0.0, clock=lambda: now[0])
    off.put("a", "A")
    assert off.get("a") == (False, None)
