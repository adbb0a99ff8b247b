"""`GET|POST /wechat/{account_code}` end to end, with a fake weather service behind the gateway."""

from __future__ import annotations

import asyncio
import secrets
import socket
import time
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from defusedxml.ElementTree import fromstring
from fastapi.testclient import TestClient

from gateway.main import create_app
from gateway.platform import text_message
from gateway.settings import GatewaySettings, WechatAccount
from gateway.state import gateway_state
from gateway.wechat import routes
from gateway.wechat.answers import APOLOGIES
from gateway.wechat.chat_config import DGTQ_HELP
from gateway.wechat.messages import TextMessage
from gateway.wechat.replies import Reply, TextReply
from gateway.wechat.router import Context, MessageRouter
from servicekit.settings import SharedSettings
from servicekit.testing import metric_value
from wechat.crypto import sign

if TYPE_CHECKING:
    from conftest import FakeService

TOKEN = "test-token-dgtq"
APOLOGY = APOLOGIES["weather"]
FORECAST = "东莞市 12月3日（今天）：多云，15～23℃"
ACCOUNTS = [
    WechatAccount(code="dgtq", appid="wxtest00000dgtq", token=TOKEN, mode="plain"),
    WechatAccount(
        code="safe1",
        appid="wxtest0000safe1",
        token="test-token-safe1",
        encoding_aes_key="abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG",
        mode="safe",
    ),
]
XXE_BODY = (
    b'<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    b"<xml><ToUserName>gh_dgtq</ToUserName><FromUserName>o_1</FromUserName>"
    b"<CreateTime>1</CreateTime><MsgType>text</MsgType><Content>&xxe;</Content></xml>"
)


class RecordingPlatform:
    """Stands in for the platform client: records the customer-service messages sent."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str, dict[str, Any]]] = []

    async def send_custom_message(self, account: str, openid: str, message: dict[str, Any]) -> None:
        self.sent.append((account, openid, message))

    def wait_for(self, count: int, *, seconds: float) -> list[tuple[str, str, dict[str, Any]]]:
        """What was sent, once `count` messages were (or `seconds` passed)."""
        deadline = time.monotonic() + seconds
        while len(self.sent) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        return self.sent


def free_port_url() -> str:
    """A URL where nothing listens."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return f"http://127.0.0.1:{port}"


def gateway_client(weather_url: str) -> TestClient:
    # No accounts service: the accounts answer from the built-in configuration (dgtq: 天气).
    settings = GatewaySettings(
        weather_url=weather_url,
        accounts_url=free_port_url(),
        wechat_accounts=ACCOUNTS,
        shared=SharedSettings(env="dev"),
    )
    return TestClient(create_app(settings))


@pytest.fixture
def weather(fake_service: Callable[[str], FakeService]) -> FakeService:
    """The weather service: it answers weather.today."""
    service = fake_service("weather")
    service.serves("today", FORECAST)
    return service


@pytest.fixture
def client(weather: FakeService) -> Iterator[TestClient]:
    with gateway_client(weather.url) as test_client:
        yield test_client


@pytest.fixture
def closed_port_url() -> str:
    """A URL where nothing listens."""
    return free_port_url()


def signed(
    token: str = TOKEN, *, timestamp: int | None = None, nonce: str | None = None
) -> dict[str, str]:
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    # A fresh nonce per request, as WeChat: a signature is bound to the first message it carried.
    nonce = nonce or str(secrets.randbelow(10**10))
    return {
        "signature": sign(token, stamp, nonce),
        "timestamp": stamp,
        "nonce": nonce,
        "openid": "o_citizen",
    }


def text_body(content: str) -> bytes:
    return (
        "<xml><ToUserName><![CDATA[gh_dgtq]]></ToUserName>"
        "<FromUserName><![CDATA[o_citizen]]></FromUserName>"
        f"<CreateTime>{int(time.time())}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
        f"<Content><![CDATA[{content}]]></Content><MsgId>6054768590064713728</MsgId></xml>"
    ).encode()


def post(
    client: TestClient,
    body: bytes,
    *,
    account: str = "dgtq",
    params: dict[str, str] | None = None,
) -> httpx.Response:
    response = client.post(f"/wechat/{account}", params=params or signed(), content=body)
    # Whatever happens, WeChat never sees a 5xx or JSON.
    assert response.status_code < 500
    assert "json" not in response.headers.get("content-type", "")
    return response


def reply_content(response: httpx.Response) -> str:
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/xml")
    root = fromstring(response.content, forbid_dtd=True)
    assert root.findtext("ToUserName") == "o_citizen"
    assert root.findtext("FromUserName") == "gh_dgtq"
    assert root.findtext("MsgType") == "text"
    assert abs(int(root.findtext("CreateTime") or 0) - time.time()) < 60
    return root.findtext("Content") or ""


# -- GET: URL verification handshake ------------------------------------------------------------


def test_handshake_echoes_echostr(client: TestClient) -> None:
    response = client.get("/wechat/dgtq", params={**signed(), "echostr": "5837397749425513463"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    assert response.text == "5837397749425513463"


@pytest.mark.slow
def test_handshake_with_wrong_signature_is_403(client: TestClient) -> None:
    params = {**signed("wrong-token"), "echostr": "5837397749425513463"}
    response = client.get("/wechat/dgtq", params=params)
    assert response.status_code == 403
    assert response.headers["content-type"].startswith("text/plain")
    assert "5837397749425513463" not in response.text


def test_handshake_without_parameters_is_403_not_422(client: TestClient) -> None:
    response = client.get("/wechat/dgtq")
    assert response.status_code == 403
    assert response.headers["content-type"].startswith("text/plain")


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_unknown_account_is_404_text(client: TestClient, method: str) -> None:
    response = client.request(method, "/wechat/nosuch", params=signed(), content=text_body("天气"))
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/plain")


# -- POST: routing and replies ---------------------------------------------------------------


def test_weather_keyword_answers_the_weather_services_forecast(
    client: TestClient, weather: FakeService
) -> None:
    assert reply_content(post(client, text_body("天气"))) == FORECAST
    [asked] = weather.asked
    assert (asked.name, asked.request.account, asked.request.text) == ("today", "dgtq", "天气")


@pytest.mark.parametrize("text", ["今天天气怎么样", "未来预报"])
def test_weather_keyword_anywhere_in_the_text(client: TestClient, text: str) -> None:
    assert reply_content(post(client, text_body(text))) == FORECAST


def test_unmatched_text_answers_help(client: TestClient) -> None:
    content = reply_content(post(client, text_body("你好")))
    assert content == DGTQ_HELP
    assert "回复“天气”" in content


def test_weather_service_down_answers_apology(closed_port_url: str) -> None:
    with gateway_client(closed_port_url) as client:
        assert reply_content(post(client, text_body("天气"))) == APOLOGY


@pytest.mark.slow
def test_weather_service_too_slow_answers_success_and_the_apology_later(
    monkeypatch: pytest.MonkeyPatch, weather: FakeService
) -> None:
    monkeypatch.setattr(routes, "HANDLER_BUDGET_SECONDS", 0.8)
    weather.delay = 30  # its catalogue answers at once, its answers never in time
    settings = GatewaySettings(
        weather_url=weather.url,
        accounts_url=free_port_url(),
        wechat_accounts=ACCOUNTS,
        wechat_late_reply_seconds=2.0,
        shared=SharedSettings(env="dev"),
    )
    with TestClient(create_app(settings)) as client:
        platform = RecordingPlatform()
        gateway_state(client.app).late_replies.platform = platform
        started = time.monotonic()
        response = post(client, text_body("天气"))
        assert (response.status_code, response.text) == (200, "success")
        assert time.monotonic() - started < 1.5
        # The answer gave up on the weather service within its late budget and apologised.
        assert platform.wait_for(1, seconds=5) == [("dgtq", "o_citizen", text_message(APOLOGY))]
        text = client.get("/metrics").text
        late = {"account": "dgtq", "msg_type": "text", "outcome": "late"}
        assert metric_value(text, "gateway_wechat_messages_total", **late) == 1


@pytest.mark.parametrize(
    "body",
    [
        b"<xml><ToUserName>gh_dgtq</ToUserName><FromUserName>o_citizen</FromUserName>"
        b"<CreateTime>1</CreateTime><MsgType>event</MsgType><Event>subscribe</Event></xml>",
        b"<xml><ToUserName>gh_dgtq</ToUserName><FromUserName>o_citizen</FromUserName>"
        b"<CreateTime>1</CreateTime><MsgType>image</MsgType><PicUrl>http://x/y</PicUrl>"
        b"<MsgId>1</MsgId></xml>",
    ],
    ids=["event", "image"],
)
def test_events_and_other_types_answer_success(client: TestClient, body: bytes) -> None:
    response = post(client, body)
    assert (response.status_code, response.text) == (200, "success")


def test_reply_text_with_cdata_terminator_stays_intact(client: TestClient) -> None:
    tricky = "注意]]><script>&amp;"

    async def answer(context: Context, message: TextMessage) -> Reply | None:
        return TextReply(tricky)

    router = MessageRouter()
    router.on_unmatched_text("dgtq", answer)
    client.app.dependency_overrides[routes.message_router] = lambda: router
    response = post(client, text_body("任何"))
    assert "]]]]><![CDATA[>" in response.text
    assert reply_content(response) == tricky


def test_handler_error_answers_success(client: TestClient) -> None:
    async def broken(context: Context, message: TextMessage) -> Reply | None:
        raise RuntimeError("boom")

    router = MessageRouter()
    router.on_unmatched_text("dgtq", broken)
    client.app.dependency_overrides[routes.message_router] = lambda: router
    response = post(client, text_body("你好"))
    assert (response.status_code, response.text) == (200, "success")


@pytest.mark.slow
def test_handler_past_its_budget_answers_success_and_replies_later_once(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str] = []

    async def slow(context: Context, message: TextMessage) -> Reply | None:
        calls.append(message.content)
        await asyncio.sleep(0.5)
        return TextReply("久等了，这是您要的答复。")

    router = MessageRouter()
    router.on_unmatched_text("dgtq", slow)
    client.app.dependency_overrides[routes.message_router] = lambda: router
    platform = RecordingPlatform()
    gateway_state(client.app).late_replies.platform = platform
    monkeypatch.setattr(routes, "HANDLER_BUDGET_SECONDS", 0.1)
    body = text_body("你好")
    # The first delivery, and WeChat's retry while the handler is still at work.
    for _ in range(2):
        response = post(client, body)
        assert (response.status_code, response.text) == (200, "success")
    expected = ("dgtq", "o_citizen", text_message("久等了，这是您要的答复。"))
    assert platform.wait_for(1, seconds=5) == [expected]
    # A retry after the late answer went out still gets `success`, and nothing runs again.
    assert post(client, body).text == "success"
    time.sleep(0.2)
    assert calls == ["你好"] and platform.sent == [expected]


def test_safe_mode_callback_without_msg_signature_is_403(client: TestClient) -> None:
    body = (
        b"<xml><ToUserName><![CDATA[gh_safe]]></ToUserName><Encrypt><![CDATA[abc]]></Encrypt></xml>"
    )
    response = post(client, body, account="safe1", params=signed("test-token-safe1"))
    assert response.status_code == 403
    assert response.headers["content-type"].startswith("text/plain")


# -- POST: refusals, in the order they are checked -----------------------------------------------


def test_wrong_signature_is_403_without_parsing_the_body(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    parsed: list[bytes] = []
    real_parse = routes.parse_xml

    def spy(body: bytes) -> dict[str, str]:
        parsed.append(body)
        return real_parse(body)

    monkeypatch.setattr(routes, "parse_xml", spy)
    for body in (XXE_BODY, b"<xml><unclosed>"):
        response = post(client, body, params=signed("wrong-token"))
        assert response.status_code == 403
    assert parsed == []
    # The same XXE body correctly signed is parsed, and refused safely.
    response = post(client, XXE_BODY)
    assert parsed == [XXE_BODY]
    assert response.status_code == 400
    assert "root:" not in response.text


def test_missing_signature_is_403(client: TestClient) -> None:
    response = client.post("/wechat/dgtq", content=text_body("天气"))
    assert response.status_code == 403


@pytest.mark.parametrize("offset", [-301, 301])
def test_stale_or_future_timestamp_is_403(client: TestClient, offset: int) -> None:
    params = signed(timestamp=int(time.time()) + offset)
    response = post(client, text_body("天气"), params=params)
    assert response.status_code == 403


def test_oversize_body_is_413(client: TestClient) -> None:
    response = post(client, b"x" * (64 * 1024 + 1))
    assert response.status_code == 413


def test_oversize_streamed_body_without_length_is_413(client: TestClient) -> None:
    chunks = iter([b"x" * 40_000, b"x" * 40_000])
    response = client.post("/wechat/dgtq", params=signed(), content=chunks)
    assert response.status_code == 413


def test_body_at_the_cap_is_read(client: TestClient) -> None:
    body = text_body("天气")
    padded = body.replace(b"</xml>", b" " * (64 * 1024 - len(body)) + b"</xml>")
    assert len(padded) == 64 * 1024
    assert reply_content(post(client, padded)).startswith("东莞市 ")


@pytest.mark.parametrize(
    "body",
    [
        b'<!DOCTYPE xml [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
        b"<xml><Content>&b;</Content></xml>",
        b"<!DOCTYPE xml><xml><MsgType>text</MsgType></xml>",
        b"<xml><unclosed>",
        b"",
        "<xml><Content>天气</Content></xml>".encode("gbk"),
        b"<xml><ToUserName>gh_dgtq</ToUserName><MsgType>text</MsgType></xml>",
    ],
    ids=["entity-expansion", "doctype", "malformed", "empty", "not-utf8", "missing-fields"],
)
def test_unacceptable_bodies_are_refused_with_400_text(client: TestClient, body: bytes) -> None:
    response = post(client, body)
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("text/plain")


# -- metrics -----------------------------------------------------------------------------------


def test_each_callback_is_counted_by_account_type_and_outcome(client: TestClient) -> None:
    # WeChat's retry repeats the message byte for byte (its CreateTime too, which a fresh body
    # would change when the second turns).
    message = text_body("天气")
    assert reply_content(post(client, message)) == FORECAST
    post(client, message)
    post(client, text_body("天气"), params=signed("wrong-token"))
    text = client.get("/metrics").text
    counted = {
        outcome: metric_value(
            text,
            "gateway_wechat_messages_total",
            account="dgtq",
            msg_type="unknown" if outcome == "refused" else "text",
            outcome=outcome,
        )
        for outcome in ("answered", "deduplicated", "refused", "late")
    }
    assert counted == {"answered": 1, "deduplicated": 1, "refused": 1, "late": None}
    # The weather service's calls were timed, the unreachable accounts service's counted as
    # errors; no openid is ever a label.
    count = "gateway_upstream_request_duration_seconds_count"
    assert (metric_value(text, count, service="weather") or 0) >= 1
    errors = "gateway_upstream_errors_total"
    assert metric_value(text, errors, service="weather", kind="unreachable") is None
    assert (metric_value(text, errors, service="accounts", kind="unreachable") or 0) >= 1
    assert "o_citizen" not in text
