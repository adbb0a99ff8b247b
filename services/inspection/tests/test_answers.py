"""东莞特检's chat answers at `/v1/internal/answers`: the gateway's token, the catalogue, and each
intent's text; the message parsing as table tests."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, col, func, select

from inspection.answers.texts import (
    HELP,
    HOW_TO_ASK,
    NONE_OPEN,
    NOT_A_CONTACT,
    PROGRESS_TAIL,
    identifier_in,
    progress_text,
    state_lines,
)
from inspection.models import (
    Application,
    ApplicationPublic,
    ApplicationState,
    ApplicationStep,
    Contact,
    Equipment,
)
from inspection.population import DEMO_LIFT, DEMO_OVERDUE_LIFT
from inspection.varieties import variety_of
from servicekit.answers import CITIZEN_HEADER
from servicekit.chattext import utf8_len
from servicekit.db import make_engine
from servicekit.testing import mint_token, service_headers


def ask(client: TestClient, intent: str, text: str = "", *, menu_click: bool = False) -> str:
    """The text of intent `intent` answering `text` (or a menu click)."""
    answer = client.post(
        f"/v1/internal/answers/{intent}",
        json={"account": "dgtj", "text": text, "menu_click": menu_click},
        headers=service_headers("gateway", "inspection"),
    )
    assert answer.status_code == 200, answer.text
    return answer.json()["text"]


@pytest.mark.parametrize(
    ("text", "found"),
    [
        (f"电梯 {DEMO_LIFT}", ("registration_code", DEMO_LIFT)),
        (f"电梯{DEMO_LIFT}", ("registration_code", DEMO_LIFT)),
        (DEMO_LIFT, ("registration_code", DEMO_LIFT)),
        (f"请帮我查一下{DEMO_LIFT}这台电梯", ("registration_code", DEMO_LIFT)),
        ("电梯 31104419", ("registration_code", "31104419")),
        ("检验 梯11粤S00001(15)", ("certificate", "梯11粤S00001(15)")),
        ("梯11粤S00001(15)", ("certificate", "梯11粤S00001(15)")),
        ("检验 3110", ("certificate", "3110")),
        ("电梯", None),
        ("  ", None),
    ],
)
def test_identifier_in(text: str, found: tuple[str, str] | None) -> None:
    assert identifier_in(text) == found


def test_the_catalogue(client: TestClient) -> None:
    body = client.get(
        "/v1/internal/answers", headers=service_headers("gateway", "inspection")
    ).json()
    assert body["service"] == "inspection"
    assert {i["name"]: i["citizen"] for i in body["intents"]} == {
        "about": "none",
        "guide": "none",
        "help": "none",
        "progress": "required",
        "query": "none",
    }


def test_only_the_gateway_may_ask(client: TestClient) -> None:
    body = {"account": "dgtj", "text": "帮助"}
    assert client.post("/v1/internal/answers/help", json=body).status_code == 401
    citizen = mint_token("inspection", "citizen-1")
    assert client.post("/v1/internal/answers/help", json=body, headers=citizen).status_code in {
        401,
        403,
    }


def test_a_lift_lookup_answers_its_next_inspection_date(client: TestClient) -> None:
    text = ask(client, "query", f"电梯 {DEMO_LIFT}")
    assert "下次检验日期：2027年03月07日" in text and "南城街道" in text
    assert "上次检验：2026年03月07日 合格" in text and "96333" in text
    assert "超过检验有效期" not in text


def test_a_certificate_lookup_and_an_overdue_warning(client: TestClient) -> None:
    assert DEMO_LIFT in ask(client, "query", "检验 梯11粤S00001(15)")
    assert "超过检验有效期" in ask(client, "query", f"电梯 {DEMO_OVERDUE_LIFT}")


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("电梯 3110441900201506000", "20位数字"),
        ("检验 梯99粤S00001(15)", "梯99"),
        ("电梯 31104419002015069999", "未找到该设备"),
    ],
)
def test_a_bad_identifier_says_what_is_wrong_and_how_to_ask(
    client: TestClient, text: str, says: str
) -> None:
    answer = ask(client, "query", text)
    assert says in answer and answer.endswith(HOW_TO_ASK)


def test_the_menu_click_explains_how_to_ask(client: TestClient) -> None:
    assert ask(client, "query", "query", menu_click=True) == HOW_TO_ASK


def test_guides_about_and_help(client: TestClient) -> None:
    guides = ask(client, "guide")
    assert "特种设备使用登记" in guides and "电梯维护保养" in guides
    assert utf8_len(guides) <= 2048
    assert "东莞检测院" in ask(client, "about")
    assert ask(client, "help", "你好") == HELP


def test_an_intent_not_served_is_404(client: TestClient) -> None:
    answer = client.post(
        "/v1/internal/answers/traffic_points",
        json={"account": "dgtj", "text": "记分"},
        headers=service_headers("gateway", "inspection"),
    )
    assert answer.status_code == 404


# -- 报检进度 (progress): rows inserted directly, as the applications API would have left them.

CONTACT = "c-contact-1"
STRANGER = "c-stranger-1"
GATEWAY_ORIGIN = "https://gw.example"
# The tests' "now" (conftest: ANCHOR at noon in Dongguan).
NOW = datetime(2026, 6, 15, 4, tzinfo=UTC)
STATES: list[ApplicationState] = ["受理", "已排期", "检验中", "出具报告"]
REPORT_CODE = "ABCDEFGHJKMNPQRS"


def public(state: ApplicationState, **fields: Any) -> ApplicationPublic:
    """An application as the applications API shows it, in `state` with `fields`."""
    defaults: dict[str, Any] = {
        "number": "BJ20260615000001",
        "registration_code": DEMO_LIFT,
        "category": "电梯",
        "variety": "曳引驱动乘客电梯",
        "address": "南城街道鸿福路100号1栋1号梯",
        "town": "南城街道",
        "user_unit": "东莞市新宇食品有限公司",
        "preferred_date": None,
        "note": "",
        "scheduled_date": None,
        "inspected_on": None,
        "conclusion": None,
        "safety_level": None,
        "next_due": None,
        "report_code": None,
        # 20:00 UTC is the next morning in Dongguan.
        "created_at": datetime(2026, 6, 14, 20, tzinfo=UTC),
        "steps": [],
    }
    return ApplicationPublic(**(defaults | {"state": state} | fields))


REPORTED = {
    "inspected_on": date(2026, 6, 20),
    "conclusion": "合格",
    "next_due": date(2027, 6, 20),
    "report_code": REPORT_CODE,
}
JUNE_20 = {"scheduled_date": date(2026, 6, 20)}


@pytest.mark.parametrize(
    ("application", "base_url", "lines"),
    [
        (public("受理"), "", ["状态：已受理（2026年06月15日提交），正在安排检验日期"]),
        (public("已排期", **JUNE_20), "", ["状态：已排期，检验日期：2026年06月20日"]),
        (public("检验中", **JUNE_20), "", ["状态：检验中（检验日期：2026年06月20日）"]),
        (
            public("出具报告", **JUNE_20, **REPORTED),
            "",
            [
                "状态：已出具报告，2026年06月20日检验，结论：合格",
                "下次检验日期：2027年06月20日",
                "报告验证码：ABCD-EFGH-JKMN-PQRS",
                "任何人可凭验证码核验报告：东莞特检应用的“报告核验”",
            ],
        ),
        (
            public(
                "出具报告",
                **JUNE_20,
                **(REPORTED | {"conclusion": "基本符合要求", "safety_level": 3}),
            ),
            GATEWAY_ORIGIN,
            [
                "状态：已出具报告，2026年06月20日检验，结论：基本符合要求（安全状况等级3级）",
                "下次检验日期：2027年06月20日",
                "报告验证码：ABCD-EFGH-JKMN-PQRS",
                f"任何人可凭验证码核验报告：{GATEWAY_ORIGIN}/api/v1/inspection/reports/{REPORT_CODE}",
            ],
        ),
        (
            public(
                "出具报告", **JUNE_20, **(REPORTED | {"conclusion": "不合格", "next_due": None})
            ),
            GATEWAY_ORIGIN,
            [
                "状态：已出具报告，2026年06月20日检验，结论：不合格",
                "报告验证码：ABCD-EFGH-JKMN-PQRS",
                f"任何人可凭验证码核验报告：{GATEWAY_ORIGIN}/api/v1/inspection/reports/{REPORT_CODE}",
            ],
        ),
    ],
)
def test_each_state_shows_the_date_that_goes_with_it(
    application: ApplicationPublic, base_url: str, lines: list[str]
) -> None:
    assert state_lines(application, base_url=base_url) == lines


def test_applications_of_several_units_name_their_unit() -> None:
    one = public("受理")
    other = public("受理", number="BJ20260615000002", user_unit="东莞市华信五金有限公司")
    assert "使用单位：" not in progress_text([one, one], base_url="")
    text = progress_text([one, other], base_url="").splitlines()
    assert "使用单位：东莞市新宇食品有限公司" in text and "使用单位：东莞市华信五金有限公司" in text


def progress(client: TestClient, citizen_id: str | None) -> dict[str, Any]:
    """The progress answer to "报检进度" for `citizen_id` (None: the gateway identified nobody)."""
    headers = service_headers("gateway", "inspection")
    if citizen_id is not None:
        headers[CITIZEN_HEADER] = mint_token("inspection", citizen_id)["Authorization"]
    answer = client.post(
        "/v1/internal/answers/progress",
        json={"account": "dgtj", "text": "报检进度", "public_base_url": GATEWAY_ORIGIN},
        headers=headers,
    )
    assert answer.status_code == 200, answer.text
    return answer.json()


def a_unit(session: Session) -> tuple[str, list[Equipment]]:
    """The unit with the most equipment but the demo lift's (whose seeded contact and application
    are not these tests'), and its equipment."""
    demo = session.get(Equipment, DEMO_LIFT)
    assert demo is not None
    unit = session.exec(
        select(Equipment.user_unit_code)
        .where(Equipment.user_unit_code != demo.user_unit_code)
        .group_by(col(Equipment.user_unit_code))
        .order_by(func.count().desc(), col(Equipment.user_unit_code))
    ).first()
    assert unit is not None
    equipment = session.exec(
        select(Equipment)
        .where(Equipment.user_unit_code == unit)
        .order_by(col(Equipment.registration_code))
    ).all()
    return unit, list(equipment)


def bind(session: Session, citizen_id: str, unit_code: str) -> None:
    session.add(Contact(citizen_id=citizen_id, unit_code=unit_code, created_at=NOW))
    session.commit()


def add_application(
    session: Session,
    *,
    number: str,
    registration_code: str,
    unit_code: str,
    state: ApplicationState,
    at: datetime,
    **columns: Any,
) -> None:
    """An application that went through every state up to `state`, a day per step from `at`."""
    application = Application(
        number=number,
        registration_code=registration_code,
        unit_code=unit_code,
        applicant_id=CONTACT,
        idempotency_key=number,
        request_hash="0" * 64,
        state=state,
        created_at=at,
        updated_at=at + timedelta(days=STATES.index(state)),
        **columns,
    )
    session.add(application)
    session.flush()
    assert application.id is not None
    for step, reached in enumerate(STATES[: STATES.index(state) + 1]):
        when = at + timedelta(days=step)
        session.add(ApplicationStep(application_id=application.id, state=reached, at=when))
    session.commit()


@pytest.fixture
def session(seeded_database_url: str, client: TestClient) -> Iterator[Session]:
    """A session on the database `client` serves."""
    engine = make_engine(seeded_database_url)
    with Session(engine) as opened:
        yield opened
    engine.dispose()


def test_a_contact_reads_each_open_application_with_the_date_of_its_state(
    client: TestClient, session: Session
) -> None:
    unit, equipment = a_unit(session)
    first, last = equipment[0], equipment[-1]
    elsewhere = session.get(Equipment, DEMO_LIFT)
    assert elsewhere is not None
    bind(session, CONTACT, unit)
    start = NOW - timedelta(days=10)
    add_application(
        session,
        number="BJ20260605000001",
        registration_code=first.registration_code,
        unit_code=unit,
        state="已排期",
        at=start,
        scheduled_date=date(2026, 6, 20),
    )
    add_application(
        session,
        number="BJ20260606000002",
        registration_code=last.registration_code,
        unit_code=unit,
        state="出具报告",
        at=start + timedelta(days=1),
        scheduled_date=date(2026, 6, 8),
        inspected_on=date(2026, 6, 8),
        conclusion="合格",
        next_due=date(2027, 6, 8),
        report_code=REPORT_CODE,
    )
    add_application(
        session,
        number="BJ20260614000003",
        registration_code=last.registration_code,
        unit_code=unit,
        state="受理",
        at=NOW - timedelta(days=1),
    )
    add_application(
        session,
        number="BJ20260614000004",
        registration_code=elsewhere.registration_code,
        unit_code=elsewhere.user_unit_code,
        state="已排期",
        at=NOW - timedelta(days=1),
        scheduled_date=date(2026, 6, 18),
    )

    answer = progress(client, CONTACT)

    assert answer["personal"] is True and answer["needs_citizen"] is False
    lines = answer["text"].splitlines()
    assert lines[0].startswith("【报检进度】") and lines[-1] == PROGRESS_TAIL
    # Newest first; another unit's application is not there.
    numbers = [line.split("报检编号：")[1] for line in lines if "报检编号：" in line]
    assert numbers == ["BJ20260614000003", "BJ20260606000002", "BJ20260605000001"]
    assert "状态：已受理（2026年06月14日提交），正在安排检验日期" in lines
    assert "状态：已排期，检验日期：2026年06月20日" in lines
    variety = variety_of(first.variety_code)
    assert variety is not None
    assert f"{variety.name}（注册代码 {first.registration_code}）" in lines
    assert f"地址：{first.address}" in lines
    assert "状态：已出具报告，2026年06月08日检验，结论：合格" in lines
    assert "下次检验日期：2027年06月08日" in lines
    assert "报告验证码：ABCD-EFGH-JKMN-PQRS" in lines
    assert (
        f"任何人可凭验证码核验报告：{GATEWAY_ORIGIN}/api/v1/inspection/reports/{REPORT_CODE}"
        in lines
    )


def test_a_contact_with_nothing_open_is_told_how_to_apply(
    client: TestClient, session: Session
) -> None:
    unit, _ = a_unit(session)
    bind(session, CONTACT, unit)
    answer = progress(client, CONTACT)
    assert answer == {**answer, "text": NONE_OPEN, "personal": True, "needs_citizen": False}
    assert "网上报检" in NONE_OPEN


def test_a_citizen_who_is_no_contact_is_told_how_to_bind(
    client: TestClient, session: Session
) -> None:
    unit, equipment = a_unit(session)
    bind(session, CONTACT, unit)
    add_application(
        session,
        number="BJ20260614000001",
        registration_code=equipment[0].registration_code,
        unit_code=unit,
        state="受理",
        at=NOW,
    )
    answer = progress(client, STRANGER)
    assert answer["text"] == NOT_A_CONTACT and answer["personal"] is True
    assert "BJ20260614000001" not in answer["text"]
    assert all(part in NOT_A_CONTACT for part in ("统一社会信用代码", "单位全称", "使用登记证编号"))


def test_without_the_citizen_the_answer_needs_them(client: TestClient) -> None:
    answer = progress(client, None)
    assert answer["needs_citizen"] is True and answer["text"] == ""
    assert answer["personal"] is False


def test_many_reports_fit_in_one_message(client: TestClient, session: Session) -> None:
    unit, equipment = a_unit(session)
    bind(session, CONTACT, unit)
    count = 40
    for i in range(count):
        add_application(
            session,
            number=f"BJ20260601{i:06d}",
            registration_code=equipment[i % len(equipment)].registration_code,
            unit_code=unit,
            state="出具报告",
            at=NOW - timedelta(hours=count - i),
            **(REPORTED | {"report_code": f"{REPORT_CODE[:10]}{i:06d}"}),
        )

    text = progress(client, CONTACT)["text"]

    assert utf8_len(text) <= 2048
    shown = text.count("报检编号：")
    assert 3 <= shown < count
    assert f"BJ20260601{count - 1:06d}" in text  # the newest
    assert f"……另有{count - shown}项未列出" in text and text.endswith(PROGRESS_TAIL)
