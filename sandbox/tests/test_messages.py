"""Customer-service, template and mass messages: rules, quotas, error codes and the inboxes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from sandbox.state import SandboxState

Token = Callable[[str], str]
Openid = Callable[[str, str], str]
Follow = Callable[[str, str], None]
Inbox = Callable[..., list[dict[str, Any]]]

TEXT = {"msgtype": "text", "text": {"content": "您的业务已办结。"}}
TEMPLATE = {"template_id": "tpl_fine-paid_01", "data": {"first": {"value": "罚款已缴纳"}}}


@pytest.fixture
def limits() -> dict[str, Any]:
    """A small per-interaction allowance, so tests can reach it."""
    return {"custom_messages_per_interaction": 3}


def _post(client: TestClient, path: str, token: str, body: Any) -> dict[str, Any]:
    return client.post(f"/cgi-bin/{path}", params={"access_token": token}, json=body).json()


# Customer-service messages


def test_custom_message_reaches_the_inbox(
    client: TestClient, token: Token, openid: Openid, follow: Follow, inbox: Inbox
) -> None:
    follow("lisi", "dgtq")
    answer = _post(
        client, "message/custom/send", token("dgtq"), {**TEXT, "touser": openid("lisi", "dgtq")}
    )
    assert answer == {"errcode": 0, "errmsg": "ok"}
    [item] = inbox("lisi")
    assert item["account"] == "dgtq" and item["kind"] == "custom" and item["msgtype"] == "text"
    assert item["content"] == {"content": "您的业务已办结。"}
    assert item["openid"] == openid("lisi", "dgtq")
    assert item["at"].endswith("+08:00")


@pytest.mark.slow
def test_custom_message_refusals(
    client: TestClient, token: Token, openid: Openid, follow: Follow
) -> None:
    access = token("dgtq")

    def send(citizen_openid: str, **body: Any) -> int:
        return _post(
            client, "message/custom/send", access, {**TEXT, "touser": citizen_openid, **body}
        )["errcode"]

    assert send("o-nobody") == 40003
    assert send(openid("lisi", "dgjj")) == 40003  # an openid of another account
    assert send(openid("lisi", "dgtq")) == 43004  # not following
    follow("lisi", "dgtq")
    assert send(openid("lisi", "dgtq"), msgtype="fax") == 40008
    assert send(openid("lisi", "dgtq"), text={"content": " "}) == 47001
    assert send(openid("lisi", "dgtq"), msgtype="image") == 47001  # no "image" object
    empty = client.post("/cgi-bin/message/custom/send", params={"access_token": access})
    assert empty.json()["errcode"] == 44002
    broken = client.post(
        "/cgi-bin/message/custom/send", params={"access_token": access}, content=b"[1,"
    )
    assert broken.json()["errcode"] == 47001


def test_custom_messages_only_within_48_hours_of_an_interaction(
    client: TestClient, state: SandboxState, token: Token, openid: Openid, follow: Follow
) -> None:
    follow("wangwu", "dgtq")
    body = {**TEXT, "touser": openid("wangwu", "dgtq")}
    state.clock.advance(48 * 3600 - 10)
    assert _post(client, "message/custom/send", token("dgtq"), body)["errcode"] == 0
    state.clock.advance(20)
    assert _post(client, "message/custom/send", token("dgtq"), body)["errcode"] == 45015
    interaction = {"citizen": "wangwu", "account": "dgtq", "kind": "text"}
    assert client.post("/sandbox/interactions", json=interaction).status_code == 201
    assert _post(client, "message/custom/send", token("dgtq"), body)["errcode"] == 0


def test_custom_messages_per_interaction_are_limited(
    client: TestClient, token: Token, openid: Openid, follow: Follow
) -> None:
    follow("wangwu", "dgtq")
    access, body = token("dgtq"), {**TEXT, "touser": openid("wangwu", "dgtq")}
    assert [_post(client, "message/custom/send", access, body)["errcode"] for _ in range(4)] == [
        0,
        0,
        0,
        45047,
    ]
    client.post("/sandbox/interactions", json={"citizen": "wangwu", "account": "dgtq"})
    assert _post(client, "message/custom/send", access, body)["errcode"] == 0


def test_unfollowing_closes_the_window(
    client: TestClient, token: Token, openid: Openid, follow: Follow
) -> None:
    follow("lisi", "dgtq")
    client.delete("/sandbox/citizens/lisi/follows/dgtq")
    body = {**TEXT, "touser": openid("lisi", "dgtq")}
    assert _post(client, "message/custom/send", token("dgtq"), body)["errcode"] == 43004
    follow("lisi", "dgtq")  # following again is an interaction
    assert _post(client, "message/custom/send", token("dgtq"), body)["errcode"] == 0


# Template messages


def test_template_message_from_a_service_account(
    client: TestClient, token: Token, openid: Openid, follow: Follow, inbox: Inbox
) -> None:
    follow("zhangsan", "dgjj")
    body = {**TEMPLATE, "touser": openid("zhangsan", "dgjj"), "url": "https://example.cn/r/1"}
    answer = _post(client, "message/template/send", token("dgjj"), body)
    assert answer["errcode"] == 0 and isinstance(answer["msgid"], int)
    [item] = inbox("zhangsan")
    assert item["kind"] == "template" and item["msgid"] == answer["msgid"]
    assert item["content"]["template_id"] == "tpl_fine-paid_01"
    assert item["content"]["url"] == "https://example.cn/r/1"


def test_template_message_refusals(
    client: TestClient, token: Token, openid: Openid, follow: Follow
) -> None:
    follow("zhangsan", "dgtq")
    follow("zhangsan", "dgjj")
    subscription = {**TEMPLATE, "touser": openid("zhangsan", "dgtq")}
    assert _post(client, "message/template/send", token("dgtq"), subscription)["errcode"] == 48001
    access, touser = token("dgjj"), openid("zhangsan", "dgjj")

    def send(**body: Any) -> int:
        return _post(
            client, "message/template/send", access, {**TEMPLATE, "touser": touser, **body}
        )["errcode"]

    assert send(template_id="") == 40037
    assert send(template_id="not a template") == 40037
    assert send(data={"first": "罚款已缴纳"}) == 47001
    assert send(touser="o-nobody") == 40003
    assert send(touser=openid("lisi", "dgjj")) == 43004


# Mass sends


def _mass(
    client: TestClient, access: str, clientmsgid: str | None = None, **body: Any
) -> dict[str, Any]:
    payload = {"filter": {"is_to_all": True}, **TEXT, **body}
    if clientmsgid is not None:
        payload["clientmsgid"] = clientmsgid
    return _post(client, "message/mass/sendall", access, payload)


def test_mass_send_reaches_followers_only(
    client: TestClient, token: Token, follow: Follow, inbox: Inbox
) -> None:
    follow("zhangsan", "dgtq")
    follow("lisi", "dgtq")
    answer = _mass(client, token("dgtq"), "bulletin-2026-11-26")
    assert answer["errcode"] == 0 and isinstance(answer["msg_id"], int)
    assert "msg_data_id" not in answer  # only articles have one
    for citizen in ("zhangsan", "lisi"):
        [item] = inbox(citizen)
        assert item["kind"] == "mass" and item["msgid"] == answer["msg_id"]
    assert inbox("wangwu") == []


def test_subscription_account_mass_sends_once_a_day(
    client: TestClient, state: SandboxState, token: Token, follow: Follow, inbox: Inbox
) -> None:
    follow("zhangsan", "dgtq")
    access = token("dgtq")
    first = _mass(client, access, "day-1")
    assert first["errcode"] == 0
    # A retry with the same clientmsgid is recognised, even with the day's quota used up.
    again = _mass(client, access, "day-1")
    assert again["errcode"] == 45065 and again["msg_id"] == first["msg_id"]
    assert _mass(client, access, "day-1-second")["errcode"] == 45009
    state.clock.advance(86400)
    assert _mass(client, token("dgtq"), "day-2")["errcode"] == 0
    assert len(inbox("zhangsan")) == 2


def test_service_account_followers_get_four_mass_sends_a_month(
    client: TestClient, state: SandboxState, token: Token, follow: Follow, inbox: Inbox
) -> None:
    follow("zhangsan", "dgjj")
    access = token("dgjj")
    for n in range(4):
        assert _mass(client, access, f"m{n}")["errcode"] == 0
    assert _mass(client, access, "m4")["errcode"] == 45009
    follow("lisi", "dgjj")  # a new follower still has this month's allowance
    assert _mass(client, access, "m5")["errcode"] == 0
    assert len(inbox("zhangsan")) == 4 and len(inbox("lisi")) == 1
    state.clock.advance(31 * 86400)
    assert _mass(client, token("dgjj"), "next-month")["errcode"] == 0
    assert len(inbox("zhangsan")) == 5


def test_mass_send_refusals(client: TestClient, token: Token, follow: Follow) -> None:
    follow("zhangsan", "dgtq")
    access = token("dgtq")
    assert _mass(client, access, filter={"is_to_all": False, "tag_id": 2})["errcode"] == 40050
    assert _mass(client, access, filter=None)["errcode"] == 47001
    assert _mass(client, access, msgtype="news")["errcode"] == 40008
    assert _mass(client, access, "x" * 65)["errcode"] == 47001
    # Articles must be uploaded first (media/uploadnews, test_media.py): an unknown id is 40007.
    assert _mass(client, access, msgtype="mpnews", mpnews={"media_id": "m1"})["errcode"] == 40007
