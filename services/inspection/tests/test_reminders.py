"""Overdue reminders: which items are due, the message's words, planning once per item per cycle
and contact, delivery through the gateway (claimed, never twice, even from two runs at once)."""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from prometheus_client import CollectorRegistry, generate_latest
from sqlalchemy import delete, func
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from inspection.main import create_app
from inspection.models import Contact, Equipment, Reminder, UserUnit
from inspection.registry import is_overdue
from inspection.reminder_schedule import (
    ReminderMetrics,
    ReminderSchedule,
    send_reminders,
    send_reminders_cli,
)
from inspection.reminders import (
    HEADING,
    ReminderSender,
    due_by_unit,
    due_cycle,
    plan,
    run_once,
    template_data,
)
from inspection.settings import InspectionSettings
from inspection.varieties import VARIETIES
from servicekit.clock import SHANGHAI
from servicekit.db import make_engine
from servicekit.deliveries import TemplateChannel
from servicekit.identity import verify_token
from servicekit.settings import SharedSettings
from servicekit.testing import TEST_SECRET, metric_value, serve_in_thread, using_postgres

from .conftest import ANCHOR

NOW = datetime(ANCHOR.year, ANCHOR.month, ANCHOR.day, 9, 30, tzinfo=SHANGHAI).astimezone(UTC)
DAY = timedelta(days=1)


def item(
    *,
    status: str = "在用",
    next_due: date | None = None,
    last: date | None = ANCHOR - 300 * DAY,
    code: str = "31104419002015060001",
    unit: str = "91441900MA4UTEST0X",
    address: str = "东莞市南城街道某某大厦",
) -> Equipment:
    return Equipment(
        registration_code=code,
        certificate_number="梯11粤S00001(15)",
        variety_code="3110",
        user_unit_code=unit,
        address=address,
        town="441900003",
        in_service=date(2015, 6, 1),
        last_inspection=last,
        conclusion="合格" if next_due else "不合格",
        next_due=next_due,
        status=status,
    )


# -- the rule: which items are due, and for which cycle ---------------------------------------


@pytest.mark.parametrize(
    ("status", "next_due", "last", "cycle"),
    [
        ("在用", ANCHOR + 30 * DAY, ANCHOR - 335 * DAY, ANCHOR + 30 * DAY),  # due in 30 days
        ("在用", ANCHOR + 31 * DAY, ANCHOR - 334 * DAY, None),  # not yet
        ("在用", ANCHOR, ANCHOR - 365 * DAY, ANCHOR),  # due today
        ("在用", ANCHOR - 45 * DAY, ANCHOR - 410 * DAY, ANCHOR - 45 * DAY),  # overdue
        ("停用", ANCHOR - 45 * DAY, ANCHOR - 410 * DAY, None),  # suspended: never
        ("报废", ANCHOR - 45 * DAY, ANCHOR - 410 * DAY, None),  # scrapped: never
        ("停用", ANCHOR + 10 * DAY, ANCHOR - 355 * DAY, None),
        ("在用", None, ANCHOR - 20 * DAY, ANCHOR - 20 * DAY),  # failed: overdue since
        ("报废", None, ANCHOR - 20 * DAY, None),
        ("在用", None, None, None),  # never inspected, nothing due
    ],
)
def test_the_due_rule(status: str, next_due: date | None, last: date | None, cycle: date | None):
    equipment = item(status=status, next_due=next_due, last=last)
    assert due_cycle(equipment=equipment, today=ANCHOR) == cycle
    # Every item the public lookup calls overdue is reminded of.
    if is_overdue(equipment=equipment, today=ANCHOR):
        assert cycle is not None


def test_due_items_are_listed_per_unit_in_code_order() -> None:
    items = [
        item(code="B2", unit="U1", next_due=ANCHOR + 5 * DAY),
        item(code="A1", unit="U1", next_due=ANCHOR - 5 * DAY),
        item(code="C3", unit="U1", next_due=ANCHOR + 60 * DAY),
        item(code="D4", unit="U2", next_due=None),
        item(code="E5", unit="U3", status="停用", next_due=ANCHOR),
    ]
    units = due_by_unit(items, today=ANCHOR)
    assert {u: [(d.registration_code, d.cycle) for d in due] for u, due in units.items()} == {
        "U1": [("A1", ANCHOR - 5 * DAY), ("B2", ANCHOR + 5 * DAY)],
        "U2": [("D4", ANCHOR - 300 * DAY)],
    }


# -- the words ---------------------------------------------------------------------------------


UNIT = UserUnit(
    credit_code="91441900MA4UTEST0X", name="东莞市某某物业管理有限公司", town="441900003"
)


@pytest.mark.parametrize(
    ("next_due", "due"),
    [
        (ANCHOR + 16 * DAY, "2026-07-01（还有16天）"),
        (ANCHOR, "2026-06-15（今天到期）"),
        (ANCHOR - 45 * DAY, "已超期45天（应于2026-05-01前完成检验）"),
        (None, "上次检验（2025-08-19）结论为不合格，须整改后重新报检"),
    ],
)
def test_the_template_words(next_due: date | None, due: str) -> None:
    data = template_data(equipment=item(next_due=next_due), unit=UNIT, today=ANCHOR)
    assert data == {
        "first": "特种设备定期检验提醒",
        "unit": "东莞市某某物业管理有限公司",
        "equipment": "曳引驱动乘客电梯 31104419002015060001（东莞市南城街道某某大厦）",
        "due": due,
        "remark": "请及时通过东莞特检申请定期检验（报检），逾期未检的设备不得继续使用。"
        "已报检的，回复“报检进度”可查看办理进度。",
    }


def test_every_field_fits_the_gateway_even_at_the_columns_limits() -> None:
    variety = max(VARIETIES, key=lambda v: len(v.name))
    longest = item(next_due=ANCHOR - 9999 * DAY, address="某" * 128)
    longest.variety_code = variety.code
    unit = UserUnit(credit_code=UNIT.credit_code, name="某" * 64, town=UNIT.town)
    data = template_data(equipment=longest, unit=unit, today=ANCHOR)
    assert max(len(text) for text in data.values()) <= 200  # the gateway's FieldText


# -- planning ----------------------------------------------------------------------------------


@pytest.fixture
def engine(seeded_database_url: str) -> Iterator[Engine]:
    """The seeded registry with no contacts (each test binds its own) and no reminders."""
    engine = make_engine(seeded_database_url)
    with Session(engine) as session:
        session.execute(delete(Reminder))
        session.execute(delete(Contact))
        session.commit()
    yield engine
    engine.dispose()


def due_units(engine: Engine, count: int) -> list[tuple[str, list[str]]]:
    """`count` units with at least two due items on ANCHOR: (unit, their registration codes)."""
    with Session(engine) as session:
        units = due_by_unit(session.exec(select(Equipment)).all(), today=ANCHOR)
    chosen = [(u, [d.registration_code for d in due]) for u, due in units.items() if len(due) > 1]
    assert len(chosen) >= count
    return chosen[:count]


def bind(engine: Engine, unit: str, *citizens: str) -> None:
    with Session(engine) as session:
        for citizen in citizens:
            session.add(Contact(citizen_id=citizen, unit_code=unit, created_at=NOW))
        session.commit()


def reminders(engine: Engine) -> list[Reminder]:
    with Session(engine) as session:
        return list(session.exec(select(Reminder).order_by(col(Reminder.id))).all())


def plan_on(engine: Engine, today: date = ANCHOR) -> int:
    with Session(engine) as session:
        added = plan(session, today=today, now=NOW)
        session.commit()
    return added


def test_each_due_item_gets_one_reminder_per_contact_and_planning_again_adds_none(
    engine: Engine,
) -> None:
    (unit_a, items_a), (unit_b, items_b) = due_units(engine, 2)
    bind(engine, unit_a, "c-a1", "c-a2")
    bind(engine, unit_b, "c-b1")
    expected = {(code, c) for code in items_a for c in ("c-a1", "c-a2")} | {
        (code, "c-b1") for code in items_b
    }
    assert plan_on(engine) == len(expected)
    rows = reminders(engine)
    assert {(r.registration_code, r.citizen_id) for r in rows} == expected
    assert {r.state for r in rows} == {"pending"}
    assert plan_on(engine) == 0
    assert len(reminders(engine)) == len(expected)


def test_a_new_cycle_is_a_new_reminder(engine: Engine) -> None:
    [(unit, codes)] = due_units(engine, 1)
    bind(engine, unit, "c-a1")
    planned = plan_on(engine)
    with Session(engine) as session:
        equipment = session.get(Equipment, codes[0])
        assert equipment is not None
        old_cycle = due_cycle(equipment=equipment, today=ANCHOR)
        # Inspected and failed: no next due date, overdue since the inspection.
        equipment.last_inspection, equipment.next_due = ANCHOR - 2 * DAY, None
        session.add(equipment)
        session.commit()
    assert plan_on(engine) == 1
    cycles = [r.due for r in reminders(engine) if r.registration_code == codes[0]]
    assert cycles == [old_cycle, ANCHOR - 2 * DAY]
    assert len(reminders(engine)) == planned + 1


# -- delivery ----------------------------------------------------------------------------------


@dataclass
class StubGateway:
    """The gateway's template endpoint: `answer(body)` is the status it gives (200: sent)."""

    answer: Callable[[dict[str, Any]], int] = lambda body: 200
    calls: list[tuple[str, dict[str, Any], str]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def handle(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        with self.lock:
            self.calls.append((request.url.path, body, request.headers["authorization"]))
        status = self.answer(body)
        return httpx.Response(status, json={"msgid": 1} if status == 200 else {"status": status})

    def messages(self) -> Counter[tuple[str, str]]:
        """(citizen, equipment text) -> how many messages."""
        return Counter((b["citizen_id"], b["data"]["equipment"]) for _, b, _ in self.calls)


def sender(engine: Engine, gateway: StubGateway) -> ReminderSender:
    channel = TemplateChannel(
        gateway_url="http://gateway.test",
        secret=TEST_SECRET,
        caller="inspection",
        account="dgtj",
        template_id="tmpl-due",
        timeout=5.0,
        backoff_base=60.0,
        backoff_max=3600.0,
    )
    return ReminderSender(
        engine, channel, max_attempts=3, transport=httpx.MockTransport(gateway.handle)
    )


def test_one_message_per_item_per_contact_through_the_gateway(engine: Engine) -> None:
    [(unit, codes)] = due_units(engine, 1)
    bind(engine, unit, "c-a1", "c-a2")
    gateway = StubGateway()
    report = run_once(sender(engine, gateway), today=ANCHOR, now=NOW)
    assert (report.planned, report.delivery.delivered) == (2 * len(codes), 2 * len(codes))
    assert set(gateway.messages().values()) == {1} and len(gateway.messages()) == 2 * len(codes)
    path, body, authorization = gateway.calls[0]
    assert path == "/internal/wechat/dgtj/template"
    assert body["template_id"] == "tmpl-due" and body["citizen_id"] in {"c-a1", "c-a2"}
    assert "openid" not in body and body["data"]["first"] == HEADING
    caller = verify_token(
        authorization.removeprefix("Bearer "), secret=TEST_SECRET, audience="gateway"
    )
    assert (caller.kind, caller.issuer) == ("service", "inspection")
    assert {r.state for r in reminders(engine)} == {"delivered"}
    # The next day's run sends nothing again.
    again = run_once(sender(engine, gateway), today=ANCHOR + DAY, now=NOW + DAY)
    assert (again.planned, again.delivery.delivered) == (0, 0)
    assert len(gateway.calls) == 2 * len(codes)


@pytest.mark.slow
def test_a_4xx_fails_the_reminder_at_once_and_it_is_never_tried_again(engine: Engine) -> None:
    [(unit, codes)] = due_units(engine, 1)
    bind(engine, unit, "c-gone", "c-here")
    gateway = StubGateway(answer=lambda body: 404 if body["citizen_id"] == "c-gone" else 200)
    report = run_once(sender(engine, gateway), today=ANCHOR, now=NOW)
    assert (report.delivery.delivered, report.delivery.failed) == (len(codes), len(codes))
    gone = [r for r in reminders(engine) if r.citizen_id == "c-gone"]
    assert {(r.state, r.attempts) for r in gone} == {("failed", 1)}
    assert all(r.last_error and r.last_error.startswith("HTTP 404") for r in gone)
    sender(engine, gateway).deliver_due(now=NOW + 30 * DAY)
    assert len(gateway.calls) == 2 * len(codes)


@pytest.mark.slow
def test_other_failures_back_off_until_the_maximum_of_attempts(engine: Engine) -> None:
    [(unit, codes)] = due_units(engine, 1)
    bind(engine, unit, "c-a1")
    gateway = StubGateway(answer=lambda body: 502)
    job = sender(engine, gateway)
    assert run_once(job, today=ANCHOR, now=NOW).delivery.retrying == len(codes)
    [first, *_] = reminders(engine)
    assert first.state == "pending" and first.attempts == 1
    assert first.next_attempt_at.replace(tzinfo=UTC) == NOW + timedelta(seconds=60)
    assert job.deliver_due(now=NOW + timedelta(seconds=30)).retrying == 0  # not due yet
    assert job.deliver_due(now=NOW + timedelta(seconds=60)).retrying == len(codes)
    assert job.deliver_due(now=NOW + DAY).failed == len(codes)  # the third attempt
    assert {(r.state, r.attempts) for r in reminders(engine)} == {("failed", 3)}
    assert job.deliver_due(now=NOW + 30 * DAY).failed == 0
    assert len(gateway.calls) == 3 * len(codes)


@pytest.mark.slow
def test_a_reminder_that_no_longer_applies_is_not_sent(engine: Engine) -> None:
    (unit_a, codes_a), (unit_b, _) = due_units(engine, 2)
    bind(engine, unit_a, "c-a1")
    bind(engine, unit_b, "c-b1")
    plan_on(engine)
    with Session(engine) as session:
        inspected = session.get(Equipment, codes_a[0])
        assert inspected is not None
        inspected.last_inspection, inspected.next_due = ANCHOR, ANCHOR + 365 * DAY
        session.add(inspected)
        session.execute(delete(Contact).where(col(Contact.citizen_id) == "c-b1"))
        session.commit()
    gateway = StubGateway()
    report = sender(engine, gateway).deliver_due(now=NOW)
    sent = gateway.messages()
    assert {citizen for citizen, _ in sent} == {"c-a1"}
    assert not any(codes_a[0] in text for _, text in sent)
    stale = [
        r for r in reminders(engine) if r.citizen_id == "c-b1" or r.registration_code == codes_a[0]
    ]
    assert stale and {r.state for r in stale} == {"failed"}
    assert all(r.last_error and r.last_error.startswith("不再适用") for r in stale)
    assert (report.skipped, report.failed, report.delivered) == (len(stale), 0, len(sent))


# SQLite serialises writers, so the race is only a race on PostgreSQL (`make test-postgres`).
@pytest.mark.skipif(not using_postgres(), reason="PostgreSQL only: run with TEST_DATABASE=postgres")
def test_two_runs_at_once_send_one_message_per_item_per_contact(engine: Engine) -> None:
    units = due_units(engine, 3)
    for index, (unit, _) in enumerate(units):
        bind(engine, unit, f"c-{index}-1", f"c-{index}-2")
    expected = {
        (f"c-{index}-{n}", code)
        for index, (_, codes) in enumerate(units)
        for code in codes
        for n in (1, 2)
    }

    def slow(body: dict[str, Any]) -> int:
        time.sleep(0.01)  # keeps both runs in flight together
        return 200

    gateway = StubGateway(answer=slow)
    start = threading.Barrier(2)
    reports: list[Any] = []
    errors: list[BaseException] = []

    def job() -> None:
        try:
            start.wait()
            reports.append(run_once(sender(engine, gateway), today=ANCHOR, now=NOW))
        except BaseException as exc:  # the assertion below shows it
            errors.append(exc)

    threads = [threading.Thread(target=job) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    sent = gateway.messages()
    assert len(gateway.calls) == len(expected)
    for citizen, code in expected:
        assert sum(n for (c, text), n in sent.items() if c == citizen and code in text) == 1
    assert sum(r.planned for r in reports) == len(expected)
    assert sum(r.delivery.delivered for r in reports) == len(expected)
    with Session(engine) as session:
        rows = session.exec(select(func.count()).select_from(Reminder)).one()
    assert rows == len(expected)


# -- the schedule and the command --------------------------------------------------------------


def test_the_schedule_plans_once_a_day_and_never_before_its_hour(engine: Engine) -> None:
    [(unit, codes)] = due_units(engine, 1)
    bind(engine, unit, "c-a1")
    gateway = StubGateway()
    schedule = ReminderSchedule(sender(engine, gateway), at=clock_time(9, 0))
    early = datetime(ANCHOR.year, ANCHOR.month, ANCHOR.day, 8, 59, tzinfo=SHANGHAI)
    schedule.look(early)
    assert reminders(engine) == [] and gateway.calls == []
    schedule.look(early + timedelta(minutes=1))
    assert len(gateway.calls) == len(codes)
    bind(engine, unit, "c-later")  # bound later that day: reminded the next morning
    schedule.look(early + timedelta(hours=3))
    assert len(gateway.calls) == len(codes)
    schedule.look(early + timedelta(days=1, minutes=1))
    assert len(gateway.calls) == 2 * len(codes)
    assert {b["citizen_id"] for _, b, _ in gateway.calls[len(codes) :]} == {"c-later"}


@pytest.mark.slow
def test_each_look_is_counted_by_outcome(engine: Engine) -> None:
    [(unit, codes)] = due_units(engine, 1)
    bind(engine, unit, "c-a1")
    schedule = ReminderSchedule(sender(engine, StubGateway()), at=clock_time(9, 0))
    registry = CollectorRegistry()
    metrics = ReminderMetrics(registry)
    nine = datetime(ANCHOR.year, ANCHOR.month, ANCHOR.day, 9, 0, tzinfo=SHANGHAI)
    for moment in (nine - timedelta(minutes=1), nine, nine + timedelta(hours=1)):
        metrics.count(schedule.look(moment))
    text = generate_latest(registry).decode()
    counted = {
        outcome: metric_value(text, "inspection_reminders_total", outcome=outcome)
        for outcome in ("planned", "delivered", "failed", "retrying", "skipped")
    }
    assert counted == {
        "planned": len(codes),
        "delivered": len(codes),
        "failed": 0,
        "retrying": 0,
        "skipped": 0,
    }


@pytest.fixture
def gateway_url() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """A gateway's internal listener answering every template message with 200; its bodies."""
    bodies: list[dict[str, Any]] = []

    async def template(request: Request) -> JSONResponse:
        bodies.append(await request.json())
        return JSONResponse({"msgid": len(bodies)})

    app = Starlette(
        routes=[Route("/internal/wechat/{account}/template", template, methods=["POST"])]
    )
    with serve_in_thread(app) as url:
        yield url, bodies


@pytest.mark.slow
def test_the_command_plans_and_sends_once(
    engine: Engine, seeded_database_url: str, gateway_url: tuple[str, list[dict[str, Any]]]
) -> None:
    url, bodies = gateway_url
    [(unit, codes)] = due_units(engine, 1)
    bind(engine, unit, "c-a1")
    settings = InspectionSettings(
        database_url=seeded_database_url, gateway_url=url, shared=SharedSettings(env="dev")
    )
    assert send_reminders(settings, ANCHOR) == 0
    assert len(bodies) == len(codes) and bodies[0]["template_id"] == "dev-dgtj-inspection-due"
    assert send_reminders(settings, ANCHOR) == 0 and len(bodies) == len(codes)
    unreachable = settings.model_copy(update={"gateway_url": "http://127.0.0.1:9"})
    bind(engine, unit, "c-a2")
    assert send_reminders(unreachable, ANCHOR) == 1  # left pending for a retry


def test_the_command_line() -> None:
    assert send_reminders_cli(["serve"])[0] == ["serve"]
    assert send_reminders_cli(["send-reminders", "--date", "2026-06-15"])[0] == ["send-reminders"]
    with pytest.raises(SystemExit) as exit_code:
        send_reminders_cli(["send-reminders", "--date", "15/06/2026"])
    assert exit_code.value.code == 2


@pytest.mark.slow
def test_the_service_sends_reminders_on_its_own(
    engine: Engine, seeded_database_url: str, gateway_url: tuple[str, list[dict[str, Any]]]
) -> None:
    url, bodies = gateway_url
    [(unit, _)] = due_units(engine, 1)
    bind(engine, unit, "c-a1")
    settings = InspectionSettings(
        database_url=seeded_database_url,
        gateway_url=url,
        reminders_enabled=True,
        reminders_at=clock_time(0, 0),
        reminders_check_seconds=0.1,
        shared=SharedSettings(env="dev"),
    )
    with TestClient(create_app(settings)):
        deadline = time.monotonic() + 10
        while not bodies and time.monotonic() < deadline:
            time.sleep(0.05)
    assert bodies and {b["citizen_id"] for b in bodies} == {"c-a1"}
