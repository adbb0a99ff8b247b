"""Chat driven by the accounts registry, end to end: the real accounts, socialsec and weather
services behind a gateway, and signed plaintext callbacks as WeChat sends them."""

from __future__ import annotations

import asyncio
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

from accounts.main import create_app as create_accounts_app
from accounts.registry_seed import chat_configs, seed_chat_config, seed_registry
from accounts.settings import AccountsSettings
from gateway.main import create_app
from gateway.settings import GatewaySettings, WechatAccount
from gateway.wechat.chat_config import ChatConfig, ChatConfigs, KeywordRule
from gateway.wechat.handlers.towns import Town, find_town
from gateway.wechat.messages import to_message
from gateway.wechat.replies import Article, NewsReply
from servicekit.errors import UpstreamUnavailable
from servicekit.settings import SharedSettings
from servicekit.testing import serve_seeded_service
from servicekit.wechat_crypto import sign
from socialsec.main import create_app as create_socialsec_app
from socialsec.seed import seed as seed_socialsec
from socialsec.settings import SocialsecSettings

CHAT_ACCOUNTS = ("dgjj", "dgtq", "dgsb", "gxhk", "lxdl", "dgtj")
ACCOUNTS = [WechatAccount(code=c, appid=f"wxtest0000{c}", token=f"tk-{c}") for c in CHAT_ACCOUNTS]
_msg_ids = itertools.count(7_000_000_000_000_000_000)


def _registry_only(session: Session) -> str:
    return "; ".join([seed_registry(session=session), seed_chat_config(session=session)])


@pytest.fixture(scope="module")
def accounts_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with serve_seeded_service(
        package="accounts",
        folder=tmp_path_factory.mktemp("accounts"),
        seed=_registry_only,
        app_factory=lambda url: create_accounts_app(
            AccountsSettings(database_url=url, shared=SharedSettings(env="dev"))
        ),
    ) as base:
        yield base


@pytest.fixture(scope="module")
def socialsec_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with serve_seeded_service(
        package="socialsec",
        folder=tmp_path_factory.mktemp("socialsec"),
        seed=seed_socialsec,
        app_factory=lambda url: create_socialsec_app(
            SocialsecSettings(database_url=url, shared=SharedSettings(env="dev"))
        ),
    ) as base:
        yield base


@pytest.fixture
def client(
    accounts_url: str, socialsec_url: str, weather_url: str, traffic_url: str
) -> Iterator[TestClient]:
    settings = GatewaySettings(
        accounts_url=accounts_url,
        socialsec_url=socialsec_url,
        weather_url=weather_url,
        traffic_url=traffic_url,
        wechat_accounts=ACCOUNTS,
        shared=SharedSettings(env="dev"),
    )
    with TestClient(create_app(settings)) as test_client:
        yield test_client


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


def test_lxdl_social_security_phone_through_the_keyword_rule(client: TestClient) -> None:
    text = text_of(send_text(client, "lxdl", "要办社保，可是不知道电话咋办。"))
    assert "83106399" in text and "大朗" in text


def test_town_named_in_the_text_is_looked_up(client: TestClient) -> None:
    text = text_of(send_text(client, "dgsb", "社保电话 大朗"))
    assert "83106399" in text
    assert "长安" in text_of(send_text(client, "dgsb", "长安的社保分局电话是多少"))
    # No town named and none fixed by the rule: the citizen is asked which.
    assert "镇街" in text_of(send_text(client, "dgsb", "社保电话"))


def follower_count(client: TestClient, accounts_url: str, code: str) -> int:
    response = httpx.get(f"{accounts_url}/v1/accounts/{code}/followers")
    assert response.status_code == 200, response.text
    items = response.json()["items"]
    return items[-1]["followers"] if items else 0


def wait_for_count(client: TestClient, accounts_url: str, code: str, expected: int) -> int:
    deadline = time.monotonic() + 5
    while True:
        count = follower_count(client, accounts_url, code)
        if count == expected or time.monotonic() > deadline:
            return count
        time.sleep(0.05)


@pytest.mark.parametrize("code", CHAT_ACCOUNTS)
def test_following_answers_the_welcome_and_counts_the_follower(
    client: TestClient, accounts_url: str, code: str
) -> None:
    welcome = next(c["welcome_text"] for c in chat_configs() if c["account_code"] == code)
    openid = f"o_follow_{code}"
    before = follower_count(client, accounts_url, code)
    response = post(client, code, {"MsgType": "event", "Event": "subscribe"}, openid=openid)
    root = fromstring(response.content, forbid_dtd=True)
    assert root.findtext("Content") == welcome
    assert wait_for_count(client, accounts_url, code, before + 1) == before + 1
    # Unfollowing: no reply, and the count goes back.
    response = post(client, code, {"MsgType": "event", "Event": "unsubscribe"}, openid=openid)
    assert response.text == "success"
    assert wait_for_count(client, accounts_url, code, before) == before


def menu_keys() -> list[tuple[str, str]]:
    keys = []
    for config in chat_configs():
        parsed = ChatConfig.from_json({**config, "keyword_rules": []})
        keys += [(config["account_code"], key) for key in parsed.menu_keys()]
    return keys


@pytest.mark.parametrize(("code", "key"), menu_keys())
def test_each_menu_button_answers(client: TestClient, code: str, key: str) -> None:
    _, text = reply(click(client, code, key))
    assert text.strip()
    assert "抱歉" not in text and "繁忙" not in text


def test_dgtq_weather_keyword_answers_todays_forecast(client: TestClient) -> None:
    text = text_of(send_text(client, "dgtq", "今天天气怎么样"))
    assert text.startswith("东莞市 ") and "（今天）" in text.split("\n")[0]


def test_lxdl_weather_is_dalangs(client: TestClient) -> None:
    assert text_of(click(client, "lxdl", "LXDL_WEATHER")).startswith("大朗")


def test_text_rule_and_coming_soon(client: TestClient) -> None:
    assert "正能量" in text_of(send_text(client, "gxhk", "你都知道啥"))
    # Fine payment is the next issue's: its keyword still answers politely.
    assert "即将上线" in text_of(send_text(client, "dgjj", "交罚款"))


def test_unmatched_text_answers_help_from_menu_and_rules(client: TestClient) -> None:
    text = text_of(send_text(client, "lxdl", "你好"))
    assert "“社保电话”" in text and "“大朗天气”" in text and "“天气”" in text
    assert "LXDL_" not in text


def test_accounts_down_uses_builtin_config(weather_url: str, closed_port_url: str) -> None:
    settings = GatewaySettings(
        accounts_url=closed_port_url,
        weather_url=weather_url,
        wechat_accounts=ACCOUNTS,
        shared=SharedSettings(env="dev"),
    )
    with TestClient(create_app(settings)) as client:
        assert text_of(send_text(client, "dgtq", "天气")).startswith("东莞市 ")
        assert text_of(send_text(client, "lxdl", "社保电话")).strip()


@pytest.fixture
def closed_port_url() -> str:
    import socket

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return f"http://127.0.0.1:{port}"


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


def test_town_found_by_its_short_name() -> None:
    towns = [Town("dalang", "大朗镇"), Town("dalingshan", "大岭山镇"), Town("songshanhu", "松山湖")]
    assert find_town(towns, "社保电话 大朗") == towns[0]
    assert find_town(towns, "大岭山镇社保") == towns[1]
    assert find_town(towns, "松山湖的电话") == towns[2]
    assert find_town(towns, "社保电话") is None


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


def test_help_names_only_keywords_that_match_alone(client: TestClient) -> None:
    text = text_of(send_text(client, "dgsb", "你好"))
    assert "“公积金”" in text and "“网点”" not in text and "“乘车”" not in text


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
