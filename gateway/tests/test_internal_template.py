"""`POST /internal/wechat/{account}/template`: a service's template message to one follower,
through the gateway's internal listener and the real sandbox, which records what arrived."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from servicekit.identity import issue_token, service_token
from servicekit.testing import TEST_SECRET

PATH = "/internal/wechat/{}/template"
PAID = {"first": "缴款成功", "amount": "200元", "decision": "4419002600000031"}


def caller(name: str = "traffic") -> dict[str, str]:
    token = service_token(secret=TEST_SECRET, caller=name, audience="gateway")
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def sandbox(chat_sandbox_url: str) -> Iterator[httpx.Client]:
    """The sandbox, with zhangsan following 东莞交警 (a service account)."""
    with httpx.Client(base_url=chat_sandbox_url, timeout=30) as http:
        http.put("/sandbox/citizens/zhangsan/follows/dgjj").raise_for_status()
        yield http


@pytest.fixture
def gateway(
    sandbox: httpx.Client, gateway_listeners: Callable[..., tuple[str, str]]
) -> Iterator[httpx.Client]:
    """A client of the internal listener (both listeners served in a thread)."""
    _, internal = gateway_listeners(str(sandbox.base_url).rstrip("/"))
    with httpx.Client(base_url=internal, timeout=30) as http:
        yield http


def openid_of(sandbox: httpx.Client, citizen: str, account: str) -> str:
    citizens = sandbox.get("/sandbox/citizens", params={"limit": 100}).json()["items"]
    return str(next(c["openids"][account] for c in citizens if c["id"] == citizen))


def message(sandbox: httpx.Client, **fields: Any) -> dict[str, Any]:
    return {
        "openid": openid_of(sandbox, "zhangsan", "dgjj"),
        "template_id": "tmpl-paid",
        "data": PAID,
        **fields,
    }


def inbox(sandbox: httpx.Client, citizen: str = "zhangsan") -> list[dict[str, Any]]:
    answer = sandbox.get(f"/sandbox/citizens/{citizen}/inbox", params={"account": "dgjj"})
    return list(answer.json()["items"])


def test_the_message_reaches_the_follower_with_its_fields(
    gateway: httpx.Client, sandbox: httpx.Client
) -> None:
    body = message(sandbox, url="https://gw.example.cn/h5/fines?account=dgjj")
    answer = gateway.post(PATH.format("dgjj"), json=body, headers=caller())
    assert answer.status_code == 200, answer.text
    [item] = inbox(sandbox)
    assert item["msgtype"] == "template" and item["msgid"] == answer.json()["msgid"]
    assert item["content"]["template_id"] == "tmpl-paid"
    assert item["content"]["data"] == {k: {"value": v} for k, v in PAID.items()}
    assert item["content"]["url"] == body["url"]


def test_a_platform_refusal_is_a_502_naming_the_errcode(
    gateway: httpx.Client, sandbox: httpx.Client
) -> None:
    # 李四 does not follow 东莞交警: WeChat answers 43004 (require subscribe).
    body = message(sandbox, openid=openid_of(sandbox, "lisi", "dgjj"))
    refused = gateway.post(PATH.format("dgjj"), json=body, headers=caller())
    assert refused.status_code == 502
    assert refused.headers["content-type"] == "application/problem+json"
    assert "43004" in refused.json()["detail"]
    # A subscription account has no template API (48001).
    other = {**body, "openid": openid_of(sandbox, "zhangsan", "dgtq")}
    sandbox.put("/sandbox/citizens/zhangsan/follows/dgtq").raise_for_status()
    assert "48001" in gateway.post(PATH.format("dgtq"), json=other, headers=caller()).text
    assert inbox(sandbox) == [] and inbox(sandbox, "lisi") == []


def test_only_allowed_services_may_send_and_bad_bodies_are_422(
    gateway: httpx.Client, sandbox: httpx.Client
) -> None:
    body = message(sandbox)
    assert gateway.post(PATH.format("dgjj"), json=body).status_code == 401
    assert gateway.post(
        PATH.format("dgjj"), json=body, headers=caller("socialsec")
    ).status_code == (403)
    citizen = issue_token(secret=TEST_SECRET, audience="gateway", subject="c-1")
    as_citizen = {"Authorization": f"Bearer {citizen}"}
    assert gateway.post(PATH.format("dgjj"), json=body, headers=as_citizen).status_code == 403
    assert gateway.post(PATH.format("nope"), json=body, headers=caller()).status_code == 404
    for bad in (
        {"data": {}},
        {"data": {"first": "x" * 201}},
        {"data": {"1st": "x"}},
        {"openid": "o<script>"},
        {"url": "javascript:alert(1)"},
        {"extra": 1},
    ):
        answer = gateway.post(PATH.format("dgjj"), json={**body, **bad}, headers=caller())
        assert answer.status_code == 422, (bad, answer.text)
    assert inbox(sandbox) == []
