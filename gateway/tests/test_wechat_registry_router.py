"""Chat driven by the accounts registry's chat configuration, end to end: a fake registry and
fake answering services behind a gateway, and signed plaintext callbacks as WeChat sends them."""

from __future__ import annotations

import asyncio
import itertools
import secrets
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from defusedxml.ElementTree import fromstring
from fastapi.testclient import TestClient

from gateway.main import create_app
from gateway.settings import GatewaySettings, WechatAccount
from gateway.wechat.chat_config import GENERIC_HELP, INTENT, ChatConfig, ChatConfigs, KeywordRule
from gateway.wechat.messages import to_message
from gateway.wechat.replies import Article, NewsReply
from servicekit.errors import UpstreamUnavailable
from servicekit.settings import SharedSettings
from servicekit.testing import free_port
from wechat.crypto import sign

if TYPE_CHECKING:
    from collections.abc import Callable

    from conftest import FakeRegistry, FakeService

CHAT_ACCOUNTS = ("dgjj", "dgtq", "dgsb", "gxhk", "lxdl")
ACCOUNTS = [WechatAccount(code=c, appid=f"wxtest0000{c}", token=f"tk-{c}") for c in CHAT_ACCOUNTS]
_msg_ids = itertools.count(7_000_000_000_000_000_000)
OFFICE = "大朗镇社保分局电话：83106399"
FORECAST = "东莞市 12月3日（今天）：多云，15～23℃"


def rule(position: int, patterns: list[str], intent: str, **params: str) -> dict[str, Any]:
    """A registry keyword rule (regex) answered by the service owning `intent`."""
    return {
        "position": position,
        "match": "regex",
        "patterns": patterns,
        "reply_type": "intent",
        "intent": intent,
        "params": params,
    }


def text_rule(position: int, pattern: str, text: str) -> dict[str, Any]:
    return {
        "position": position,
        "match": "contains",
        "patterns": [pattern],
        "reply_type": "text",
        "reply_text": text,
    }


CONFIGS: dict[str, dict[str, Any]] = {
    "lxdl": {
        "welcome_text": "欢迎关注荔香大朗！",
        "menu": {
            "button": [
                {"type": "click", "name": "大朗天气", "key": "LXDL_WEATHER"},
                {"type": "view", "name": "大朗资讯", "url": "https://example.org"},
            ]
        },
        "keyword_rules": [
            rule(0, [r"社保.*(电话|号码)"], "socialsec.office_phone", town="dalang"),
            rule(1, ["LXDL_WEATHER", "大朗天气"], "weather.today", location="dalang"),
            rule(2, ["天气"], "weather.today"),
        ],
    },
    "dgtq": {"keyword_rules": [rule(0, ["天气|预报"], "weather.today")]},
    "dgjj": {"keyword_rules": [rule(0, ["停车"], "traffic.parking")]},
    "gxhk": {
        "welcome_text": "欢迎关注！",
        "keyword_rules": [
            text_rule(0, "你都知道啥", "我们传递正能量。"),
            {
                "position": 1,
                "match": "exact",
                "patterns": ["文章"],
                "reply_type": "news",
                "articles": [{"title": "好文", "url": "https://example.org/1"}],
            },
        ],
    },
    "dgsb": {
        "keyword_rules": [
            rule(0, ["公积金"], "socialsec.eligibility", rule="provident_fund"),
            rule(1, ["(社保)?网点.*"], "socialsec.office_phone"),
            rule(2, ["老人.*乘车"], "socialsec.eligibility", rule="free_bus"),
        ]
    },
}


@dataclass
class Chat:
    """A gateway over the fake registry and fake services."""

    client: TestClient
    registry: FakeRegistry
    weather: FakeService
    socialsec: FakeService


@pytest.fixture
def chat(fake_registry: FakeRegistry, fake_service: Callable[[str], FakeService]) -> Iterator[Chat]:
    fake_registry.configs.update(CONFIGS)
    weather, socialsec, traffic = (fake_service(n) for n in ("weather", "socialsec", "traffic"))
    weather.serves("today", FORECAST)
    socialsec.serves("office_phone", OFFICE)
    settings = GatewaySettings(
        accounts_url=fake_registry.url,
        socialsec_url=socialsec.url,
        weather_url=weather.url,
        traffic_url=traffic.url,
        wechat_accounts=ACCOUNTS,
        shared=SharedSettings(env="dev"),
    )
    with TestClient(create_app(settings)) as client:
        yield Chat(client, fake_registry, weather, socialsec)


def signed(account: str) -> dict[str, str]:
    stamp, nonce = str(int(time.time())), str(secrets.randbelow(10**10))
    return {
        "signature": sign(f"tk-{account}", stamp, nonce),
        "timestamp": stamp,
        "nonce": nonce,
        "openid": "o_citizen",
    }


def body(fields: dict[str, str], openid: str = "o_citizen") -> bytes:
    parts = {
        "ToUserName": "gh_account",
        "FromUserName": openid,
        "CreateTime": str(int(time.time())),
        **fields,
    }
    return (
        "<xml>" + "".join(f"<{k}><![CDATA[{v}]]></{k}>" for k, v in parts.items()) + "</xml>"
    ).encode()


def post(client: TestClient, account: str, fields: dict[str, str], **kw: Any) -> httpx.Response:
    response = client.post(f"/wechat/{account}", params=signed(account), content=body(fields, **kw))
    assert response.status_code == 200, response.text
    assert "json" not in response.headers.get("content-type", "")
    return response


def send_text(client: TestClient, account: str, text: str) -> httpx.Response:
    fields = {"MsgType": "text", "Content": text, "MsgId": str(next(_msg_ids))}
    return post(client, account, fields)


def click(client: TestClient, account: str, key: str) -> httpx.Response:
    return post(client, account, {"MsgType": "event", "Event": "CLICK", "EventKey": key})


def reply(response: httpx.Response) -> tuple[str, str]:
    """(MsgType, text): a text reply's content, or a news reply's titles."""
    assert response.headers["content-type"].startswith("application/xml"), response.text
    root = fromstring(response.content, forbid_dtd=True)
    assert root.findtext("ToUserName") == "o_citizen"
    kind = root.findtext("MsgType") or ""
    if kind == "news":
        titles = [item.findtext("Title") or "" for item in root.iter("item")]
        assert int(root.findtext("ArticleCount") or 0) == len(titles) >= 1
        return kind, "\n".join(titles)
    assert kind == "text"
    return kind, root.findtext("Content") or ""


def text_of(response: httpx.Response) -> str:
    kind, text = reply(response)
    assert kind == "text"
    return text


# -- acceptance ----------------------------------------------------------------------------------


@pytest.mark.slow
def test_a_keyword_rule_asks_its_intent_with_the_rules_params(chat: Chat) -> None:
    assert text_of(send_text(chat.client, "lxdl", "要办社保，可是不知道电话咋办。")) == OFFICE
    [asked] = chat.socialsec.asked
    assert (asked.name, asked.request.params) == ("office_phone", {"town": "dalang"})
    assert asked.request.text == "要办社保，可是不知道电话咋办。"
    assert not asked.request.menu_click


@pytest.mark.slow
def test_a_menu_click_asks_its_intent_as_a_click(chat: Chat) -> None:
    assert text_of(click(chat.client, "lxdl", "LXDL_WEATHER")) == FORECAST
    [asked] = chat.weather.asked
    assert (asked.request.text, asked.request.menu_click) == ("LXDL_WEATHER", True)
    assert asked.request.params == {"location": "dalang"}


def wait_for_events(registry: FakeRegistry, count: int) -> list[dict[str, Any]]:
    deadline = time.monotonic() + 5
    while len(registry.follower_events) < count and time.monotonic() < deadline:
        time.sleep(0.05)
    return registry.follower_events


@pytest.mark.slow
def test_following_answers_the_welcome_and_tells_the_registry(chat: Chat) -> None:
    response = post(chat.client, "lxdl", {"MsgType": "event", "Event": "subscribe"})
    assert fromstring(response.content, forbid_dtd=True).findtext("Content") == "欢迎关注荔香大朗！"
    # Unfollowing: no reply, and the registry is told too.
    response = post(chat.client, "lxdl", {"MsgType": "event", "Event": "unsubscribe"})
    assert response.text == "success"
    events = wait_for_events(chat.registry, 2)
    assert sorted((e["account_code"], e["openid"], e["event"]) for e in events) == [
        ("lxdl", "o_citizen", "subscribe"),
        ("lxdl", "o_citizen", "unsubscribe"),
    ]


@pytest.mark.slow
def test_text_and_news_rules_answer_themselves_and_an_unserved_intent_is_coming_soon(
    chat: Chat,
) -> None:
    assert text_of(send_text(chat.client, "gxhk", "你都知道啥")) == "我们传递正能量。"
    assert reply(send_text(chat.client, "gxhk", "文章")) == ("news", "好文")
    # No service answers traffic.parking: its keyword still answers politely.
    assert "即将上线" in text_of(send_text(chat.client, "dgjj", "停车"))


@pytest.mark.slow
def test_unmatched_text_answers_help_from_menu_and_rules(chat: Chat) -> None:
    text = text_of(send_text(chat.client, "lxdl", "你好"))
    assert "“大朗天气”" in text and "“天气”" in text
    assert "LXDL_" not in text


@pytest.mark.slow
def test_help_names_only_keywords_that_match_alone(chat: Chat) -> None:
    text = text_of(send_text(chat.client, "dgsb", "你好"))
    assert "“公积金”" in text and "网点" not in text and "乘车" not in text


def test_accounts_down_uses_builtin_config(fake_service: Callable[[str], FakeService]) -> None:
    weather = fake_service("weather")
    weather.serves("today", FORECAST)
    settings = GatewaySettings(
        accounts_url=f"http://127.0.0.1:{free_port()}",
        weather_url=weather.url,
        wechat_accounts=ACCOUNTS,
        shared=SharedSettings(env="dev"),
    )
    with TestClient(create_app(settings)) as client:
        assert text_of(send_text(client, "dgtq", "天气")) == FORECAST
        assert text_of(send_text(client, "lxdl", "社保电话")) == GENERIC_HELP
    assert [a.name for a in weather.asked] == ["today"]


# -- units ---------------------------------------------------------------------------------------


def test_rule_matching_follows_the_accounts_contract() -> None:
    def rule(match: str, *patterns: str) -> KeywordRule:
        return KeywordRule(position=0, match=match, patterns=patterns, reply_type="text")

    assert rule("exact", "WEATHER_TODAY").matches("  WEATHER_TODAY ")
    assert not rule("exact", "天气").matches("今天天气")
    assert rule("contains", "雨伞", "下雨").matches("明天会下雨吗")
    assert rule("regex", r"社保.*(电话|号码)").matches("要办社保，可是不知道电话咋办。")
    assert not rule("regex", "(").matches("(")  # an invalid pattern never matches


def test_first_rule_by_position_wins() -> None:
    config = ChatConfig.from_json(
        {
            "account_code": "x",
            "keyword_rules": [
                {"position": 2, "match": "contains", "patterns": ["天"], "reply_type": "text"},
                {"position": 1, "match": "contains", "patterns": ["天气"], "reply_type": "text"},
            ],
        }
    )
    found = config.rule_for("天气")
    assert found is not None and found.position == 1


def test_news_reply_xml() -> None:
    message = to_message(
        {"ToUserName": "gh_1", "FromUserName": "o_1", "CreateTime": "1", "MsgType": "text"}
    )
    reply = NewsReply((Article("标题]]>", "描述", "https://x/1", "https://x/1.jpg"),))
    root = fromstring(reply.render(message, create_time=5).encode(), forbid_dtd=True)
    assert root.findtext("MsgType") == "news" and root.findtext("ArticleCount") == "1"
    item = root.find("Articles/item")
    assert item is not None
    assert [item.findtext(t) for t in ("Title", "Description", "PicUrl", "Url")] == [
        "标题]]>",
        "描述",
        "https://x/1.jpg",
        "https://x/1",
    ]


class FakeAccounts:
    """An accounts upstream whose chat-config answers can be switched, counting its calls."""

    def __init__(self) -> None:
        self.calls = 0
        self.fail = False

    async def get_json(self, service: str, path: str, **_: Any) -> tuple[int, Any]:
        self.calls += 1
        await asyncio.sleep(0.02)
        if self.fail:
            raise UpstreamUnavailable("down")
        rule = {"position": 0, "match": "exact", "patterns": ["hi"], "reply_type": "text"}
        return 200, {"account_code": "x", "welcome_text": f"v{self.calls}", "keyword_rules": [rule]}


async def test_config_cache_single_flight_ttl_and_stale_fallback() -> None:
    now = [0.0]
    upstream = FakeAccounts()
    configs = ChatConfigs(upstream, ttl=30, clock=lambda: now[0])  # type: ignore[arg-type]
    got = await asyncio.gather(*(configs.get("x") for _ in range(10)))
    assert {c.welcome_text for c in got} == {"v1"} and upstream.calls == 1
    now[0] = 10
    assert (await configs.get("x")).welcome_text == "v1" and upstream.calls == 1
    now[0] = 31
    upstream.fail = True
    stale = await configs.get("x")
    assert stale.welcome_text == "v1" and not stale.builtin
    # A new account the registry cannot be asked about gets the built-in configuration.
    assert (await configs.get("dgtq")).builtin
    now[0] = 100
    upstream.fail = False
    assert (await configs.get("x")).welcome_text.startswith("v")
    assert (await configs.get("x")).welcome_text != "v1"


def test_a_rule_naming_a_handler_is_read_as_an_intent() -> None:
    legacy = KeywordRule.from_json(
        {
            "match": "exact",
            "patterns": ["记分"],
            "reply_type": "handler",
            "handler": "traffic.points",
        }
    )
    current = KeywordRule.from_json(
        {"match": "exact", "patterns": ["记分"], "reply_type": "intent", "intent": "traffic.points"}
    )
    assert (legacy.reply_type, legacy.intent) == (INTENT, "traffic.points")
    assert legacy == current
