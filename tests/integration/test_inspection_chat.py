"""东莞特检 (dgtj) through the sandbox and the gateway, as a lift rider or a property manager
uses it: the menu answers from the inspection service, "电梯 <注册代码>" answers the lift's next
inspection date as the public lookup reports it, and unknown text says what the account can do.

"报检进度" answers a unit's contact their applications: the seeded demo contact 张三 his
scheduled one; 李四, bound to nothing, is told how to bind, then signs in (WeChat OAuth through
dgtj), binds to the demo lift's unit, applies for its inspection, an inspector schedules it, and
the chat shows it scheduled. Nothing here talks to the gateway's WeChat endpoint or to the
service directly.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta

import httpx
import pytest

from gateway.settings import DEV_STAFF_KEY
from inspection.population import DEMO_OVERDUE_LIFT, generate_registry
from servicekit.clock import today
from tests.integration.signin import sign_in
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


def reply(sandbox: httpx.Client, body: dict, *, citizen: str = CITIZEN) -> str:
    """The account's one passive text reply to `body` from `citizen`."""
    answers = send(sandbox, citizen, DGTJ, body)
    assert [(a["kind"], a["msgtype"]) for a in answers] == [("reply", "text")], answers
    return answers[0]["content"]["content"]


def progress(sandbox: httpx.Client, citizen: str) -> list[str]:
    """The lines of the answer to "报检进度" from `citizen` (following dgtj first)."""
    sandbox.put(f"/sandbox/citizens/{citizen}/follows/{DGTJ}").raise_for_status()
    return reply(sandbox, {"kind": "text", "content": "报检进度"}, citizen=citizen).splitlines()


def signed_in(suite, name: str) -> dict[str, str]:
    """The bearer headers of demo citizen `name` signed in through dgtj's WeChat OAuth."""
    with httpx.Client(timeout=20) as browser:
        return sign_in(browser, suite.gateway, name, account=DGTJ)


def demo_unit() -> tuple[str, str]:
    """The credit code and name of the demo lift's user unit, as on its business licence (the
    demo registry draws its units before any date, so any anchor gives the same ones)."""
    registry = generate_registry(anchor=today())
    lift = next(e for e in registry.equipment if e["registration_code"] == DEMO_LIFT)
    unit = next(u for u in registry.units if u["credit_code"] == lift["user_unit_code"])
    return str(unit["credit_code"]), str(unit["name"])


def numbered(lines: list[str], number: str) -> list[str]:
    """The lines of the application `number` in a progress answer, up to the next one."""
    start = lines.index(next(line for line in lines if line.endswith(f"报检编号：{number}")))
    end = next((i for i in range(start + 1, len(lines)) if "报检编号：" in lines[i]), len(lines))
    return lines[start:end]


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


def test_the_demo_contact_follows_the_seeded_application(
    suite, sandbox: httpx.Client, gateway: httpx.Client
) -> None:
    me = signed_in(suite, "张三")
    mine = gateway.get("/api/v1/inspection/me/applications", params={"state": "已排期"}, headers=me)
    assert mine.status_code == 200, mine.text
    seeded = next(a for a in mine.json()["items"] if a["registration_code"] == DEMO_OVERDUE_LIFT)
    day = date.fromisoformat(seeded["scheduled_date"])

    lines = progress(sandbox, "zhangsan")

    assert lines[0].startswith("【报检进度】"), lines
    assert f"状态：已排期，检验日期：{day:%Y年%m月%d日}" in numbered(lines, seeded["number"])


def test_a_second_contact_binds_applies_and_follows_the_scheduling(
    suite, sandbox: httpx.Client, gateway: httpx.Client
) -> None:
    unbound = "\n".join(progress(sandbox, CITIZEN))
    assert unbound.startswith("您还没有绑定使用单位"), unbound
    assert "统一社会信用代码" in unbound and "使用登记证编号" in unbound

    me = signed_in(suite, "李四")
    credit_code, unit_name = demo_unit()
    lift = gateway.get(f"/api/v1/inspection/equipment/{DEMO_LIFT}").json()
    proof = {
        "credit_code": credit_code,
        "unit_name": unit_name,
        "certificate_number": lift["certificate_number"],
    }
    bound = gateway.post("/api/v1/inspection/me/units", json=proof, headers=me)
    assert bound.status_code == 201, bound.text

    # Another item of the unit than the README's walk-through (DEMO_LIFT) and the seeded
    # application (DEMO_OVERDUE_LIFT) apply for: the suite is shared.
    equipment = gateway.get(f"/api/v1/inspection/me/units/{credit_code}/equipment", headers=me)
    item = next(
        e
        for e in equipment.json()["items"]
        if e["status"] == "在用" and e["registration_code"] not in {DEMO_LIFT, DEMO_OVERDUE_LIFT}
    )
    submission = {"registration_code": item["registration_code"], "note": "请提前一天联系物业"}
    headers = {**me, "Idempotency-Key": "lisi-unit-item-1"}
    applied = gateway.post("/api/v1/inspection/me/applications", json=submission, headers=headers)
    assert applied.status_code == 201, applied.text
    number = applied.json()["number"]
    again = gateway.post("/api/v1/inspection/me/applications", json=submission, headers=headers)
    assert (again.status_code, again.json()["number"]) == (200, number)
    accepted = numbered(progress(sandbox, CITIZEN), number)
    assert any(line.startswith("状态：已受理") for line in accepted), accepted

    day = today() + timedelta(days=3)
    scheduled = gateway.post(
        f"/api/v1/inspection/applications/{number}/transitions",
        json={"to": "已排期", "scheduled_date": day.isoformat()},
        headers={"X-Api-Key": DEV_STAFF_KEY},
    )
    assert scheduled.status_code == 200, scheduled.text

    lines = numbered(progress(sandbox, CITIZEN), number)
    assert f"状态：已排期，检验日期：{day:%Y年%m月%d日}" in lines, lines
    assert f"地址：{item['address']}" in lines
