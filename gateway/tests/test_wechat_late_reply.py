"""Answers that miss the passive reply's deadline: `success` in time, then the real answer as a
customer-service message. End to end with a fake registry, a fake socialsec whose answers take
6 s, and the sandbox as the WeChat platform; and `LateReplies` on its own."""

from __future__ import annotations

import asyncio
import itertools
import logging
import secrets
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, cast

import httpx
import pytest
from fastapi.testclient import TestClient

from gateway.main import create_app
from gateway.platform import PlatformClient, PlatformError
from gateway.settings import GatewaySettings, WechatAccount
from gateway.wechat.late import LateReplies
from gateway.wechat.replies import Article, NewsReply, Reply, TextReply
from servicekit.settings import SharedSettings
from servicekit.testing import free_port
from wechat.crypto import sign

if TYPE_CHECKING:
    from conftest import FakeRegistry, FakeService

UPSTREAM_SECONDS = 6.0
OFFICE = "大朗镇社保分局电话：83106399"
_msg_ids = itertools.count(8_100_000_000_000_000_000)


def callback(account: WechatAccount, openid: str, text: str, msg_id: int) -> dict[str, Any]:
    """The request WeChat sends for a citizen's text: signed query and XML body."""
    stamp, nonce = str(int(time.time())), str(secrets.randbelow(10**10))
    body = (
        f"<xml><ToUserName><![CDATA[gh_{account.code}]]></ToUserName>"
        f"<FromUserName><![CDATA[{openid}]]></FromUserName>"
        f"<CreateTime>{stamp}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
        f"<Content><![CDATA[{text}]]></Content><MsgId>{msg_id}</MsgId></xml>"
    )
    params = {"signature": sign(account.token, stamp, nonce), "timestamp": stamp, "nonce": nonce}
    return {"params": {**params, "openid": openid}, "content": body.encode()}


def wait_for_inbox(sandbox: httpx.Client, citizen: str, seconds: float) -> list[dict[str, Any]]:
    """The citizen's inbox once something arrived (or `seconds` passed)."""
    deadline = time.monotonic() + seconds
    while True:
        items = sandbox.get(f"/sandbox/citizens/{citizen}/inbox").json()["items"]
        if items or time.monotonic() > deadline:
            return items
        time.sleep(0.1)


@pytest.mark.slow
def test_a_6_s_upstream_answers_success_in_time_and_the_real_answer_as_a_custom_message(
    fake_registry: FakeRegistry,
    fake_service: Callable[[str], FakeService],
    chat_sandbox_url: str,
    chat_accounts: list[WechatAccount],
) -> None:
    lxdl = next(a for a in chat_accounts if a.code == "lxdl")
    rule = {
        "position": 0,
        "match": "regex",
        "patterns": [r"社保.*(电话|号码)"],
        "reply_type": "intent",
        "intent": "socialsec.office_phone",
        "params": {"town": "dalang"},
    }
    fake_registry.configs["lxdl"] = {"keyword_rules": [rule]}
    socialsec = fake_service("socialsec")
    socialsec.serves("office_phone", OFFICE)
    socialsec.delay = UPSTREAM_SECONDS
    settings = GatewaySettings(
        accounts_url=fake_registry.url,
        socialsec_url=socialsec.url,
        weather_url=f"http://127.0.0.1:{free_port()}",
        wechat_api_base_url=chat_sandbox_url,
        wechat_accounts=chat_accounts,
        shared=SharedSettings(env="dev"),
    )
    with (
        TestClient(create_app(settings)) as client,
        httpx.Client(base_url=chat_sandbox_url) as sandbox,
    ):
        # Following opens the 48 h window for customer-service messages.
        openid = sandbox.put("/sandbox/citizens/lisi/follows/lxdl").json()["openid"]
        # 荔香大朗's keyword rule asks socialsec for the office phone of dalang.
        request = callback(lxdl, openid, "要办社保，可是不知道电话咋办。", next(_msg_ids))
        started = time.monotonic()
        response = client.post("/wechat/lxdl", **request)
        elapsed = time.monotonic() - started
        assert (response.status_code, response.text) == (200, "success")
        assert elapsed < 4.5
        # WeChat's retry of the same message gets the stored `success` and starts nothing.
        assert client.post("/wechat/lxdl", **request).text == "success"

        [item] = wait_for_inbox(sandbox, "lisi", seconds=UPSTREAM_SECONDS + 5)
        assert (item["kind"], item["account"], item["openid"]) == ("custom", "lxdl", openid)
        assert item["msgtype"] == "text"
        assert item["content"]["content"] == OFFICE
        assert len(socialsec.asked) == 1
        stats = sandbox.get("/sandbox/stats").json()
        assert stats["api_calls"]["/cgi-bin/message/custom/send"] == 1


# -- LateReplies on its own ----------------------------------------------------------------------


class RecordingPlatform:
    """Stands in for the platform client: records sends, or refuses them all with `error`."""

    def __init__(self, error: Exception | None = None) -> None:
        self.error = error
        self.sent: list[tuple[str, str, dict[str, Any]]] = []

    async def send_custom_message(self, account: str, openid: str, message: dict[str, Any]) -> None:
        if self.error is not None:
            raise self.error
        self.sent.append((account, openid, message))


def late_replies(platform: RecordingPlatform) -> LateReplies:
    return LateReplies(cast(PlatformClient, platform))


async def answer(reply: Reply | None, delay: float = 0.0) -> Reply | None:
    await asyncio.sleep(delay)
    return reply


async def test_each_reply_kind_goes_out_as_its_custom_message() -> None:
    platform = RecordingPlatform()
    late = late_replies(platform)
    news = NewsReply(
        (
            Article(
                "大朗社保分局",
                "办公时间 9:00-17:00",
                "https://h5.example.org/a",
                "https://img.example.org/1.png",
            ),
            Article("第二篇", url="https://h5.example.org/b"),
        )
    )
    for reply in (TextReply("您好"), news, None):
        late.deliver_when_done(asyncio.create_task(answer(reply)), "dgsb", "o_1")
    await late.close()
    assert platform.sent == [
        ("dgsb", "o_1", {"msgtype": "text", "text": {"content": "您好"}}),
        # WeChat takes a single article in a customer-service news message.
        (
            "dgsb",
            "o_1",
            {
                "msgtype": "news",
                "news": {
                    "articles": [
                        {
                            "title": "大朗社保分局",
                            "description": "办公时间 9:00-17:00",
                            "url": "https://h5.example.org/a",
                            "picurl": "https://img.example.org/1.png",
                        }
                    ]
                },
            },
        ),
    ]


async def test_a_refused_delivery_is_logged_without_personal_data(
    caplog: pytest.LogCaptureFixture,
) -> None:
    late = late_replies(RecordingPlatform(PlatformError(45015, "response out of time limit")))
    caplog.set_level(logging.INFO, logger="gateway.wechat.late")
    late.deliver_when_done(asyncio.create_task(answer(TextReply("身份证号 4419"))), "dgsb", "o_x")
    await late.close()
    [record] = caplog.records
    assert record.levelno == logging.ERROR and "45015" in record.getMessage()
    assert "4419" not in caplog.text and "o_x" not in caplog.text


async def test_a_failed_handler_sends_nothing(caplog: pytest.LogCaptureFixture) -> None:
    platform = RecordingPlatform()
    late = late_replies(platform)

    async def broken() -> Reply | None:
        raise RuntimeError("boom")

    late.deliver_when_done(asyncio.create_task(broken()), "dgsb", "o_1")
    await late.close()
    assert platform.sent == [] and "late handler failed" in caplog.text


@pytest.mark.slow
async def test_shutdown_waits_briefly_then_cancels_the_handlers() -> None:
    platform = RecordingPlatform()
    late = late_replies(platform)
    quick = asyncio.create_task(answer(TextReply("马上好"), delay=0.05))
    slow = asyncio.create_task(answer(TextReply("太慢了"), delay=30))
    late.deliver_when_done(quick, "dgsb", "o_1")
    late.deliver_when_done(slow, "dgsb", "o_2")
    started = time.monotonic()
    await late.close(grace=0.3)
    assert time.monotonic() - started < 1
    assert slow.cancelled()
    assert [openid for _, openid, _ in platform.sent] == ["o_1"]
