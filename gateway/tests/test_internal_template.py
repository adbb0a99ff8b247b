"""`POST /internal/wechat/{account}/template`: a service's template message to one follower,
through the gateway's internal listener and the real sandbox, which records what arrived."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Annotated, Any

import httpx
import pytest
from fastapi import FastAPI, Header
from fastapi.responses import JSONResponse

from servicekit.identity import issue_token, service_token, verify_token
from servicekit.testing import TEST_SECRET, serve_in_thread

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


@pytest.mark.slow
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


@pytest.mark.slow
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


@pytest.mark.slow
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


class FakeCitizens:
    """accounts' `GET /v1/internal/citizens/{id}`: `openids` maps a citizen to account -> openid
    (a citizen not in it is unknown there); `callers` records each verified service caller."""

    def __init__(self) -> None:
        self.url = ""
        self.openids: dict[str, dict[str, str]] = {}
        self.callers: list[str] = []

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.get("/v1/internal/citizens/{citizen_id}", response_model=None)
        async def citizen(
            citizen_id: str, authorization: Annotated[str, Header()]
        ) -> dict[str, Any] | JSONResponse:
            identity = verify_token(
                authorization.removeprefix("Bearer "), secret=TEST_SECRET, audience="accounts"
            )
            self.callers.append(f"{identity.kind}:{identity.issuer}")
            if citizen_id not in self.openids:
                return JSONResponse({"status": 404, "detail": "未找到市民。"}, status_code=404)
            links = self.openids[citizen_id].items()
            return {
                "citizen_id": citizen_id,
                "provisional": False,
                "openids": [{"account_code": a, "openid": o} for a, o in links],
            }

        return app


@pytest.fixture
def citizens() -> Iterator[FakeCitizens]:
    fake = FakeCitizens()
    with serve_in_thread(fake.app()) as url:
        fake.url = url
        yield fake


@pytest.fixture
def gateway_with_accounts(
    sandbox: httpx.Client,
    citizens: FakeCitizens,
    gateway_listeners: Callable[..., tuple[str, str]],
) -> Iterator[httpx.Client]:
    """The internal listener, with accounts answering from `citizens`; zhangsan follows 东莞特检."""
    sandbox.put("/sandbox/citizens/zhangsan/follows/dgtj").raise_for_status()
    platform_url = str(sandbox.base_url).rstrip("/")
    _, internal = gateway_listeners(platform_url, accounts_url=citizens.url)
    with httpx.Client(base_url=internal, timeout=30) as http:
        yield http


REMINDER = {"first": "特种设备定期检验提醒", "keyword1": "东莞市某某有限公司"}


@pytest.mark.slow
def test_a_citizen_id_reaches_the_follower_through_their_openid_in_accounts(
    gateway_with_accounts: httpx.Client, sandbox: httpx.Client, citizens: FakeCitizens
) -> None:
    citizens.openids["c-zhang"] = {
        "dgjj": openid_of(sandbox, "zhangsan", "dgjj"),
        "dgtj": openid_of(sandbox, "zhangsan", "dgtj"),
    }
    body = {"citizen_id": "c-zhang", "template_id": "tmpl-due", "data": REMINDER}
    answer = gateway_with_accounts.post(
        PATH.format("dgtj"), json=body, headers=caller("inspection")
    )
    assert answer.status_code == 200, answer.text
    [item] = sandbox.get("/sandbox/citizens/zhangsan/inbox", params={"account": "dgtj"}).json()[
        "items"
    ]
    assert item["msgid"] == answer.json()["msgid"]
    assert item["content"]["data"] == {k: {"value": v} for k, v in REMINDER.items()}
    # The gateway asked accounts as itself, with a service token.
    assert citizens.callers == ["service:gateway"]
    assert inbox(sandbox) == []  # nothing went to the other account


@pytest.mark.slow
def test_a_citizen_without_an_openid_there_is_a_404_and_nothing_is_sent(
    gateway_with_accounts: httpx.Client, sandbox: httpx.Client, citizens: FakeCitizens
) -> None:
    citizens.openids["c-zhang"] = {"dgjj": openid_of(sandbox, "zhangsan", "dgjj")}
    for citizen_id in ("c-zhang", "c-unknown"):
        body = {"citizen_id": citizen_id, "template_id": "tmpl-due", "data": REMINDER}
        answer = gateway_with_accounts.post(
            PATH.format("dgtj"), json=body, headers=caller("inspection")
        )
        assert answer.status_code == 404, answer.text
        assert answer.headers["content-type"] == "application/problem+json"
        assert "未关注公众号 dgtj" in answer.json()["detail"]
    assert (
        sandbox.get("/sandbox/citizens/zhangsan/inbox", params={"account": "dgtj"}).json()["items"]
        == []
    )


@pytest.mark.slow
def test_exactly_one_recipient_is_named(
    gateway_with_accounts: httpx.Client, sandbox: httpx.Client, citizens: FakeCitizens
) -> None:
    openid = openid_of(sandbox, "zhangsan", "dgtj")
    base = {"template_id": "tmpl-due", "data": REMINDER}
    for recipient in (
        {},
        {"openid": openid, "citizen_id": "c-zhang"},
        {"citizen_id": ""},
        {"citizen_id": "../v1/admin"},
        {"citizen_id": "c" * 65},
    ):
        answer = gateway_with_accounts.post(
            PATH.format("dgtj"), json={**base, **recipient}, headers=caller("inspection")
        )
        assert answer.status_code == 422, (recipient, answer.text)
    assert citizens.callers == []
