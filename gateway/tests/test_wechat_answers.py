"""Chat answers asked of the services that own them (gateway/wechat/answers.py), against fake
answering services: the catalogue, "coming soon", the citizen's token, needs_citizen, articles,
and failing or late services. No service package is imported."""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, cast

import httpx
import pytest
from defusedxml.ElementTree import fromstring
from fastapi.testclient import TestClient

from gateway.auth.citizens import citizen_authorization
from gateway.main import create_app
from gateway.settings import GatewaySettings, WechatAccount
from gateway.state import GatewayState
from gateway.upstreams import Upstreams
from gateway.wechat.answers import APOLOGIES, COMING_SOON, ChatAnswers
from gateway.wechat.citizens import ChatCitizens, ChatIdentity, NotIdentified
from gateway.wechat.messages import to_message
from gateway.wechat.replies import Article, NewsReply, Reply, TextReply
from gateway.wechat.router import Context
from servicekit.answers import Answer, AnswerArticle, AnswerRequest
from servicekit.settings import SharedSettings
from servicekit.testing import TEST_SECRET, free_port
from wechat.crypto import sign

if TYPE_CHECKING:
    from conftest import FakeRegistry, FakeService

ACCOUNT = WechatAccount(code="dgjj", appid="wxtest0000dgjj", token="tk-dgjj")
OPENID = "o_citizen_answers"
BASE_URL = "https://gw.example.org"
WITHDRAWN = "您已撤回授权，我们不再显示您的个人记录。"
PLAIN_REFUSAL = "本公众号暂不提供个人记录查询。"
PLATE = "违章 粤S12345 123456"
PUBLIC = "粤S12345 近两年交通违法1条"
RULE_TEXT = "【用社保卡提取公积金】规则说明"


def nowhere() -> str:
    """A URL where nothing listens."""
    return f"http://127.0.0.1:{free_port()}"


class StubCitizens:
    """Stands in for ChatCitizens: identifies anyone as citizen-1, or refuses with `refusal`;
    an account in plain mode (`personal` False) is always refused."""

    def __init__(self) -> None:
        self.refusal: str | None = None
        self.personal = True
        self.identified: list[str] = []

    def gives_personal_answers(self, account: str) -> bool:
        return self.personal

    async def identify(
        self, account: str, openid: str, service: str, *, timeout: float
    ) -> ChatIdentity:
        self.identified.append(service)
        if not self.personal:
            raise NotIdentified(PLAIN_REFUSAL)
        if self.refusal is not None:
            raise NotIdentified(self.refusal)
        authorization = citizen_authorization(
            secret=TEST_SECRET, citizen_id="citizen-1", service=service
        )
        return ChatIdentity(citizen_id="citizen-1", service=service, authorization=authorization)


def context(seconds: float) -> Context:
    now = asyncio.get_running_loop().time()
    # The answers take nothing from the gateway's state: what they need was given to them.
    state = cast(GatewayState, None)
    return Context(ACCOUNT, state, now + seconds, work_deadline=now + seconds)


@dataclass
class Chat:
    """ChatAnswers over real upstream clients, with a clock the test moves."""

    answers: ChatAnswers
    citizens: StubCitizens
    now: list[float]

    async def ask(
        self, intent: str | None, text: str = "违章", *, seconds: float = 4.0, **params: str
    ) -> Reply:
        """The reply to the text message `text` for a rule naming `intent`."""
        message = to_message(
            {"ToUserName": "gh_1", "FromUserName": OPENID, "CreateTime": "1", "MsgType": "text"}
        )
        return await self.answers.answer(context(seconds), message, text, intent, params)

    async def click(self, intent: str, key: str) -> Reply:
        """The reply to a click on the menu button `key` for a rule naming `intent`."""
        message = to_message(
            {
                "ToUserName": "gh_1",
                "FromUserName": OPENID,
                "CreateTime": "1",
                "MsgType": "event",
                "Event": "CLICK",
                "EventKey": key,
            }
        )
        return await self.answers.answer(context(4.0), message, key, intent, {})


@pytest.fixture
def traffic(fake_service: Callable[[str], FakeService]) -> FakeService:
    return fake_service("traffic")


@pytest.fixture
async def chat(traffic: FakeService) -> AsyncIterator[Chat]:
    upstreams = Upstreams(
        {"traffic": traffic.url, "weather": nowhere()}, connect_timeout=1, total_timeout=5
    )
    await upstreams.start()
    citizens = StubCitizens()
    now = [0.0]
    answers = ChatAnswers(
        upstreams,
        cast(ChatCitizens, citizens),
        secret=TEST_SECRET,
        ttl=30,
        public_base_url=BASE_URL,
        clock=lambda: now[0],
    )
    try:
        yield Chat(answers, citizens, now)
    finally:
        await upstreams.close()


def violations(request: AnswerRequest, citizen: str | None) -> Answer:
    """traffic.violations: a plate's are public; the citizen's own need the citizen."""
    if "粤S" in request.text:
        return Answer(text=PUBLIC)
    if citizen is None:
        return Answer(needs_citizen=True)
    return Answer(text=f"{citizen}的交通违法", personal=True)


# -- the catalogue and "coming soon" ------------------------------------------------------------


async def test_the_catalogue_is_read_once_per_ttl_with_the_gateways_token(
    chat: Chat, traffic: FakeService
) -> None:
    traffic.serves("guides", "办事指南")
    for _ in range(3):
        assert await chat.ask("traffic.guides") == TextReply("办事指南")
    assert traffic.catalogue_reads == 1
    chat.now[0] = 31
    assert await chat.ask("traffic.guides") == TextReply("办事指南")
    assert traffic.catalogue_reads == 2
    assert set(traffic.callers) == {"gateway"}


async def test_a_failed_catalogue_read_keeps_the_last_one_a_while(
    chat: Chat, traffic: FakeService
) -> None:
    traffic.serves("guides", "办事指南")
    assert await chat.ask("traffic.guides") == TextReply("办事指南")
    traffic.catalogue_status = 503
    chat.now[0] = 31
    assert await chat.ask("traffic.guides") == TextReply("办事指南")
    chat.now[0] = 35
    assert await chat.ask("traffic.guides") == TextReply("办事指南")
    assert traffic.catalogue_reads == 2
    chat.now[0] = 37  # five seconds after the failure: asked again
    assert await chat.ask("traffic.guides") == TextReply("办事指南")
    assert traffic.catalogue_reads == 3


async def test_a_catalogue_never_read_is_asked_for_again_by_the_next_message(
    chat: Chat, traffic: FakeService
) -> None:
    traffic.serves("guides", "办事指南")
    traffic.catalogue_status = 503
    assert await chat.ask("traffic.guides") == TextReply(APOLOGIES["traffic"])
    traffic.catalogue_status = 200
    assert await chat.ask("traffic.guides") == TextReply("办事指南")
    assert traffic.catalogue_reads == 2


async def test_an_intent_no_service_serves_is_coming_soon(chat: Chat, traffic: FakeService) -> None:
    traffic.serves("guides", "办事指南")
    assert await chat.ask("traffic.parking") == TextReply(COMING_SOON)
    assert await chat.ask("parking.spaces") == TextReply(COMING_SOON)
    assert await chat.ask("guides") == TextReply(COMING_SOON)
    assert await chat.ask(None) == TextReply(COMING_SOON)
    assert traffic.asked == []
    assert "即将上线" in COMING_SOON


async def test_an_intent_the_service_stopped_serving_is_coming_soon_and_rereads_the_catalogue(
    chat: Chat, traffic: FakeService
) -> None:
    traffic.serves("guides", "办事指南")
    assert await chat.ask("traffic.guides") == TextReply("办事指南")
    del traffic.answers["guides"]  # listed, but answered 404
    assert await chat.ask("traffic.guides") == TextReply(COMING_SOON)
    del traffic.intents["guides"]
    assert await chat.ask("traffic.guides") == TextReply(COMING_SOON)
    assert traffic.catalogue_reads == 2 and len(traffic.asked) == 2


# -- the citizen --------------------------------------------------------------------------------


async def test_a_personal_intent_carries_the_citizens_token_a_public_one_none(
    chat: Chat, traffic: FakeService
) -> None:
    traffic.serves("points", lambda _, citizen: Answer(text=f"{citizen}的记分"), "required")
    traffic.serves("guides", lambda _, citizen: Answer(text=f"指南{citizen}"))
    assert await chat.ask("traffic.points", "记分") == TextReply("citizen-1的记分")
    assert await chat.ask("traffic.guides", "办事指南") == TextReply("指南None")
    assert [a.citizen for a in traffic.asked] == ["citizen-1", None]
    assert chat.citizens.identified == ["traffic"]


async def test_a_required_intent_answers_why_the_citizen_is_not_identified(
    chat: Chat, traffic: FakeService
) -> None:
    traffic.serves("points", "记分", "required")
    chat.citizens.refusal = WITHDRAWN
    assert await chat.ask("traffic.points", "记分") == TextReply(WITHDRAWN)
    assert traffic.asked == []


async def test_an_optional_intent_is_asked_without_the_citizen_and_says_why_when_they_are_needed(
    chat: Chat, traffic: FakeService
) -> None:
    traffic.serves("violations", violations, "optional")
    traffic.serves(
        "eligibility",
        lambda _, citizen: Answer(text=RULE_TEXT, needs_citizen=citizen is None),
        "optional",
    )
    assert await chat.ask("traffic.violations") == TextReply("citizen-1的交通违法")
    chat.citizens.refusal = WITHDRAWN
    assert await chat.ask("traffic.violations", PLATE) == TextReply(PUBLIC)
    assert await chat.ask("traffic.violations") == TextReply(WITHDRAWN)
    # The public part of the answer comes first, then why the rest is not shown.
    assert await chat.ask("traffic.eligibility") == TextReply(f"{RULE_TEXT}\n{WITHDRAWN}")
    assert [a.citizen for a in traffic.asked] == ["citizen-1", None, None, None]


async def test_a_plain_account_asks_optional_intents_before_identifying_anyone(
    chat: Chat, traffic: FakeService
) -> None:
    traffic.serves("violations", violations, "optional")
    chat.citizens.personal = False
    assert await chat.ask("traffic.violations", PLATE) == TextReply(PUBLIC)
    assert chat.citizens.identified == []  # no refusal (nor its alert) for a public answer
    assert await chat.ask("traffic.violations") == TextReply(PLAIN_REFUSAL)
    assert chat.citizens.identified == ["traffic"]


# -- what is asked, and how the answer is rendered ---------------------------------------------


async def test_the_request_carries_the_message_the_rules_params_and_the_public_origin(
    chat: Chat, traffic: FakeService
) -> None:
    traffic.serves("guides", "办事指南")
    await chat.ask("traffic.guides", "办事指南 驾驶证", topic="驾驶证")
    await chat.click("traffic.guides", "DGJJ_GUIDES")
    typed, clicked = (a.request for a in traffic.asked)
    assert typed == AnswerRequest(
        account="dgjj",
        text="办事指南 驾驶证",
        menu_click=False,
        params={"topic": "驾驶证"},
        public_base_url=BASE_URL,
    )
    assert (clicked.text, clicked.menu_click, clicked.params) == ("DGJJ_GUIDES", True, {})


async def test_articles_answer_a_news_reply(chat: Chat, traffic: FakeService) -> None:
    card = AnswerArticle(title="驾驶证换证", description="所需材料", url="https://h5/1", picurl="p")
    traffic.serves("guides", Answer(text="ignored", articles=[card]))
    assert await chat.ask("traffic.guides") == NewsReply(
        (Article("驾驶证换证", "所需材料", "https://h5/1", "p"),)
    )


# -- failures -----------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [500, 401, 422])
async def test_an_error_status_answers_the_services_apology(
    chat: Chat, traffic: FakeService, status: int
) -> None:
    traffic.serves("guides", "办事指南")
    traffic.status = status
    assert await chat.ask("traffic.guides") == TextReply(APOLOGIES["traffic"])


@pytest.mark.parametrize("body", [b"<html>", b'{"articles": "x"}', b'{"text": 1}'])
async def test_a_garbled_answer_answers_the_apology(
    chat: Chat, traffic: FakeService, body: bytes
) -> None:
    traffic.serves("guides", "办事指南")
    traffic.body = body
    assert await chat.ask("traffic.guides") == TextReply(APOLOGIES["traffic"])


async def test_a_service_down_answers_its_apology(chat: Chat) -> None:
    assert await chat.ask("weather.today", "天气") == TextReply(APOLOGIES["weather"])


def test_each_service_apologises_by_its_own_name() -> None:
    assert APOLOGIES == {
        "traffic": "交通管理服务暂时繁忙，请稍后再试。",
        "socialsec": "社保服务暂时繁忙，请稍后再试。",
        "weather": "天气服务暂时繁忙，请稍后再试。",
        "accounts": "文章服务暂时繁忙，请稍后再试。",
        "inspection": "特种设备检验服务暂时繁忙，请稍后再试。",
    }


@pytest.mark.slow
async def test_a_late_answer_is_cut_to_the_budget_with_the_apology(
    chat: Chat, traffic: FakeService
) -> None:
    traffic.serves("guides", "办事指南")
    assert await chat.ask("traffic.guides") == TextReply("办事指南")  # the catalogue is read
    traffic.delay = 3
    started = time.monotonic()
    assert await chat.ask("traffic.guides", seconds=1.0) == TextReply(APOLOGIES["traffic"])
    assert time.monotonic() - started < 1.0
    # With no time left, nothing is asked.
    asked = len(traffic.asked)
    assert await chat.ask("traffic.guides", seconds=0.2) == TextReply(APOLOGIES["traffic"])
    assert len(traffic.asked) == asked


# -- through the gateway ------------------------------------------------------------------------


@pytest.fixture
def gateway(fake_registry: FakeRegistry, traffic: FakeService) -> Iterator[TestClient]:
    rule = {
        "position": 0,
        "match": "contains",
        "patterns": ["办事指南"],
        "reply_type": "intent",
        "intent": "traffic.guides",
        "params": {},
    }
    fake_registry.configs["dgjj"] = {"keyword_rules": [rule]}
    settings = GatewaySettings(
        accounts_url=fake_registry.url,
        traffic_url=traffic.url,
        wechat_accounts=[ACCOUNT],
        shared=SharedSettings(env="dev"),
    )
    with TestClient(create_app(settings)) as client:
        yield client


def say(client: TestClient, text: str) -> httpx.Response:
    stamp, nonce = str(int(time.time())), str(secrets.randbelow(10**10))
    body = (
        f"<xml><ToUserName><![CDATA[gh_dgjj]]></ToUserName>"
        f"<FromUserName><![CDATA[{OPENID}]]></FromUserName><CreateTime>{stamp}</CreateTime>"
        f"<MsgType><![CDATA[text]]></MsgType><Content><![CDATA[{text}]]></Content>"
        f"<MsgId>{secrets.randbelow(10**18)}</MsgId></xml>"
    )
    params = {"signature": sign(ACCOUNT.token, stamp, nonce), "timestamp": stamp, "nonce": nonce}
    response = client.post("/wechat/dgjj", params=params, content=body.encode())
    assert response.status_code == 200, response.text
    return response


@pytest.mark.slow
def test_an_answer_with_articles_is_a_news_reply(gateway: TestClient, traffic: FakeService) -> None:
    cards = [AnswerArticle(title=f"指南{i}]]>", url=f"https://h5/{i}") for i in range(2)]
    traffic.serves("guides", Answer(articles=cards))
    root = fromstring(say(gateway, "办事指南").content, forbid_dtd=True)
    assert (root.findtext("MsgType"), root.findtext("ArticleCount")) == ("news", "2")
    items = [(i.findtext("Title"), i.findtext("Url")) for i in root.iter("item")]
    assert items == [("指南0]]>", "https://h5/0"), ("指南1]]>", "https://h5/1")]
    assert root.findtext("ToUserName") == OPENID


@pytest.mark.slow
def test_a_text_answer_through_the_gateway(gateway: TestClient, traffic: FakeService) -> None:
    traffic.serves("guides", "可回复“办事指南 驾驶证”查询。")
    root = fromstring(say(gateway, "办事指南").content, forbid_dtd=True)
    assert root.findtext("Content") == "可回复“办事指南 驾驶证”查询。"
    [asked] = traffic.asked
    assert asked.request.text == "办事指南" and asked.request.account == "dgjj"
