"""A captured callback query answers nothing but the message it was signed with (issue 12, §1).

- plain mode: a signature used once is bound to its message; replayed with another body (another
  openid, another menu key, another text) it is refused 403 with an alert, in memory and shared
  through Redis, while WeChat's own retries of the message still get the stored reply;
- compatible mode: Encrypt and msg_signature are required even without `encrypt_type=aes`, and
  the answer follows the decrypted message, never the plaintext copy next to it;
- outside ENV=dev, a plain-mode account gives no personal answer (a refusal and an alert), its
  public answers still work, and the gateway warns of it at start-up.
"""

from __future__ import annotations

import base64
import logging
import secrets
import socket
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from defusedxml.ElementTree import fromstring
from fastapi import FastAPI
from fastapi.testclient import TestClient

from gateway.main import create_app
from gateway.settings import GatewaySettings, WechatAccount
from gateway.wechat import routes
from gateway.wechat.citizens import PLAIN_MODE_REFUSAL, UNAVAILABLE
from gateway.wechat.crypto import WXBizMsgCrypt
from gateway.wechat.messages import ClickEvent, InboundMessage, TextMessage
from gateway.wechat.replay import ALERT, MemoryReplayGuard, replay_ttl_seconds
from gateway.wechat.replies import Reply, TextReply
from gateway.wechat.router import Context
from servicekit.answers import Answer, AnswerRequest
from servicekit.settings import SharedSettings
from wechat.crypto import MessageCrypt, sign

if TYPE_CHECKING:
    from conftest import FakeRegistry, FakeService

OPENID = "oDGcitizen0000000000000001"
OTHER_OPENID = "oDGcitizen0000000000000002"
GH_ID = "gh_dongguan00001"
PLAIN = WechatAccount(code="plain1", appid="wxplain000000001", token="tok-plain-replay-1")
COMPAT = WechatAccount(
    code="compat1",
    appid="wxcompat00000001",
    token="tok-compat-replay-1",
    encoding_aes_key="ZYXWVUTSRQPONMLKJIHGFEDCBAzyxwvutsrqponmlk0",
    mode="compatible",
)


class Spy:
    """The router: records every message routed; answers text and clicks."""

    def __init__(self) -> None:
        self.received: list[InboundMessage] = []

    async def dispatch(self, context: Context, message: InboundMessage) -> Reply | None:
        """Record `message`; answer text and clicks."""
        self.received.append(message)
        if isinstance(message, TextMessage):
            return TextReply(f"收到：{message.content}")
        if isinstance(message, ClickEvent):
            return TextReply(f"菜单：{message.event_key}")
        return None


def text_xml(content: str, *, msg_id: int, openid: str = OPENID) -> str:
    return (
        f"<xml><ToUserName><![CDATA[{GH_ID}]]></ToUserName>"
        f"<FromUserName><![CDATA[{openid}]]></FromUserName>"
        f"<CreateTime>{int(time.time())}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
        f"<Content><![CDATA[{content}]]></Content><MsgId>{msg_id}</MsgId></xml>"
    )


def click_xml(key: str, *, create_time: int, openid: str = OPENID) -> str:
    return (
        f"<xml><ToUserName><![CDATA[{GH_ID}]]></ToUserName>"
        f"<FromUserName><![CDATA[{openid}]]></FromUserName><CreateTime>{create_time}</CreateTime>"
        "<MsgType><![CDATA[event]]></MsgType><Event><![CDATA[CLICK]]></Event>"
        f"<EventKey><![CDATA[{key}]]></EventKey></xml>"
    )


def signed_query(account: WechatAccount) -> dict[str, str]:
    """A fresh URL signature, as WeChat signs each callback."""
    stamp, nonce = str(int(time.time())), str(secrets.randbelow(10**10))
    return {
        "signature": sign(account.token, stamp, nonce),
        "timestamp": stamp,
        "nonce": nonce,
        "openid": OPENID,
    }


def encrypted(
    account: WechatAccount, xml: str, query: dict[str, str]
) -> tuple[dict[str, str], str]:
    """The query with msg_signature, and the Encrypt of `xml`, for the signed `query`."""
    crypt = MessageCrypt(account.token, account.encoding_aes_key, account.appid)
    sealed = crypt.encrypt(xml)
    msg_signature = crypt.signature(query["timestamp"], query["nonce"], sealed)
    return {**query, "encrypt_type": "aes", "msg_signature": msg_signature}, sealed


def with_encrypt(xml: str, sealed: str) -> bytes:
    """Compatible mode's body: the plaintext fields and Encrypt side by side."""
    return xml.replace("</xml>", f"<Encrypt><![CDATA[{sealed}]]></Encrypt></xml>").encode()


def free_port_url() -> str:
    """A URL where nothing listens."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}"


def post(
    client: TestClient, account: WechatAccount, query: dict[str, str], body: bytes
) -> httpx.Response:
    response = client.post(f"/wechat/{account.code}", params=query, content=body)
    # Whatever happens, WeChat never sees a 5xx or JSON.
    assert response.status_code < 500
    assert "json" not in response.headers.get("content-type", "")
    return response


def content_of(response: httpx.Response) -> str:
    assert response.status_code == 200, response.text
    return fromstring(response.content, forbid_dtd=True).findtext("Content") or ""


def dev_app(spy: Spy, *, redis_url: str = "") -> FastAPI:
    settings = GatewaySettings(
        wechat_accounts=[PLAIN, COMPAT],
        redis_url=redis_url,
        accounts_url=free_port_url(),
        shared=SharedSettings(env="dev"),
    )
    app = create_app(settings)
    app.dependency_overrides[routes.message_router] = lambda: spy
    return app


class Records(logging.Handler):
    """The records logged under gateway.wechat (apps built in a test reset the root logger's
    handlers, and with them caplog's)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def alerts(self) -> list[logging.LogRecord]:
        return [r for r in self.records if getattr(r, "alert", None) == ALERT]


@pytest.fixture
def logs() -> Iterator[Records]:
    handler = Records()
    logger = logging.getLogger("gateway.wechat")
    logger.addHandler(handler)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)


@pytest.fixture
def spy() -> Spy:
    return Spy()


@pytest.fixture(params=["memory", "redis"])
def workers(request: pytest.FixtureRequest, spy: Spy) -> Iterator[list[TestClient]]:
    """Where deliveries go: one worker with its memory (twice the same client), or two workers
    sharing Redis (deliveries spread over both)."""
    if request.param == "memory":
        with TestClient(dev_app(spy)) as client:
            yield [client, client]
        return
    redis_url = request.getfixturevalue("redis_url")
    with ExitStack() as stack:
        yield [stack.enter_context(TestClient(dev_app(spy, redis_url=redis_url))) for _ in range(2)]


@pytest.fixture
def client(spy: Spy) -> Iterator[TestClient]:
    with TestClient(dev_app(spy)) as test_client:
        yield test_client


# -- a signature carries one message -------------------------------------------------------------


def test_a_signature_replayed_with_another_message_is_refused_and_alerted(
    workers: list[TestClient], spy: Spy, logs: Records
) -> None:
    first, second = workers
    query = signed_query(PLAIN)
    genuine = text_xml("天气", msg_id=6054768590064713728).encode()
    answered = post(first, PLAIN, query, genuine)
    assert content_of(answered) == "收到：天气"
    # WeChat's retry: the same query and message get the stored reply, handled once.
    retried = post(second, PLAIN, query, genuine)
    assert retried.content == answered.content
    # The captured query with another citizen's text.
    forged = text_xml("记分", msg_id=6054768590064713729, openid=OTHER_OPENID).encode()
    assert logs.alerts() == []
    refused = post(second, PLAIN, query, forged)
    assert refused.status_code == 403
    assert refused.headers["content-type"].startswith("text/plain")
    assert [m.content for m in spy.received] == ["天气"]  # type: ignore[attr-defined]
    [alert] = logs.alerts()
    assert alert.levelno == logging.ERROR
    assert alert.account == PLAIN.code  # type: ignore[attr-defined]
    for record in logs.records:
        assert OTHER_OPENID not in str(vars(record)) and OPENID not in str(vars(record))
    # A fresh signature for the other message is WeChat's, and answered.
    assert content_of(post(first, PLAIN, signed_query(PLAIN), forged)) == "收到：记分"


@pytest.mark.parametrize(
    "forged",
    [
        lambda stamp: click_xml("TRAFFIC_POINTS", create_time=stamp, openid=OTHER_OPENID),
        lambda stamp: click_xml("TRAFFIC_VIOLATIONS", create_time=stamp),
        lambda stamp: click_xml("TRAFFIC_POINTS", create_time=stamp - 1),
    ],
    ids=["another-openid", "another-key", "another-time"],
)
def test_a_menu_click_signature_replayed_with_another_event_is_refused(
    client: TestClient, spy: Spy, forged: Callable[[int], str]
) -> None:
    query = signed_query(PLAIN)
    stamp = int(query["timestamp"])
    # A callback refused before routing binds nothing: WeChat's genuine one still gets through.
    assert post(client, PLAIN, query, b"<xml><unclosed>").status_code == 400
    genuine = click_xml("TRAFFIC_POINTS", create_time=stamp).encode()
    assert content_of(post(client, PLAIN, query, genuine)) == "菜单：TRAFFIC_POINTS"
    assert post(client, PLAIN, query, forged(stamp).encode()).status_code == 403
    assert len(spy.received) == 1


async def test_the_memory_guard_forgets_a_signature_once_its_timestamp_is_stale() -> None:
    now = [1000.0]
    ttl = replay_ttl_seconds(300)
    assert ttl == 600
    guard = MemoryReplayGuard(ttl, clock=lambda: now[0])
    assert await guard.bind("sig", "message-a")
    assert await guard.bind("sig", "message-a")
    now[0] += ttl - 1
    assert not await guard.bind("sig", "message-b")
    now[0] += 1
    assert await guard.bind("sig", "message-b")


# -- compatible mode: only the encrypted message counts ------------------------------------------


def test_compatible_mode_without_encrypt_is_refused(client: TestClient, spy: Spy) -> None:
    body = text_xml("明文", msg_id=7101).encode()
    response = post(client, COMPAT, signed_query(COMPAT), body)
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("text/plain")
    assert spy.received == []


def test_compatible_mode_without_msg_signature_is_refused(client: TestClient, spy: Spy) -> None:
    xml = text_xml("明文", msg_id=7102)
    query, sealed = encrypted(COMPAT, xml, signed_query(COMPAT))
    del query["msg_signature"], query["encrypt_type"]
    response = post(client, COMPAT, query, with_encrypt(xml, sealed))
    assert response.status_code == 403
    assert spy.received == []


def test_compatible_mode_answers_the_encrypted_message_even_without_encrypt_type(
    client: TestClient, spy: Spy
) -> None:
    xml = text_xml("真的", msg_id=7103)
    query, sealed = encrypted(COMPAT, xml, signed_query(COMPAT))
    # Dropping encrypt_type=aes no longer makes the gateway trust the plaintext copy.
    del query["encrypt_type"]
    forged = xml.replace("真的", "假的").replace(OPENID, OTHER_OPENID)
    response = post(client, COMPAT, query, with_encrypt(forged, sealed))
    assert response.status_code == 200
    crypt = WXBizMsgCrypt(COMPAT.token, COMPAT.encoding_aes_key, COMPAT.appid)
    reply = fromstring(crypt.decrypt_reply(response.content), forbid_dtd=True)
    assert (reply.findtext("Content"), reply.findtext("ToUserName")) == ("收到：真的", OPENID)
    assert [(m.content, m.from_user_name) for m in spy.received] == [  # type: ignore[attr-defined]
        ("真的", OPENID)
    ]


# -- outside development, plain mode gives no personal answer -----------------------------------


def strong(prefix: str) -> str:
    """A production-grade secret nobody published."""
    return prefix + secrets.token_hex(16)


def prod_accounts() -> list[WechatAccount]:
    aes = base64.b64encode(secrets.token_bytes(32)).decode().rstrip("=")
    return [
        WechatAccount(code="dgjj", appid="wxprodtraffic001", token=strong("t")[:24]),
        WechatAccount(code="dgsb", appid="wxprodsocial0001", token=strong("s")[:24]),
        WechatAccount(
            code="dgtq",
            appid="wxprodweather001",
            token=strong("w")[:24],
            encoding_aes_key=aes,
            mode="compatible",
        ),
    ]


def prod_settings(accounts: list[WechatAccount], **urls: str) -> GatewaySettings:
    return GatewaySettings(
        wechat_accounts=accounts,
        wechat_api_base_url=free_port_url(),
        shared=SharedSettings(env="prod", internal_token_secret=strong("internal-")),
        **urls,
    )


def say(client: TestClient, account: WechatAccount, text: str) -> str:
    xml = text_xml(text, msg_id=secrets.randbelow(10**18))
    query = signed_query(account)
    if account.mode == "plain":
        return content_of(post(client, account, query, xml.encode()))
    query, sealed = encrypted(account, xml, query)
    response = post(client, account, query, with_encrypt(xml, sealed))
    assert response.status_code == 200, response.text
    crypt = WXBizMsgCrypt(account.token, account.encoding_aes_key, account.appid)
    return fromstring(crypt.decrypt_reply(response.content)).findtext("Content") or ""


PLATE = "违章 粤S12345 123456"
PUBLIC = "粤S12345 近两年交通违法1条"


def violations(request: AnswerRequest, citizen: str | None) -> Answer:
    """traffic.violations: a plate's are public; the citizen's own need the citizen."""
    if "粤S" in request.text:
        return Answer(text=PUBLIC)
    return Answer(needs_citizen=citizen is None, text=f"{citizen}的违法" if citizen else "")


def keyword(position: int, word: str, intent: str) -> dict[str, Any]:
    return {
        "position": position,
        "match": "regex",
        "patterns": [word],
        "reply_type": "intent",
        "intent": intent,
    }


@dataclass
class PersonalChat:
    """A fake registry and fake traffic and socialsec answering personal and public intents."""

    registry: FakeRegistry
    traffic: FakeService
    socialsec: FakeService

    def settings(self, accounts: list[WechatAccount], **kw: Any) -> GatewaySettings:
        """Production settings of a gateway over these fakes (development with `shared`)."""
        urls = {
            "accounts_url": self.registry.url,
            "traffic_url": self.traffic.url,
            "socialsec_url": self.socialsec.url,
        }
        if "shared" in kw:
            settings = GatewaySettings(
                wechat_accounts=accounts, wechat_api_base_url=free_port_url(), **urls, **kw
            )
        else:
            settings = prod_settings(accounts, **urls)
        for fake in (self.registry, self.traffic, self.socialsec):
            fake.secret = settings.shared.internal_token_secret
        return settings


@pytest.fixture
def personal_chat(
    fake_registry: FakeRegistry, fake_service: Callable[[str], FakeService]
) -> PersonalChat:
    rules = [
        keyword(0, "记分", "traffic.points"),
        keyword(1, "违章", "traffic.violations"),
        keyword(2, "余额", "socialsec.enquiry"),
    ]
    for code in ("dgjj", "dgsb"):
        fake_registry.configs[code] = {"keyword_rules": rules}
    traffic, socialsec = fake_service("traffic"), fake_service("socialsec")
    traffic.serves("points", "记分", "required")
    traffic.serves("violations", violations, "optional")
    socialsec.serves("enquiry", "余额", "required")
    return PersonalChat(fake_registry, traffic, socialsec)


@pytest.mark.slow
def test_outside_dev_a_plain_account_refuses_personal_answers_only(
    personal_chat: PersonalChat, logs: Records
) -> None:
    dgjj, dgsb, encrypted_dgtq = accounts = prod_accounts()
    with TestClient(create_app(personal_chat.settings(accounts))) as client:
        assert say(client, dgjj, "记分") == PLAIN_MODE_REFUSAL.format(app="东莞交警应用")
        assert say(client, dgjj, "违章") == PLAIN_MODE_REFUSAL.format(app="东莞交警应用")
        assert say(client, dgsb, "余额") == PLAIN_MODE_REFUSAL.format(app="东莞社保应用")
        # A vehicle's violations by plate and VIN suffix are public: still answered.
        assert say(client, dgjj, PLATE) == PUBLIC
    assert [(r.account, r.records) for r in logs.alerts()] == [  # type: ignore[attr-defined]
        ("dgjj", "traffic"),
        ("dgjj", "traffic"),
        ("dgsb", "socialsec"),
    ]
    # No citizen token ever left the gateway for a plain account.
    asked = personal_chat.traffic.asked + personal_chat.socialsec.asked
    assert [(a.name, a.citizen) for a in asked] == [("violations", None), ("violations", None)]
    # An encrypted account, and development, are not refused. The platform is down in both:
    # getting that far means the gate let the question through.
    dgjj = encrypted_dgtq.model_copy(update={"code": "dgjj"})
    with TestClient(create_app(personal_chat.settings([dgjj]))) as client:
        assert say(client, dgjj, "记分") == UNAVAILABLE
    plain = WechatAccount(code="dgjj", appid="wxdevtraffic0001", token="tk-dgjj")
    settings = personal_chat.settings([plain], shared=SharedSettings(env="dev"))
    with TestClient(create_app(settings)) as client:
        assert say(client, plain, "记分") == UNAVAILABLE


def test_start_up_warns_of_every_plain_account_outside_dev(logs: Records) -> None:
    settings = prod_settings(prod_accounts(), accounts_url=free_port_url())
    with TestClient(create_app(settings)):
        warned = [
            r.account  # type: ignore[attr-defined]
            for r in logs.records
            if r.levelno == logging.WARNING and "plain mode" in r.getMessage()
        ]
    assert warned == ["dgjj", "dgsb"]
