"""Inspection report summaries: the PDF in Chinese with its verification code, for the unit's
contacts only and only once issued; the public check by code, and what supersedes a report."""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pypdf
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session

from inspection.models import Application, Contact, Equipment
from inspection.population import DEMO_LIFT, Registry
from inspection.reports import ISSUER, TITLE, ReportText, render_pdf, standing
from servicekit.cjk import CJKFontNotFound, find_cjk_font
from servicekit.clock import SHANGHAI
from servicekit.db import make_engine
from servicekit.testing import mint_token, require
from servicekit.verification import grouped, new_code

# The conftest's anchor: the registry's "today".
TODAY = date(2026, 6, 15)
CONTACT = "c-reports-contact"
OTHER_CONTACT = "c-reports-other"
ISSUED_AT = datetime(2026, 6, 10, 16, 30, tzinfo=SHANGHAI)


def headers_of(citizen_id: str) -> dict[str, str]:
    """A citizen's token as the gateway sends it."""
    return mint_token("inspection", citizen_id)


def pdf_text(content: bytes) -> str:
    return "".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(content)).pages)


@pytest.fixture
def cjk_font() -> None:
    try:
        find_cjk_font(TITLE + "东莞市有限公司")
    except CJKFontNotFound:
        require("no CJK font installed (fonts-wqy-microhei)")


# --- the rules ---------------------------------------------------------------------------------


def lift(
    *,
    last: date | None = date(2026, 3, 1),
    conclusion: str | None = "合格",
    next_due: date | None = date(2027, 3, 1),
    status: Any = "在用",
) -> Equipment:
    return Equipment(
        registration_code=DEMO_LIFT,
        certificate_number="梯11粤S00001(15)",
        variety_code="3110",
        user_unit_code="91441900MAFJB9QKTT",
        address="",
        town="nancheng",
        in_service=date(2015, 6, 15),
        last_inspection=last,
        conclusion=conclusion,
        next_due=next_due,
        status=status,
    )


@pytest.mark.parametrize(
    ("equipment", "conclusion", "current", "says"),
    [
        (lift(), "合格", True, "与设备现登记的检验结论一致"),
        # Inspected again since: the registry rests on the later report.
        (lift(last=date(2027, 2, 20), next_due=date(2028, 2, 20)), "合格", False, "已被取代"),
        (lift(last=date(2027, 2, 20), conclusion="不合格"), "合格", False, "结论：不合格"),
        # Same day, another conclusion recorded: something changed the registry since.
        (lift(conclusion="复检合格"), "合格", False, "不一致"),
        (lift(last=None, conclusion=None), "合格", False, "不一致"),
        (lift(next_due=date(2026, 6, 14)), "合格", True, "已超过下次检验日期"),
        (lift(conclusion="不合格", next_due=None), "不合格", True, "须整改"),
        (lift(status="停用"), "合格", True, "设备现登记状态为停用"),
        (lift(status="报废", next_due=None), "合格", True, "设备现登记状态为报废"),
    ],
)
def test_whether_the_standing_still_rests_on_a_report(
    equipment: Equipment, conclusion: str, current: bool, says: str
) -> None:
    still, sentence = standing(
        equipment=equipment, inspected_on=date(2026, 3, 1), conclusion=conclusion, today=TODAY
    )
    assert still is current
    assert says in sentence


VESSEL = ReportText(
    number="BJ20260601000007",
    code="ABCDEFGHJKMNPQRS",
    registration_code="21504419002019050003",
    certificate_number="容15粤S00012(19)",
    category="压力容器",
    variety="第二类压力容器",
    user_unit="东莞市新宇食品有限公司",
    unit_code="91441900MAFJB9QKTT",
    address="南城街道鸿福路88号",
    town="南城街道",
    inspected_on=date(2026, 6, 3),
    conclusion="符合要求",
    safety_level=2,
    next_due=date(2032, 6, 3),
    issued_at=ISSUED_AT,
)


@pytest.mark.usefixtures("cjk_font")
@pytest.mark.slow
def test_the_summary_says_in_chinese_what_was_found_and_how_to_check_it() -> None:
    content = render_pdf(VESSEL)
    assert content.startswith(b"%PDF")
    reader = pypdf.PdfReader(io.BytesIO(content))
    assert len(reader.pages) == 1
    assert reader.metadata is not None and reader.metadata.title == TITLE
    text = pdf_text(content)
    for expected in (
        TITLE,
        "报告编号 BJ20260601000007",
        "注册代码 21504419002019050003",
        "使用登记证编号 容15粤S00012(19)",
        "压力容器",
        "第二类压力容器",
        "东莞市新宇食品有限公司",
        "91441900MAFJB9QKTT",
        "南城街道鸿福路88号",
        "检验日期 2026-06-03",
        "检验结论 符合要求（安全状况等级：2级）",
        "下次检验日期 2032-06-03",
        f"检验机构：{ISSUER}",
        "出具时间：2026-06-10 16:30:00（北京时间）",
        "验证码：ABCD-EFGH-JKMN-PQRS",
        "/api/v1/inspection/reports/",
    ):
        assert expected in text, expected
    fonts = list(reader.pages[0]["/Resources"]["/Font"].values())
    descendant = fonts[0].get_object()["/DescendantFonts"][0].get_object()
    assert "/FontFile2" in descendant["/FontDescriptor"]  # the TrueType font is embedded


@pytest.mark.usefixtures("cjk_font")
def test_a_failed_report_names_no_next_due_date() -> None:
    failed = replace(VESSEL, conclusion="不符合要求", safety_level=5, next_due=None)
    text = pdf_text(render_pdf(failed))
    assert "不符合要求（安全状况等级：5级）" in text and "无（须整改后复检）" in text


# --- through the API ---------------------------------------------------------------------------


CREATED = datetime(2026, 3, 1, 9, tzinfo=SHANGHAI).astimezone(UTC)


@pytest.fixture
def database(seeded_database_url: str) -> Iterator[Engine]:
    engine = make_engine(seeded_database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def unit(database: Engine, registry: Registry) -> dict[str, object]:
    """The demo lift's user unit with `CONTACT` as its contact; `OTHER_CONTACT` is a contact of
    another unit."""
    lift = next(e for e in registry.equipment if e["registration_code"] == DEMO_LIFT)
    unit = next(u for u in registry.units if u["credit_code"] == lift["user_unit_code"])
    other = next(u for u in registry.units if u["credit_code"] != unit["credit_code"])
    with Session(database) as session:
        session.add(
            Contact(citizen_id=CONTACT, unit_code=str(unit["credit_code"]), created_at=CREATED)
        )
        session.add(
            Contact(
                citizen_id=OTHER_CONTACT, unit_code=str(other["credit_code"]), created_at=CREATED
            )
        )
        session.commit()
    return unit


@dataclass(frozen=True)
class Issued:
    """Applications inserted for the tests: one with its report, one still being inspected."""

    number: str
    code: str
    unit_name: str
    unit_code: str
    pending: str


@pytest.fixture
def issued(database: Engine, registry: Registry, unit: dict[str, object]) -> Issued:
    """A report issued on the demo lift's last inspection, the standing recorded as
    inspection.applications records it, and a second application still being inspected."""
    lift = next(e for e in registry.equipment if e["registration_code"] == DEMO_LIFT)
    code = new_code()

    def application(number: str, **state: Any) -> Application:
        return Application(
            number=number,
            registration_code=DEMO_LIFT,
            unit_code=str(unit["credit_code"]),
            applicant_id=CONTACT,
            idempotency_key=number,
            request_hash="0" * 64,
            created_at=CREATED,
            updated_at=ISSUED_AT.astimezone(UTC),
            **state,
        )

    with Session(database) as session:
        session.add(
            application(
                "BJ20260301900001",
                state="出具报告",
                scheduled_date=lift["last_inspection"],
                inspected_on=lift["last_inspection"],
                conclusion=lift["conclusion"],
                next_due=lift["next_due"],
                report_code=code,
            )
        )
        session.add(
            application("BJ20260301900002", state="检验中", scheduled_date=date(2026, 6, 15))
        )
        session.commit()
    return Issued(
        "BJ20260301900001", code, str(unit["name"]), str(unit["credit_code"]), "BJ20260301900002"
    )


def report_path(number: str) -> str:
    return f"/v1/me/applications/{number}/report.pdf"


@pytest.mark.slow
@pytest.mark.usefixtures("cjk_font")
def test_a_contact_downloads_the_summary_with_its_code(
    client: TestClient, issued: Issued, registry: Registry
) -> None:
    response = client.get(report_path(issued.number), headers=headers_of(CONTACT))
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["X-Report-Code"] == issued.code
    assert f'filename="report-{issued.number}.pdf"' in response.headers["content-disposition"]
    text = pdf_text(response.content)
    lift_row = next(e for e in registry.equipment if e["registration_code"] == DEMO_LIFT)
    for expected in (
        TITLE,
        issued.unit_name,
        f"检验结论 {lift_row['conclusion']}",
        f"验证码：{grouped(issued.code)}",
        "出具时间：2026-06-10 16:30:00（北京时间）",
    ):
        assert expected in text, expected
    assert CONTACT not in text  # who applied is never printed


def test_the_code_checks_publicly_and_an_altered_one_finds_nothing(
    client: TestClient, issued: Issued
) -> None:
    # As typed from the paper: lower case, with the printed dashes.
    check = client.get(f"/v1/reports/{grouped(issued.code).lower()}")
    assert check.status_code == 200, check.text
    body = check.json()
    assert (body["code"], body["number"]) == (grouped(issued.code), issued.number)
    assert (body["registration_code"], body["user_unit"]) == (DEMO_LIFT, issued.unit_name)
    assert (body["unit_code"], body["category"], body["issuer"]) == (
        issued.unit_code,
        "电梯",
        ISSUER,
    )
    assert body["current"] is True and "最近一次定期检验" in body["standing"]
    assert CONTACT not in str(body)
    altered = issued.code[:-1] + ("A" if issued.code[-1] != "A" else "B")
    missing = client.get(f"/v1/reports/{altered}")
    assert missing.status_code == 404 and "伪造" in missing.json()["detail"]
    malformed = client.get("/v1/reports/not-a-code")
    assert malformed.status_code == 422
    assert [e["field"] for e in malformed.json()["errors"]] == ["code"]
    assert client.get(f"/v1/reports/{'A' * 40}").status_code == 422


def test_a_later_inspection_supersedes_the_report(
    client: TestClient, issued: Issued, database: Engine
) -> None:
    with Session(database) as session:
        equipment = session.get(Equipment, DEMO_LIFT)
        assert equipment is not None
        equipment.last_inspection = TODAY - timedelta(days=1)
        session.add(equipment)
        session.commit()
    body = client.get(f"/v1/reports/{issued.code}").json()
    assert body["current"] is False and "本报告已被取代" in body["standing"]


def test_no_summary_before_the_report(client: TestClient, issued: Issued) -> None:
    response = client.get(report_path(issued.pending), headers=headers_of(CONTACT))
    assert response.status_code == 409
    assert "尚未出具检验报告（当前状态：检验中）" in response.json()["detail"]


def test_only_the_units_contacts_download_it(client: TestClient, issued: Issued) -> None:
    stranger = client.get(report_path(issued.number), headers=headers_of(OTHER_CONTACT))
    unknown = client.get(report_path("BJ20260301999999"), headers=headers_of(CONTACT))
    assert stranger.status_code == unknown.status_code == 404
    assert stranger.json()["detail"] == unknown.json()["detail"]
    assert client.get(report_path(issued.number)).status_code == 401
    staff = mint_token("inspection", "s-inspector", roles=["inspector"], kind="staff")
    assert client.get(report_path(issued.number), headers=staff).status_code == 403


@pytest.mark.slow
@pytest.mark.usefixtures("cjk_font")
def test_the_report_an_inspector_issues_is_the_one_the_contact_downloads(
    client: TestClient, unit: dict[str, object]
) -> None:
    contact = headers_of(CONTACT)
    submitted = client.post(
        "/v1/me/applications",
        json={"registration_code": DEMO_LIFT},
        headers={**contact, "Idempotency-Key": "reports-e2e"},
    )
    assert submitted.status_code == 201, submitted.text
    number = submitted.json()["number"]
    inspector = mint_token("inspection", "s-inspector", roles=["inspector"], kind="staff")
    moves = [
        {"to": "已排期", "scheduled_date": "2026-06-15"},
        {"to": "检验中"},
        {"to": "出具报告", "inspected_on": "2026-06-15", "conclusion": "复检合格"},
    ]
    for move in moves:
        assert client.get(report_path(number), headers=contact).status_code == 409
        moved = client.post(f"/v1/applications/{number}/transitions", json=move, headers=inspector)
        assert moved.status_code == 200, moved.text
    response = client.get(report_path(number), headers=contact)
    assert response.status_code == 200, response.text
    code = response.headers["X-Report-Code"]
    assert moved.json()["report_code"] == code
    text = pdf_text(response.content)
    for expected in (
        f"报告编号 {number}",
        str(unit["name"]),
        "检验日期 2026-06-15",
        "检验结论 复检合格",
        "下次检验日期 2027-06-15",
        f"验证码：{grouped(code)}",
        "出具时间：2026-06-15 12:00:00（北京时间）",
    ):
        assert expected in text, expected
    body = client.get(f"/v1/reports/{code}").json()
    assert (body["number"], body["conclusion"], body["next_due"]) == (
        number,
        "复检合格",
        "2027-06-15",
    )
    assert body["current"] is True  # the inspector's report is the lift's standing now
