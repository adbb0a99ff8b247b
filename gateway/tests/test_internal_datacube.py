"""`GET /internal/wechat/{account}/datacube/{api}?date=`: the platform's data APIs for one day,
through the gateway's internal listener and the real sandbox (whose clock a day is moved on)."""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterator
from datetime import date, timedelta

import httpx
import pytest

from servicekit.identity import issue_token, service_token
from servicekit.testing import TEST_SECRET

# The smallest PNG the mass-news route takes (1x1, grey).
PIXEL = base64.b64encode(
    bytes.fromhex(
        "89504e470d0a1a0a0000000d49484452000000010000000108000000003a7e9b55"
        "0000000a49444154789c636800000082008177cd72b60000000049454e44ae426082"
    )
).decode()


def caller(name: str = "accounts") -> dict[str, str]:
    token = service_token(secret=TEST_SECRET, caller=name, audience="gateway")
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def sandbox(chat_sandbox_url: str) -> Iterator[httpx.Client]:
    """The sandbox, with 东莞天气 followed by three citizens."""
    with httpx.Client(base_url=chat_sandbox_url, timeout=30) as http:
        for citizen in ("zhangsan", "lisi", "wangwu"):
            http.put(f"/sandbox/citizens/{citizen}/follows/dgtq").raise_for_status()
        yield http


@pytest.fixture
def gateway(
    sandbox: httpx.Client, gateway_listeners: Callable[..., tuple[str, str]]
) -> Iterator[httpx.Client]:
    """A client of the internal listener (both listeners served in a thread)."""
    _, internal = gateway_listeners(
        str(sandbox.base_url).rstrip("/"), internal_callers=["accounts"]
    )
    with httpx.Client(base_url=internal, timeout=30) as http:
        yield http


def sandbox_today(sandbox: httpx.Client) -> date:
    return date.fromisoformat(sandbox.get("/sandbox/clock").json()["now"][:10])


@pytest.mark.slow
def test_an_article_pushed_yesterday_has_its_reads(
    gateway: httpx.Client, sandbox: httpx.Client
) -> None:
    body = {
        "clientmsgid": "dgtq-x",
        "title": "回南天防潮",
        "text": "关窗除湿。",
        "image_png_base64": PIXEL,
    }
    sent = gateway.post("/internal/wechat/dgtq/mass-news", json=body, headers=caller())
    assert sent.status_code == 200, sent.text
    pushed_on = sandbox_today(sandbox)
    sandbox.post("/sandbox/clock", json={"advance_seconds": 86_400}).raise_for_status()

    def cube(api: str) -> httpx.Response:
        params = {"date": pushed_on.isoformat()}
        return gateway.get(f"/internal/wechat/dgtq/datacube/{api}", params=params, headers=caller())

    summary = cube("getarticlesummary")
    assert summary.status_code == 200, summary.text
    [item] = summary.json()["list"]
    assert summary.json()["date"] == pushed_on.isoformat()
    assert item["msgid"] == f"{sent.json()['msg_id']}_1" and item["title"] == "回南天防潮"
    assert 0 < item["int_page_read_user"] <= 3
    [total] = cube("getarticletotal").json()["list"]
    assert total["details"][0]["target_user"] == 3
    assert total["details"][0]["int_page_read_count"] == item["int_page_read_count"]
    [followers] = cube("getusercumulate").json()["list"]
    assert followers == {"ref_date": pushed_on.isoformat(), "cumulate_user": 3}
    [change] = cube("getusersummary").json()["list"]
    assert change["new_user"] == 3 and change["cancel_user"] == 0


@pytest.mark.slow
def test_a_day_not_yet_over_is_the_platform_s_refusal(
    gateway: httpx.Client, sandbox: httpx.Client
) -> None:
    today = sandbox_today(sandbox)
    answer = gateway.get(
        "/internal/wechat/dgtq/datacube/getarticlesummary",
        params={"date": today.isoformat()},
        headers=caller(),
    )
    assert answer.status_code == 502
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert "61501" in answer.json()["detail"]
    yesterday = (today - timedelta(days=1)).isoformat()
    ok = gateway.get(
        "/internal/wechat/dgtq/datacube/getarticlesummary",
        params={"date": yesterday},
        headers=caller(),
    )
    assert ok.json() == {"date": yesterday, "list": []}


@pytest.mark.slow
@pytest.mark.parametrize(
    ("path", "params", "status"),
    [
        ("/internal/wechat/nope/datacube/getusersummary", {"date": "2026-12-01"}, 404),
        ("/internal/wechat/dgtq/datacube/getuserread", {"date": "2026-12-01"}, 422),
        ("/internal/wechat/dgtq/datacube/getusersummary", {"date": "2026-13-01"}, 422),
        ("/internal/wechat/dgtq/datacube/getusersummary", {}, 422),
    ],
)
def test_bad_requests(
    gateway: httpx.Client, path: str, params: dict[str, str], status: int
) -> None:
    assert gateway.get(path, params=params, headers=caller()).status_code == status


@pytest.mark.slow
def test_only_the_internal_callers_service_tokens_are_served(gateway: httpx.Client) -> None:
    path, params = "/internal/wechat/dgtq/datacube/getusersummary", {"date": "2026-12-01"}
    assert gateway.get(path, params=params).status_code == 401
    assert gateway.get(path, params=params, headers=caller("weather")).status_code == 403
    citizen = issue_token(
        secret=TEST_SECRET, audience="gateway", subject="c-1", roles=[], kind="citizen"
    )
    headers = {"Authorization": f"Bearer {citizen}"}
    assert gateway.get(path, params=params, headers=headers).status_code == 403
