"""Inspection report summaries (定期检验报告摘要): a one-page PDF for the unit's contacts, and a
public check by the verification code printed on it.

The code (`servicekit.verification`) is given when the report is issued (出具报告) and is the
report's key: anyone holding the paper (a property manager, a rider, a buyer of the equipment)
checks it at `GET /v1/reports/{code}`, and an altered code finds nothing. The check shows the
report as issued and whether the registry's standing still rests on it: a later inspection
supersedes it. Units, codes and places are public business registrations; who applied is never
printed or shown.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date, datetime

from sqlmodel import Session, select

from inspection.applications import application_for_contact
from inspection.intervals import PASSED
from inspection.models import Application, Equipment, ReportCheck, UserUnit
from inspection.registry import is_overdue
from inspection.towns import town_names
from inspection.varieties import BY_CODE
from servicekit.clock import local
from servicekit.errors import Conflict, NotFound, valid
from servicekit.pdf import table_pdf
from servicekit.verification import grouped, validate_code

TITLE = "特种设备定期检验报告（摘要）"
ISSUER = "广东省特种设备检测研究院东莞检测院"
ISSUED = "出具报告"
CHECK_PATH = "/api/v1/inspection/reports/{验证码}"
NOT_ISSUED = "该报检尚未出具检验报告（当前状态：{state}），出具后即可下载报告摘要。"
UNKNOWN_CODE = "未找到该验证码对应的检验报告，请核对验证码；报告可能是伪造或被涂改的。"
FOOTER_NOTE = "本摘要仅列明检验结论，完整检验报告以检验机构出具的正本为准。"


@dataclass(frozen=True)
class ReportText:
    """What a report summary says."""

    number: str
    code: str
    registration_code: str
    certificate_number: str
    category: str
    variety: str
    user_unit: str
    unit_code: str
    address: str
    town: str
    inspected_on: date
    conclusion: str
    safety_level: int | None
    next_due: date | None
    issued_at: datetime


def conclusion_text(*, conclusion: str, safety_level: int | None) -> str:
    """The conclusion as printed, with a vessel's safety level when it has one."""
    return conclusion if safety_level is None else f"{conclusion}（安全状况等级：{safety_level}级）"


def report_rows(text: ReportText) -> list[tuple[str, str]]:
    """The summary's table: label, value."""
    return [
        ("报告编号", text.number),
        ("注册代码", text.registration_code),
        ("使用登记证编号", text.certificate_number),
        ("设备类别", text.category),
        ("设备品种", text.variety),
        ("使用单位", text.user_unit),
        ("统一社会信用代码", text.unit_code),
        ("设备使用地点", text.address),
        ("所在镇街", text.town),
        ("检验类别", "定期检验"),
        ("检验日期", f"{text.inspected_on:%Y-%m-%d}"),
        (
            "检验结论",
            conclusion_text(conclusion=text.conclusion, safety_level=text.safety_level),
        ),
        ("下次检验日期", f"{text.next_due:%Y-%m-%d}" if text.next_due else "无（须整改后复检）"),
    ]


def footer_lines(text: ReportText) -> list[str]:
    """The lines under the table: issuer, time, the code and how to check it."""
    return [
        f"检验机构：{ISSUER}",
        f"出具时间：{text.issued_at:%Y-%m-%d %H:%M:%S}（北京时间）",
        f"验证码：{grouped(text.code)}",
        f"核验方式：访问 {CHECK_PATH} 输入验证码，可查询本报告真伪及设备现登记的检验状态。",
        FOOTER_NOTE,
    ]


def render_pdf(text: ReportText) -> bytes:
    """The summary as a one-page A4 PDF with an embedded CJK font subset."""
    return table_pdf(
        title=TITLE,
        heading=TITLE,
        rows=report_rows(text),
        footer=footer_lines(text),
        creator="guanwei inspection",
        what="检验报告摘要",
    )


def _equipment_of(session: Session, *, application: Application) -> tuple[Equipment, UserUnit]:
    """The application's equipment and its user unit (the foreign keys guarantee both)."""
    equipment = session.get(Equipment, application.registration_code)
    unit = session.get(UserUnit, application.unit_code)
    assert equipment is not None and unit is not None
    return equipment, unit


def report_text(*, application: Application, equipment: Equipment, unit: UserUnit) -> ReportText:
    """The summary of an application's report; 409 while it has none."""
    if (
        application.state != ISSUED
        or application.report_code is None
        or application.inspected_on is None
        or application.conclusion is None
    ):
        raise Conflict(NOT_ISSUED.format(state=application.state))
    variety = BY_CODE[equipment.variety_code]
    return ReportText(
        number=application.number,
        code=application.report_code,
        registration_code=equipment.registration_code,
        certificate_number=equipment.certificate_number,
        category=variety.category,
        variety=variety.name,
        user_unit=unit.name,
        unit_code=unit.credit_code,
        address=equipment.address,
        town=town_names().get(equipment.town, equipment.town),
        inspected_on=application.inspected_on,
        conclusion=application.conclusion,
        safety_level=application.safety_level,
        next_due=application.next_due,
        # 出具报告 is the last state: the application's last change is the report's issue.
        issued_at=local(application.updated_at),
    )


def report_pdf(session: Session, *, citizen_id: str, number: str) -> tuple[ReportText, bytes]:
    """The summary and its PDF for a contact of the application's unit (404 for anyone else,
    409 before the report)."""
    application = application_for_contact(session, citizen_id=citizen_id, number=number)
    equipment, unit = _equipment_of(session, application=application)
    text = report_text(application=application, equipment=equipment, unit=unit)
    return text, render_pdf(text)


def standing(
    *, equipment: Equipment, inspected_on: date, conclusion: str, today: date
) -> tuple[bool, str]:
    """Whether the equipment's registered standing still rests on a report of `inspected_on`
    with `conclusion`, and a sentence saying so (or what superseded it)."""
    status = "" if equipment.status == "在用" else f"设备现登记状态为{equipment.status}。"
    last = equipment.last_inspection
    if last is not None and last > inspected_on:
        return False, (
            f"该设备已于{last:%Y-%m-%d}再次定期检验（结论：{equipment.conclusion}），"
            f"本报告已被取代，请以最新检验结论为准。{status}"
        )
    if last != inspected_on or equipment.conclusion != conclusion:
        return False, f"设备现登记的检验信息与本报告不一致，请向{ISSUER}核实。{status}"
    if conclusion not in PASSED:
        return True, (
            f"本报告为该设备最近一次定期检验，结论为{conclusion}，"
            f"设备须整改并经复检合格后方可使用。{status}"
        )
    if is_overdue(equipment=equipment, today=today):
        return True, "本报告为该设备最近一次定期检验，但设备已超过下次检验日期，尚未再次检验。"
    return True, f"本报告为该设备最近一次定期检验，与设备现登记的检验结论一致。{status}"


def check(session: Session, *, code: str, today: date) -> ReportCheck:
    """The report a verification code was printed on (422 naming `code` when it cannot be one,
    404 when no report has it) and whether the equipment's standing still rests on it."""
    value = valid("code", "path", lambda: validate_code(code=code, document="报告"))
    application = session.exec(select(Application).where(Application.report_code == value)).first()
    if application is None:
        raise NotFound(UNKNOWN_CODE)
    equipment, unit = _equipment_of(session, application=application)
    text = report_text(application=application, equipment=equipment, unit=unit)
    current, sentence = standing(
        equipment=equipment,
        inspected_on=text.inspected_on,
        conclusion=text.conclusion,
        today=today,
    )
    return ReportCheck(
        **{**asdict(text), "code": grouped(text.code)},
        issuer=ISSUER,
        current=current,
        standing=sentence,
    )
