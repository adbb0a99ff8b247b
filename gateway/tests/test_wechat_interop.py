"""The callback end to end with wechatpy as the WeChat platform, in plain, compatible and safe mode.

wechatpy (an independent implementation, test-only) signs and encrypts what WeChat would send and
decrypts and parses the gateway's replies. A spy router stands in for the handlers: it counts
every message that reaches routing, so "no side effect" means "the spy saw nothing".
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
import wechatpy
from defusedxml.ElementTree import fromstring
from fastapi import FastAPI
from fastapi.testclient import TestClient
from wechatpy.crypto import WeChatCrypto
from wechatpy.utils import WeChatSigner

from gateway.main import create_app
from gateway.settings import GatewaySettings, WechatAccount
from gateway.state import gateway_state
from gateway.wechat import routes
from gateway.wechat.dedup import DedupStore
from gateway.wechat.messages import (
    ClickEvent,
    ImageMessage,
    InboundMessage,
    LocationMessage,
    LocationSelectEvent,
    MassSendJobFinishEvent,
    PicEvent,
    ScanCodeEvent,
    SubscribeEvent,
    TextMessage,
)
from gateway.wechat.replies import Reply, TextReply
from gateway.wechat.router import Context
from servicekit.settings import SharedSettings

OPENID = "oDGcitizen0000000000000001"
GH_ID = "gh_dongguan00001"
ACCOUNTS = {
    "plain": WechatAccount(code="plain1", appid="wxplain000000001", token="tok-plain"),
    "compatible": WechatAccount(
        code="compat1",
        appid="wxcompat00000001",
        token="tok-compat",
        encoding_aes_key="ZYXWVUTSRQPONMLKJIHGFEDCBAzyxwvutsrqponmlk0",
        mode="compatible",
    ),
    "safe": WechatAccount(
        code="safe1",
        appid="wxsafe0000000001",
        token="tok-safe",
        encoding_aes_key="abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG",
        mode="safe",
    ),
}
MODES = list(ACCOUNTS)
ENCRYPTED_MODES = ["compatible", "safe"]


@dataclass
class Spy:
    """The router: records every message routed; answers text and clicks."""

    received: list[InboundMessage] = field(default_factory=list)
    delay: float = 0.0
    before_answer: Callable[[], Any] | None = None

    async def dispatch(self, context: Context, message: InboundMessage) -> Reply | None:
        """Record `message`; answer text and clicks."""
        self.received.append(message)
        if self.before_answer is not None:
            await self.before_answer()
        await asyncio.sleep(self.delay)
        if isinstance(message, TextMessage):
            return TextReply(f"收到：{message.content}")
        if isinstance(message, ClickEvent):
            return TextReply(f"菜单：{message.event_key}")
        return None


def text_xml(content: str = "你好", *, msg_id: int = 6054768590064713728) -> str:
    return (
        f"<xml><ToUserName><![CDATA[{GH_ID}]]></ToUserName>"
        f"<FromUserName><![CDATA[{OPENID}]]></FromUserName>"
        f"<CreateTime>{int(time.time())}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
        f"<Content><![CDATA[{content}]]></Content><MsgId>{msg_id}</MsgId></xml>"
    )


def event_xml(name: str, extra: str = "", *, create_time: int | None = None) -> str:
    stamp = int(time.time()) if create_time is None else create_time
    return (
        f"<xml><ToUserName><![CDATA[{GH_ID}]]></ToUserName>"
        f"<FromUserName><![CDATA[{OPENID}]]></FromUserName><CreateTime>{stamp}</CreateTime>"
        f"<MsgType><![CDATA[event]]></MsgType><Event><![CDATA[{name}]]></Event>{extra}</xml>"
    )


class WeChatPeer:
    """wechatpy playing the WeChat platform for one account: what it sends, how it reads replies."""

    def __init__(self, mode: str, *, appid: str | None = None, aes_key: str | None = None) -> None:
        self.mode = mode
        self.account = ACCOUNTS[mode]
        self.crypto = WeChatCrypto(
            self.account.token,
            aes_key or self.account.encoding_aes_key or ACCOUNTS["safe"].encoding_aes_key,
            appid or self.account.appid,
        )

    @property
    def path(self) -> str:
        return f"/wechat/{self.account.code}"

    def request(
        self, xml: str, *, timestamp: int | None = None, token: str | None = None
    ) -> tuple[dict[str, str], bytes]:
        """Query and body of one delivery of `xml`, signed (and encrypted) as WeChat does."""
        stamp = str(int(time.time()) if timestamp is None else timestamp)
        nonce = str(secrets.randbelow(10**9))
        signer = WeChatSigner()
        signer.add_data(token or self.account.token, stamp, nonce)
        params = {
            "signature": signer.signature,
            "timestamp": stamp,
            "nonce": nonce,
            "openid": OPENID,
        }
        if self.mode == "plain":
            return params, xml.encode()
        envelope = leaves(self.crypto.encrypt_message(xml, nonce, stamp))
        params |= {"encrypt_type": "aes", "msg_signature": envelope["MsgSignature"]}
        encrypt = f"<Encrypt><![CDATA[{envelope['Encrypt']}]]></Encrypt>"
        if self.mode == "safe":
            return (
                params,
                f"<xml><ToUserName><![CDATA[{GH_ID}]]></ToUserName>{encrypt}</xml>".encode(),
            )
        return params, xml.replace("</xml>", f"{encrypt}</xml>").encode()

    def reply_xml(self, response: httpx.Response) -> str | None:
        """The reply as WeChat reads it (decrypted and verified if encrypted); None for success."""
        assert_answer_for_wechat(response)
        assert response.status_code == 200
        if response.text == "success":
            return None
        if self.mode == "plain":
            return response.text
        envelope = leaves(response.text)
        assert set(envelope) == {"Encrypt", "MsgSignature", "TimeStamp", "Nonce"}
        return self.crypto.decrypt_message(
            response.text, envelope["MsgSignature"], envelope["TimeStamp"], envelope["Nonce"]
        )

    def reply(self, response: httpx.Response) -> Any:
        """The reply parsed by wechatpy."""
        xml = self.reply_xml(response)
        return None if xml is None else wechatpy.parse_message(xml)


def leaves(xml: str) -> dict[str, str]:
    """The root's child elements as {tag: text}."""
    return {child.tag: child.text or "" for child in fromstring(xml, forbid_dtd=True)}


def assert_answer_for_wechat(response: httpx.Response) -> None:
    """Whatever happens, WeChat never gets a 5xx or JSON."""
    assert response.status_code < 500
    assert "json" not in response.headers.get("content-type", "")


def make_app(spy: Spy, *, redis_url: str = "") -> FastAPI:
    settings = GatewaySettings(
        wechat_accounts=list(ACCOUNTS.values()),
        redis_url=redis_url,
        shared=SharedSettings(env="dev"),
    )
    app = create_app(settings)
    app.dependency_overrides[routes.message_router] = lambda: spy
    return app


@pytest.fixture
def spy() -> Spy:
    return Spy()


@pytest.fixture
def client(spy: Spy) -> Iterator[TestClient]:
    with TestClient(make_app(spy)) as test_client:
        yield test_client


def deliver(client: TestClient, peer: WeChatPeer, xml: str, **kwargs: Any) -> httpx.Response:
    params, body = peer.request(xml, **kwargs)
    response = client.post(peer.path, params=params, content=body)
    assert_answer_for_wechat(response)
    return response


# -- the round trip in each mode -----------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
def test_text_round_trip(client: TestClient, spy: Spy, mode: str) -> None:
    peer = WeChatPeer(mode)
    response = deliver(client, peer, text_xml("东莞天气"))
    [message] = spy.received
    assert isinstance(message, TextMessage)
    assert (message.content, message.from_user_name, message.to_user_name) == (
        "东莞天气",
        OPENID,
        GH_ID,
    )
    reply = peer.reply(response)
    assert isinstance(reply, wechatpy.messages.TextMessage)
    assert (reply.content, reply.source, reply.target) == ("收到：东莞天气", GH_ID, OPENID)
    assert abs(reply.create_time.timestamp() - time.time()) < 60
    # Encrypted requests get encrypted replies, with nothing in clear.
    assert ("收到" in response.text) == (mode == "plain")
    assert ("<Encrypt>" in response.text) == (mode != "plain")


@pytest.mark.parametrize("mode", MODES)
def test_no_reply_is_success_in_clear(client: TestClient, spy: Spy, mode: str) -> None:
    response = deliver(client, WeChatPeer(mode), event_xml("unsubscribe"))
    assert (response.status_code, response.text) == (200, "success")
    assert len(spy.received) == 1


def test_compatible_mode_without_encryption_is_refused(client: TestClient, spy: Spy) -> None:
    peer = WeChatPeer("compatible")
    # Only Encrypt is authenticated: a plaintext-only callback could carry any body.
    params, body = WeChatPeer("plain").request(text_xml("明文"), token=peer.account.token)
    response = client.post(peer.path, params=params, content=body)
    assert_answer_for_wechat(response)
    assert response.status_code == 400
    assert spy.received == []


def test_compatible_mode_uses_the_decrypted_message(client: TestClient, spy: Spy) -> None:
    peer = WeChatPeer("compatible")
    params, body = peer.request(text_xml("真的"))
    # The plaintext fields are not covered by any signature: they must not be what is used.
    forged = body.replace("<![CDATA[真的]]>".encode(), "<![CDATA[假的]]>".encode(), 1)
    assert forged != body
    response = client.post(peer.path, params=params, content=forged)
    assert peer.reply(response).content == "收到：真的"
    assert [m.content for m in spy.received] == ["真的"]  # type: ignore[attr-defined]


TYPED = [
    (
        event_xml(
            "scancode_waitmsg",
            "<EventKey>rselfmenu_0_1</EventKey><ScanCodeInfo><ScanType>qrcode</ScanType>"
            "<ScanResult><![CDATA[https://dg.gov.cn/q?id=1]]></ScanResult></ScanCodeInfo>",
        ),
        ScanCodeEvent,
        lambda m: m.scan_code_info.scan_result == "https://dg.gov.cn/q?id=1",
    ),
    (
        event_xml(
            "pic_weixin",
            "<EventKey>k</EventKey><SendPicsInfo><Count>2</Count><PicList><item><PicMd5Sum>a"
            "</PicMd5Sum></item><item><PicMd5Sum>b</PicMd5Sum></item></PicList></SendPicsInfo>",
        ),
        PicEvent,
        lambda m: [p.pic_md5_sum for p in m.send_pics_info.pic_list] == ["a", "b"],
    ),
    (
        event_xml(
            "location_select",
            "<EventKey>k</EventKey><SendLocationInfo><Location_X>23.02</Location_X>"
            "<Location_Y>113.75</Location_Y><Scale>15</Scale><Label>东莞</Label>"
            "<Poiname>市民服务中心</Poiname></SendLocationInfo>",
        ),
        LocationSelectEvent,
        lambda m: m.send_location_info.poiname == "市民服务中心",
    ),
    (
        event_xml(
            "MASSSENDJOBFINISH",
            "<MsgID>1000001625</MsgID><Status>send success</Status><TotalCount>100</TotalCount>"
            "<FilterCount>80</FilterCount><SentCount>75</SentCount><ErrorCount>5</ErrorCount>",
        ),
        MassSendJobFinishEvent,
        lambda m: (m.total_count, m.error_count) == (100, 5),
    ),
    (
        event_xml("subscribe", "<EventKey>qrscene_42</EventKey><Ticket>T</Ticket>"),
        SubscribeEvent,
        lambda m: m.scene == "42",
    ),
    (
        text_xml().replace("<MsgType><![CDATA[text]]></MsgType>", "<MsgType>image</MsgType>"),
        ImageMessage,
        lambda m: m.msg_id == 6054768590064713728,
    ),
    (
        text_xml().replace(
            "<MsgType><![CDATA[text]]></MsgType>",
            "<MsgType>location</MsgType><Location_X>23.1</Location_X><Location_Y>113.2</Location_Y>",
        ),
        LocationMessage,
        lambda m: (m.latitude, m.longitude) == (23.1, 113.2),
    ),
]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(("xml", "model", "check"), TYPED, ids=[t[1].__name__ for t in TYPED])
def test_every_type_arrives_typed_with_its_nested_elements(
    client: TestClient, spy: Spy, mode: str, xml: str, model: type, check: Callable[[Any], bool]
) -> None:
    response = deliver(client, WeChatPeer(mode), xml)
    assert response.text == "success"
    [message] = spy.received
    assert isinstance(message, model)
    assert check(message)


def test_unknown_types_are_answered_not_refused(client: TestClient, spy: Spy) -> None:
    peer = WeChatPeer("safe")
    response = deliver(client, peer, event_xml("some_future_event", "<Mystery><A>1</A></Mystery>"))
    assert (response.status_code, response.text) == (200, "success")
    assert spy.received[0].raw["Event"] == "some_future_event"


# -- refusals: no side effect, no 5xx --------------------------------------------------------------


def _wrong_signature(peer: WeChatPeer, xml: str) -> tuple[dict[str, str], bytes]:
    return peer.request(xml, token="not-the-token")


def _wrong_msg_signature(peer: WeChatPeer, xml: str) -> tuple[dict[str, str], bytes]:
    params, body = peer.request(xml)
    return {**params, "msg_signature": "0" * 40}, body


def _wrong_appid(peer: WeChatPeer, xml: str) -> tuple[dict[str, str], bytes]:
    return WeChatPeer(peer.mode, appid="wxsomeoneelse001").request(xml)


def _wrong_aes_key(peer: WeChatPeer, xml: str) -> tuple[dict[str, str], bytes]:
    other_key = "0123456789ABCDEFGabcdefghijklmnopqrstuvwxyz"
    return WeChatPeer(peer.mode, aes_key=other_key).request(xml)


def _ten_minutes_old(peer: WeChatPeer, xml: str) -> tuple[dict[str, str], bytes]:
    return peer.request(xml, timestamp=int(time.time()) - 600)


def _doctype_outside(peer: WeChatPeer, xml: str) -> tuple[dict[str, str], bytes]:
    params, body = peer.request(xml)
    return params, b"<!DOCTYPE xml>" + body


def _entity_outside(peer: WeChatPeer, xml: str) -> tuple[dict[str, str], bytes]:
    params, body = peer.request(xml)
    entity = b'<!DOCTYPE xml [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;">]>'
    return params, entity + body.replace(b"</xml>", b"<X>&b;</X></xml>")


def _external_entity_inside(peer: WeChatPeer, xml: str) -> tuple[dict[str, str], bytes]:
    xxe = '<!DOCTYPE xml [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    return peer.request(xxe + xml.replace("你好", "&xxe;"))


def _one_mebibyte(peer: WeChatPeer, xml: str) -> tuple[dict[str, str], bytes]:
    params, body = peer.request(xml)
    return params, body.replace(b"</xml>", b" " * (1024 * 1024) + b"</xml>")


ATTACKS: list[tuple[str, Callable[[WeChatPeer, str], tuple[dict[str, str], bytes]], int]] = [
    *[(mode, _wrong_signature, 403) for mode in MODES],
    *[(mode, _wrong_msg_signature, 403) for mode in ENCRYPTED_MODES],
    *[(mode, _wrong_appid, 403) for mode in ENCRYPTED_MODES],
    *[(mode, _wrong_aes_key, 400) for mode in ENCRYPTED_MODES],
    *[(mode, _ten_minutes_old, 403) for mode in MODES],
    *[(mode, _doctype_outside, 400) for mode in MODES],
    *[(mode, _entity_outside, 400) for mode in MODES],
    *[(mode, _external_entity_inside, 400) for mode in MODES],
    *[(mode, _one_mebibyte, 413) for mode in MODES],
]


@pytest.mark.parametrize(
    ("mode", "attack", "status"),
    ATTACKS,
    ids=[f"{mode}-{attack.__name__.strip('_')}" for mode, attack, _ in ATTACKS],
)
def test_refusals_have_no_side_effect(
    client: TestClient, spy: Spy, mode: str, attack: Callable[..., Any], status: int
) -> None:
    peer = WeChatPeer(mode)
    xml = text_xml()
    params, body = attack(peer, xml)
    response = client.post(peer.path, params=params, content=body)
    assert_answer_for_wechat(response)
    assert response.status_code == status
    assert response.headers["content-type"].startswith("text/plain")
    assert spy.received == []
    # Nor was the message claimed: WeChat's genuine delivery of it is handled normally.
    genuine = deliver(client, peer, xml)
    assert peer.reply(genuine).content == "收到：你好"
    assert len(spy.received) == 1


# -- de-duplication: one side effect, identical replies -------------------------------------------


MESSAGES = {
    "text": lambda: text_xml("办社保"),
    "click": lambda: event_xml("CLICK", "<EventKey>SOCIALSEC_PHONE</EventKey>"),
}


@pytest.mark.parametrize("kind", list(MESSAGES))
@pytest.mark.parametrize("mode", MODES)
def test_the_same_message_three_times_in_a_row(
    client: TestClient, spy: Spy, mode: str, kind: str
) -> None:
    peer = WeChatPeer(mode)
    xml = MESSAGES[kind]()
    # Each retry is signed and encrypted afresh, as WeChat does; the message inside is the same.
    responses = [deliver(client, peer, xml) for _ in range(3)]
    assert len(spy.received) == 1
    replies = [peer.reply_xml(response) for response in responses]
    assert replies[0] is not None and replies.count(replies[0]) == 3
    # The stored body is the final one: byte-identical even when encrypted.
    assert len({response.content for response in responses}) == 1


async def _three_at_once(apps: list[FastAPI], spy: Spy, peer: WeChatPeer, xml: str) -> list:
    """Deliver `xml` 3 times concurrently (spread over `apps`); the handler answers only once
    the other two deliveries are waiting for it, which proves they overlapped."""
    waiting = 0

    def counting(store: DedupStore) -> None:
        real_wait = store.wait

        async def wait(key: str, timeout: float) -> str | None:
            nonlocal waiting
            waiting += 1
            return await real_wait(key, timeout)

        store.wait = wait  # type: ignore[method-assign]

    async def until_both_wait() -> None:
        async with asyncio.timeout(3):
            while waiting < 2:
                await asyncio.sleep(0.01)

    spy.before_answer = until_both_wait
    for app in apps:
        counting(gateway_state(app).wechat_dedup)
    clients = [
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gateway")
        for app in apps
    ]
    try:
        requests = [peer.request(xml) for _ in range(3)]
        responses = await asyncio.gather(
            *(
                clients[i % len(clients)].post(peer.path, params=params, content=body)
                for i, (params, body) in enumerate(requests)
            )
        )
    finally:
        for each in clients:
            await each.aclose()
    assert waiting == 2
    return list(responses)


async def _run_lifespans(apps: list[FastAPI], body: Callable[[], Any]) -> Any:
    if not apps:
        return await body()
    async with apps[0].router.lifespan_context(apps[0]):
        return await _run_lifespans(apps[1:], body)


@pytest.mark.parametrize("kind", list(MESSAGES))
@pytest.mark.parametrize("mode", MODES)
async def test_the_same_message_three_times_at_once(mode: str, kind: str) -> None:
    spy = Spy()
    apps = [make_app(spy)]
    peer = WeChatPeer(mode)
    xml = MESSAGES[kind]()
    responses = await _run_lifespans(apps, lambda: _three_at_once(apps, spy, peer, xml))
    assert len(spy.received) == 1
    replies = [peer.reply_xml(response) for response in responses]
    assert replies[0] is not None and replies.count(replies[0]) == 3
    assert len({response.content for response in responses}) == 1


@pytest.mark.parametrize("mode", MODES)
async def test_two_workers_sharing_redis_handle_a_message_once(redis_url: str, mode: str) -> None:
    spy = Spy()
    apps = [make_app(spy, redis_url=redis_url), make_app(spy, redis_url=redis_url)]
    peer = WeChatPeer(mode)
    xml = text_xml("两个进程")
    responses = await _run_lifespans(apps, lambda: _three_at_once(apps, spy, peer, xml))
    assert len(spy.received) == 1
    contents = [wechatpy.parse_message(peer.reply_xml(r)).content for r in responses]
    assert contents == ["收到：两个进程"] * 3
    assert len({response.content for response in responses}) == 1

    # A later retry, to either worker, gets the stored reply without running the handler.
    async def retry() -> list[httpx.Response]:
        answers = []
        for app in apps:
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as c:
                params, body = peer.request(xml)
                answers.append(await c.post(peer.path, params=params, content=body))
        return answers

    spy.before_answer = None
    later = await _run_lifespans(apps, retry)
    assert len(spy.received) == 1
    assert {r.content for r in later} == {responses[0].content}


# -- logs ----------------------------------------------------------------------------------------


def test_logs_never_hold_the_openid(
    client: TestClient, spy: Spy, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG):
        for mode in MODES:
            peer = WeChatPeer(mode)
            deliver(client, peer, text_xml())
            deliver(client, peer, text_xml())
            deliver(client, peer, event_xml("some_future_event"))
            for attack in (_wrong_signature, _ten_minutes_old):
                params, body = attack(peer, text_xml())
                client.post(peer.path, params=params, content=body)
    assert caplog.records
    for record in caplog.records:
        assert OPENID not in record.getMessage()
        assert OPENID not in str(vars(record))
