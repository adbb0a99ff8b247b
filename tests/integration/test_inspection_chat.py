"""东莞特检 (dgtj) through the sandbox and the gateway, as a lift rider or a property manager
uses it: the menu answers from the inspection service, "电梯 <注册代码>" answers the lift's next
inspection date as the public lookup reports it, and unknown text says what the account can do.
Nothing here talks to the gateway's WeChat endpoint or to the service directly.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import httpx
import pytest

from tests.integration.test_chat_through_sandbox import send

pytestmark = pytest.mark.integration

DGTJ = "dgtj"
# Following only (a no-op when already following): the follower-count scenario re-follows 王五.
CITIZEN = "lisi"
# The demo registry's lift in date (inspection.population.DEMO_LIFT, also in the README).
DEMO_LIFT = "31104419002015060001"
PLACEHOLDER = "演示内容"


@pytest.fixture
def sandbox(suite) -> Iterator[httpx.Client]:
    """A client of the sandbox (callbacks take up to 3 x 5 s when the gateway struggles)."""
    with httpx.Client(base_url=suite.sandbox, timeout=20) as client:
        client.put(f"/sandbox/citizens/{CITIZEN}/follows/{DGTJ}").raise_for_status()
        yield client


@pytest.fixture
def gateway(suite) -> Iterator[httpx.Client]:
    """A client of the gateway's public REST API."""
    with httpx.Client(base_url=suite.gateway, timeout=20) as client:
        yield client


def reply(sandbox: httpx.Client, body: dict) -> str:
    """The account's one passive text reply to `body`."""
    answers = send(sandbox, CITIZEN, DGTJ, body)
    assert [(a["kind"], a["msgtype"]) for a in answers] == [("reply", "text")], answers
    return answers[0]["content"]["content"]


def test_the_lift_lookup_answers_its_next_inspection_date(
    sandbox: httpx.Client, gateway: httpx.Client
) -> None:
    lookup = gateway.get(f"/api/v1/inspection/equipment/{DEMO_LIFT}")
    assert lookup.status_code == 200, lookup.text
    lift = lookup.json()
    assert lift["category"] == "电梯" and lift["overdue"] is False
    due = date.fromisoformat(lift["next_due"])

    text = reply(sandbox, {"kind": "text", "content": f"电梯 {DEMO_LIFT}"})

    assert f"下次检验日期：{due:%Y年%m月%d日}" in text.splitlines(), text
    assert f"使用单位：{lift['user_unit']}" in text and "96333" in text


def test_a_malformed_code_is_refused_by_the_lookup_and_explained_in_chat(
    sandbox: httpx.Client, gateway: httpx.Client
) -> None:
    broken = DEMO_LIFT[:-1] + "x"
    lookup = gateway.get(f"/api/v1/inspection/equipment/{broken}")
    assert lookup.status_code == 422, lookup.text
    assert "registration_code" in lookup.text

    text = reply(sandbox, {"kind": "text", "content": f"电梯 {broken}"})

    assert "注册代码" in text and "电梯 注册代码" in text, text


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("DGTJ_QUERY", "电梯 注册代码"),
        ("DGTJ_GUIDE", "【办事指南】"),
        ("DGTJ_ABOUT", "【关于我们】"),
    ],
)
def test_the_menu_answers_from_the_inspection_service(
    sandbox: httpx.Client, key: str, expected: str
) -> None:
    text = reply(sandbox, {"kind": "click", "key": key})
    assert expected in text and PLACEHOLDER not in text, text


def test_the_guides_answer_links_to_the_public_guides(
    suite, sandbox: httpx.Client, gateway: httpx.Client
) -> None:
    guides = gateway.get("/api/v1/inspection/guides").json()["items"]
    text = reply(sandbox, {"kind": "text", "content": "办事指南"})
    assert guides and guides[0]["title"] in text, text
    assert f"详情：{suite.gateway}/api/v1/inspection/guides" in text.splitlines(), text


def test_unknown_text_says_what_the_account_can_do(sandbox: httpx.Client) -> None:
    text = reply(sandbox, {"kind": "text", "content": "你好，请问你们能做什么"})
    assert text.startswith("东莞特检可以帮您"), text
    assert "电梯 注册代码" in text and "96333" in text
