"""Chatting as a citizen: messages posted to a fake gateway, retries, replies, the conversation,
follows, the menu and the chat page."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from xml.etree.ElementTree import Element

import httpx
import pytest
from defusedxml.ElementTree import fromstring
from fastapi import FastAPI, Request
from fastapi.responses import Response
from fastapi.testclient import TestClient

from sandbox.conversation import FAILURE_NOTICE
from sandbox.main import create_app
from sandbox.settings import SandboxSettings
from sandbox.state import SandboxState
from servicekit.settings import SharedSettings
from servicekit.testing import free_port, serve_in_thread
from wechat.crypto import MessageCrypt, sign

KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
TIMEOUT = 0.5
MODES = {"safe": "dgjj", "plain": "dgtq", "compatible": "dgsb"}
Token = Callable[[str], str]


@dataclass(frozen=True)
class Delivery:
    """One callback as the gateway received it."""

    code: str
    params: dict[str, str]
    body: bytes


@dataclass
class FakeGateway:
    """The account's server: records each delivery and answers per `script`, then `reply`.

    `script[i]` decides the i-th delivery: "ok", "500" (an error status) or "hang" (no answer
    for `hang_seconds`); deliveries past the script are "ok". `reply` builds the 200 body.
    """

    accounts: dict[str, dict[str, str]]
    script: list[str] = field(default_factory=list)
    hang_seconds: float = 2.0
    reply: Callable[[FakeGateway, Delivery], bytes] = lambda gateway, delivery: b"success"
    deliveries: list[Delivery] = field(default_factory=list)

    def app(self) -> FastAPI:
        """The ASGI app serving `POST /wechat/{code}`."""
        app = FastAPI()

        @app.post("/wechat/{code}")
        async def receive(code: str, request: Request) -> Response:
            delivery = Delivery(code, dict(request.query_params), await request.body())
            self.deliveries.append(delivery)
            index = len(self.deliveries) - 1
            step = self.script[index] if index < len(self.script) else "ok"
            if step == "hang":
                await asyncio.sleep(self.hang_seconds)
            if step == "500":
                return Response("boom", status_code=500)
            return Response(self.reply(self, delivery), media_type="application/xml")

        return app

    def crypt(self, code: str) -> MessageCrypt:
        """The message crypto of the account `code`."""
        account = self.accounts[code]
        return MessageCrypt(account["token"], account["encoding_aes_key"], account["appid"])

    def message(self, delivery: Delivery) -> Element:
        """The delivered message: URL signature checked, decrypted when encrypted."""
        params, account = delivery.params, self.accounts[delivery.code]
        expected = sign(account["token"], params["timestamp"], params["nonce"])
        assert params["signature"] == expected
        envelope = fromstring(delivery.body, forbid_dtd=True)
        if params.get("encrypt_type") != "aes":
            return envelope
        plaintext = self.crypt(delivery.code).decrypt_message(
            envelope.findtext("Encrypt") or "",
            msg_signature=params["msg_signature"],
            timestamp=params["timestamp"],
            nonce=params["nonce"],
        )
        return fromstring(plaintext, forbid_dtd=True)

    def answer(self, delivery: Delivery, xml: str) -> bytes:
        """`xml` as the passive reply to `delivery`, encrypted when the delivery was."""
        if delivery.params.get("encrypt_type") != "aes":
            return xml.encode()
        crypt, timestamp, nonce = self.crypt(delivery.code), "1700000000", "4242"
        encrypted = crypt.encrypt(xml)
        signature = crypt.signature(timestamp, nonce, encrypted)
        return (
            f"<xml><Encrypt><![CDATA[{encrypted}]]></Encrypt>"
            f"<MsgSignature><![CDATA[{signature}]]></MsgSignature>"
            f"<TimeStamp>{timestamp}</TimeStamp><Nonce><![CDATA[{nonce}]]></Nonce></xml>"
        ).encode()


def text_reply(gateway: FakeGateway, delivery: Delivery, content: str) -> bytes:
    """A passive text reply to `delivery`."""
    message = gateway.message(delivery)
    xml = (
        f"<xml><ToUserName><![CDATA[{message.findtext('FromUserName')}]]></ToUserName>"
        f"<FromUserName><![CDATA[{message.findtext('ToUserName')}]]></FromUserName>"
        "<CreateTime>1700000000</CreateTime><MsgType><![CDATA[text]]></MsgType>"
        f"<Content><![CDATA[{content}]]></Content></xml>"
    )
    return gateway.answer(delivery, xml)


def echo(gateway: FakeGateway, delivery: Delivery) -> bytes:
    """Answer texts with 收到：<text>, clicks with 菜单：<key>, follows with a welcome."""
    message = gateway.message(delivery)
    event = message.findtext("Event")
    if event == "subscribe":
        return text_reply(gateway, delivery, "欢迎关注！\n回复“天气”试试。")
    if event == "CLICK":
        return text_reply(gateway, delivery, f"菜单：{message.findtext('EventKey')}")
    if message.findtext("MsgType") == "text":
        return text_reply(gateway, delivery, f"收到：{message.findtext('Content')}")
    return b"success"


Gateway = tuple[FakeGateway, str]


@pytest.fixture
def gateway(accounts: list[dict[str, str]]) -> Iterator[Gateway]:
    """A fake gateway served in a thread, answering with `echo`; and its URL."""
    fake = FakeGateway({a["code"]: a for a in accounts}, reply=echo)
    with serve_in_thread(fake.app()) as url:
        yield fake, url


@pytest.fixture
def accounts() -> list[dict[str, str]]:
    """One account per mode: dgjj safe, dgtq plain, dgsb compatible."""
    return [
        {
            "code": code,
            "appid": f"wxtest0000000{code}",
            "token": f"t-{code}",
            "app_secret": f"s-{code}",
            "encoding_aes_key": KEY,
            "mode": mode,
        }
        for mode, code in MODES.items()
    ]


@pytest.fixture
def limits() -> dict[str, Any]:
    """A short callback deadline, so that hanging attempts are quick to try."""
    return {"callback_timeout_seconds": TIMEOUT}


@pytest.fixture
def gateway_url(gateway: Gateway) -> str:
    """Callbacks go to the fake gateway."""
    return gateway[1]


@pytest.fixture
def fake(gateway: Gateway) -> FakeGateway:
    """The fake gateway."""
    return gateway[0]


def follow(client: TestClient, citizen: str, code: str) -> None:
    assert client.put(f"/sandbox/citizens/{citizen}/follows/{code}").json()["following"]


def send(client: TestClient, citizen: str, code: str, **body: Any) -> Any:
    return client.post(f"/sandbox/citizens/{citizen}/conversations/{code}/messages", json=body)


def conversation(client: TestClient, citizen: str, code: str, **params: Any) -> list[dict]:
    path = f"/sandbox/citizens/{citizen}/conversations/{code}"
    return client.get(path, params=params).json()["items"]


@pytest.mark.slow
@pytest.mark.parametrize("mode", list(MODES))
def test_a_text_message_and_its_reply(client: TestClient, fake: FakeGateway, mode: str) -> None:
    code = MODES[mode]
    follow(client, "lisi", code)
    fake.deliveries.clear()
    response = send(client, "lisi", code, kind="text", content="天气 大朗")
    assert response.status_code == 201
    own, reply = response.json()["items"]
    assert (own["direction"], own["kind"], own["content"]) == (
        "to_account",
        "text",
        {"content": "天气 大朗"},
    )
    assert (reply["direction"], reply["kind"], reply["msgtype"]) == ("to_citizen", "reply", "text")
    assert reply["content"] == {"content": "收到：天气 大朗"} and reply["id"] > own["id"]
    [delivery] = fake.deliveries
    assert delivery.code == code
    assert (delivery.params.get("encrypt_type") == "aes") == (mode != "plain")
    message = fake.message(delivery)
    accounts = client.get("/sandbox/accounts").json()["items"]
    citizens = client.get("/sandbox/citizens").json()["items"]
    assert message.findtext("ToUserName") == next(
        a["original_id"] for a in accounts if a["code"] == code
    )
    lisi = next(c for c in citizens if c["id"] == "lisi")
    assert message.findtext("FromUserName") == lisi["openids"][code]
    assert delivery.params["openid"] == lisi["openids"][code]
    assert message.findtext("Content") == "天气 大朗"


@pytest.mark.slow
def test_news_replies_are_cards(client: TestClient, fake: FakeGateway) -> None:
    def news(gateway: FakeGateway, delivery: Any) -> bytes:
        message = gateway.message(delivery)
        if message.findtext("Event") == "subscribe":
            return b"success"
        return gateway.answer(
            delivery,
            f"<xml><ToUserName><![CDATA[{message.findtext('FromUserName')}]]></ToUserName>"
            "<FromUserName><![CDATA[gh]]></FromUserName><CreateTime>1</CreateTime>"
            "<MsgType><![CDATA[news]]></MsgType><ArticleCount>1</ArticleCount><Articles>"
            "<item><Title><![CDATA[往期预报]]></Title><Description><![CDATA[<b>粗</b>]]>"
            "</Description><PicUrl><![CDATA[]]></PicUrl>"
            "<Url><![CDATA[https://h5.example.org/a]]></Url></item></Articles></xml>",
        )

    fake.reply = news
    follow(client, "zhangsan", "dgjj")
    assert conversation(client, "zhangsan", "dgjj")[-1]["kind"] == "subscribe"
    _, reply = send(client, "zhangsan", "dgjj", kind="click", key="ACCOUNT_ARTICLES").json()[
        "items"
    ]
    assert reply["msgtype"] == "news"
    assert reply["content"]["articles"][0]["description"] == "<b>粗</b>"
    assert reply["summary"] == "[图文] 往期预报"


@pytest.mark.slow
def test_a_failed_first_attempt_is_retried_with_the_same_message(
    client: TestClient, fake: FakeGateway
) -> None:
    follow(client, "lisi", "dgtq")
    fake.deliveries.clear()
    fake.script = ["500", "hang"]
    fake.hang_seconds = TIMEOUT * 3
    _, reply = send(client, "lisi", "dgtq", kind="text", content="天气").json()["items"]
    assert reply["content"] == {"content": "收到：天气"}
    assert len(fake.deliveries) == 3
    messages = [fake.message(d) for d in fake.deliveries]
    assert len({m.findtext("MsgId") for m in messages}) == 1
    assert len({m.findtext("CreateTime") for m in messages}) == 1


@pytest.mark.slow
def test_three_failed_attempts_show_wechats_apology(client: TestClient, fake: FakeGateway) -> None:
    follow(client, "lisi", "dgjj")
    fake.deliveries.clear()
    fake.script = ["hang", "hang", "hang"]
    fake.hang_seconds = TIMEOUT * 3
    started = time.monotonic()
    _, notice = send(client, "lisi", "dgjj", kind="click", key="WEATHER_TODAY").json()["items"]
    assert time.monotonic() - started < TIMEOUT * 3 + 2
    assert (notice["kind"], notice["msgtype"]) == ("failure", "notice")
    assert notice["content"]["content"] == notice["summary"] == FAILURE_NOTICE
    assert "第 3 次" in notice["content"]["reason"]
    assert len(fake.deliveries) == 3
    events = [fake.message(d) for d in fake.deliveries]
    assert {(e.findtext("CreateTime"), e.findtext("EventKey")) for e in events} == {
        (events[0].findtext("CreateTime"), "WEATHER_TODAY")
    }


@pytest.mark.slow
def test_an_unreachable_gateway_shows_the_apology(client: TestClient, state: SandboxState) -> None:
    follow(client, "wangwu", "dgtq")
    state.settings.gateway_url = f"http://127.0.0.1:{free_port()}"
    _, notice = send(client, "wangwu", "dgtq", kind="text", content="你好").json()["items"]
    assert notice["kind"] == "failure" and "连接失败" in notice["content"]["reason"]


@pytest.mark.slow
def test_an_invalid_reply_is_not_retried(client: TestClient, fake: FakeGateway) -> None:
    follow(client, "lisi", "dgjj")
    fake.deliveries.clear()
    # A safe-mode account answering in plaintext.
    fake.reply = lambda gateway, delivery: b"<xml><MsgType>text</MsgType></xml>"
    _, notice = send(client, "lisi", "dgjj", kind="text", content="你好").json()["items"]
    assert notice["kind"] == "failure" and "明文" in notice["content"]["reason"]
    assert len(fake.deliveries) == 1


@pytest.mark.slow
def test_follow_sends_subscribe_and_records_the_welcome(
    client: TestClient, fake: FakeGateway
) -> None:
    follow(client, "chenxiaomei", "dgsb")
    [delivery] = fake.deliveries
    assert fake.message(delivery).findtext("Event") == "subscribe"
    entries = conversation(client, "chenxiaomei", "dgsb")
    assert [(e["direction"], e["kind"]) for e in entries] == [
        ("to_account", "subscribe"),
        ("to_citizen", "reply"),
    ]
    assert entries[1]["content"]["content"] == "欢迎关注！\n回复“天气”试试。"
    follow(client, "chenxiaomei", "dgsb")  # already following: nothing is sent again
    assert len(fake.deliveries) == 1

    assert not client.delete("/sandbox/citizens/chenxiaomei/follows/dgsb").json()["following"]
    assert fake.message(fake.deliveries[-1]).findtext("Event") == "unsubscribe"
    after = conversation(client, "chenxiaomei", "dgsb", after=entries[-1]["id"])
    assert [e["kind"] for e in after] == ["unsubscribe"]


@pytest.mark.slow
def test_sending_needs_a_follower_and_known_parties(client: TestClient) -> None:
    refused = send(client, "lisi", "dgtq", kind="text", content="你好")
    assert refused.status_code == 409
    assert refused.headers["content-type"] == "application/problem+json"
    assert "尚未关注" in refused.json()["detail"]
    for citizen, code in (("nobody", "dgtq"), ("lisi", "nowhere")):
        missing = send(client, citizen, code, kind="text", content="你好")
        assert missing.status_code == 404
        assert client.get(f"/sandbox/citizens/{citizen}/conversations/{code}").status_code == 404
    follow(client, "lisi", "dgtq")
    for bad in ({"kind": "text", "content": ""}, {"kind": "shake"}, {"kind": "click"}):
        assert send(client, "lisi", "dgtq", **bad).status_code == 422


@pytest.mark.slow
def test_location_click_and_view_entries(client: TestClient, fake: FakeGateway, token) -> None:
    menu = {
        "button": [
            {"type": "click", "name": "今日天气", "key": "WEATHER_TODAY"},
            {"type": "view", "name": "官网", "url": "https://tq.example.org/"},
        ]
    }
    assert client.get("/sandbox/accounts/dgtq/menu").json() == {
        "account": "dgtq",
        "published": False,
        "button": [],
    }
    created = client.post("/cgi-bin/menu/create", params={"access_token": token("dgtq")}, json=menu)
    assert created.json()["errcode"] == 0
    assert client.get("/sandbox/accounts/dgtq/menu").json()["button"] == menu["button"]
    follow(client, "lisi", "dgtq")
    fake.deliveries.clear()

    place = {"latitude": 22.94, "longitude": 113.94, "scale": 16, "label": "大朗镇"}
    [shared] = send(client, "lisi", "dgtq", kind="location", **place).json()["items"]
    assert shared["content"] == place and shared["summary"] == "[位置] 大朗镇"
    clicked, answer = send(client, "lisi", "dgtq", kind="click", key="WEATHER_TODAY").json()[
        "items"
    ]
    assert clicked["content"]["name"] == "今日天气" and clicked["summary"] == "点击菜单「今日天气」"
    assert answer["content"]["content"] == "菜单：WEATHER_TODAY"
    [viewed] = send(client, "lisi", "dgtq", kind="view", url="https://tq.example.org/").json()[
        "items"
    ]
    assert viewed["content"]["name"] == "官网"
    location, click, view = (fake.message(d) for d in fake.deliveries)
    assert location.findtext("Label") == "大朗镇" and location.findtext("Scale") == "16"
    assert click.findtext("Event") == "CLICK"
    assert (view.findtext("Event"), view.findtext("EventKey")) == (
        "VIEW",
        "https://tq.example.org/",
    )


@pytest.mark.slow
def test_pushed_messages_join_the_conversation(
    client: TestClient, fake: FakeGateway, token
) -> None:
    follow(client, "lisi", "dgjj")
    before = conversation(client, "lisi", "dgjj")[-1]["id"]
    openid = client.get("/sandbox/citizens").json()["items"][1]["openids"]["dgjj"]
    access = token("dgjj")
    body = {"touser": openid, "msgtype": "text", "text": {"content": "您的业务已办结。"}}
    client.post("/cgi-bin/message/custom/send", params={"access_token": access}, json=body)
    template = {
        "touser": openid,
        "template_id": "tpl_fine-paid_01",
        "data": {"first": {"value": "罚款已缴纳"}},
    }
    client.post("/cgi-bin/message/template/send", params={"access_token": access}, json=template)
    pushed = conversation(client, "lisi", "dgjj", after=before)
    assert [(e["direction"], e["kind"], e["msgtype"]) for e in pushed] == [
        ("to_citizen", "custom", "text"),
        ("to_citizen", "template", "template"),
    ]
    assert pushed[0]["content"] == {"content": "您的业务已办结。"}
    assert pushed[1]["summary"] == "[模板消息] 罚款已缴纳"
    assert conversation(client, "lisi", "dgjj", after=pushed[-1]["id"]) == []


@pytest.mark.slow
def test_a_message_pushed_while_the_reply_is_awaited_joins_the_conversation(
    accounts: list[dict[str, str]], fake: FakeGateway, gateway_url: str
) -> None:
    settings = SandboxSettings(
        wechat_accounts=accounts, gateway_url=gateway_url, shared=SharedSettings(env="dev")
    )
    with serve_in_thread(create_app(settings)) as sandbox:
        http = httpx.Client(base_url=sandbox, trust_env=False)
        http.put("/sandbox/citizens/lisi/follows/dgtq").raise_for_status()
        secret = {
            "grant_type": "client_credential",
            "appid": "wxtest0000000dgtq",
            "secret": "s-dgtq",
        }
        access = http.get("/cgi-bin/token", params=secret).json()["access_token"]

        def late(gateway: FakeGateway, delivery: Delivery) -> bytes:
            # Like the gateway past its budget: push the answer, then answer `success`.
            body = {
                "touser": gateway.message(delivery).findtext("FromUserName"),
                "msgtype": "text",
                "text": {"content": "稍后送达的回答"},
            }
            path = f"/cgi-bin/message/custom/send?access_token={access}"
            assert http.post(path, json=body).json() == {"errcode": 0, "errmsg": "ok"}
            return b"success"

        fake.reply = late
        path = "/sandbox/citizens/lisi/conversations/dgtq"
        [own] = http.post(f"{path}/messages", json={"kind": "text", "content": "天气"}).json()[
            "items"
        ]
        pushed = http.get(path, params={"after": own["id"]}).json()["items"]
        http.close()
    assert [(e["kind"], e["summary"]) for e in pushed] == [("custom", "稍后送达的回答")]


@pytest.mark.slow
def test_the_chat_page_and_its_assets(client: TestClient) -> None:
    page = client.get("/chat")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "script-src 'self'" in page.headers["content-security-policy"]
    for element in ("citizen-select", "account-select", "messages", "menu-bar", "follow-button"):
        assert f'id="{element}"' in page.text
    assert "http" not in page.text.replace("http-equiv", "")  # nothing fetched from elsewhere
    script = client.get("/chat/assets/chat.js")
    assert script.headers["content-type"].startswith("text/javascript")
    assert ".innerHTML" not in script.text and "insertAdjacentHTML" not in script.text
    assert client.get("/chat/assets/chat.css").status_code == 200
    assert client.get("/chat/assets/secrets.txt").status_code == 404


def test_accounts_carry_their_hints_and_mode(client: TestClient) -> None:
    items = {a["code"]: a for a in client.get("/sandbox/accounts").json()["items"]}
    assert items["dgtq"]["hints"][:2] == ["天气", "天气 大朗"]
    assert (items["dgjj"]["mode"], items["dgsb"]["mode"]) == ("safe", "compatible")
