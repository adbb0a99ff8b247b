"""The words of 东莞特检's chat answers: pure functions of public data, within WeChat's limit."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date
from typing import Literal

from inspection.guides import GUIDES
from inspection.models import ApplicationPublic, EquipmentPublic
from inspection.registry import LIFT_EMERGENCY_PHONE
from servicekit.chattext import fit
from servicekit.verification import grouped

Kind = Literal["registration_code", "certificate"]
# "电梯 <注册代码>", "检验 <使用登记证编号>", or either identifier alone.
_KEYWORD = re.compile(r"^\s*(电梯|检验|查询|设备)?\s*(.*?)\s*$", re.S)
_TWENTY_DIGITS = re.compile(r"(?<!\d)\d{20}(?!\d)")

HOW_TO_ASK = (
    "【业务查询】请发送：\n"
    "电梯 注册代码（20位数字，见电梯轿厢内的使用标志），如：电梯 31104419002015060001\n"
    "检验 使用登记证编号，如：检验 梯11粤S00001(15)\n"
    "即可查询设备的使用单位、检验结论和下次检验日期。\n"
    "单位联系人回复“报检进度”，可查看本单位报检的排期和检验结论。"
)
ABOUT = (
    "【关于我们】广东省特种设备检测研究院东莞检测院（东莞特检）承担东莞市电梯、锅炉、"
    "压力容器、起重机械、场（厂）内专用机动车辆等特种设备的监督检验和定期检验。\n"
    f"电梯困人请拨打应急救援电话 {LIFT_EMERGENCY_PHONE}。"
)
HELP = (
    "东莞特检可以帮您：\n"
    "1. 业务查询：发送“电梯 注册代码”或“检验 使用登记证编号”，查设备检验情况；\n"
    "2. 报检进度：单位联系人回复“报检进度”，查看本单位报检的排期和检验结论；\n"
    "3. 办事指南：使用登记、变更、定期检验、电梯维保；\n"
    "4. 关于我们。\n"
    f"电梯困人请拨打 {LIFT_EMERGENCY_PHONE}。"
)

APP = "东莞特检应用"
HOW_TO_BIND = (
    f"绑定方法：在{APP}中用微信登录，进入“我的单位”，填写单位的统一社会信用代码、单位全称和"
    "本单位一台在用设备的使用登记证编号（见设备的使用登记证或使用标志），"
    "即可成为单位联系人。"
)
NOT_A_CONTACT = "\n".join(
    ["您还没有绑定使用单位，绑定后回复“报检进度”即可查看本单位报检的排期和检验结论。", HOW_TO_BIND]
)
HOW_TO_APPLY = (
    f"报检方法：在{APP}的“网上报检”中选择需要定期检验的设备提交，"
    "受理后回复“报检进度”即可查看排期和检验结论。"
)
NONE_OPEN = "\n".join(["您联系的单位目前没有在办的报检，近30天也没有出具检验报告。", HOW_TO_APPLY])
PROGRESS_TAIL = f"报检、下载检验报告请在{APP}的“网上报检”中办理。"
REPORTS_PATH = "/api/v1/inspection/reports"


def identifier_in(text: str) -> tuple[Kind, str] | None:
    """The identifier a message asks about, and which kind: 20 digits anywhere (unless after
    检验) or what follows 电梯 is a registration code; what follows 检验, or text starting with a
    character (梯11粤S…), a certificate number. None when the message names none."""
    match = _KEYWORD.match(text)
    keyword, rest = (match.group(1), match.group(2)) if match else (None, "")
    code = _TWENTY_DIGITS.search(rest)
    if code is not None and keyword != "检验":
        return "registration_code", code.group()
    if not rest:
        return None
    if keyword == "检验" or not rest[0].isdigit():
        return "certificate", rest
    return "registration_code", rest


def standing_text(view: EquipmentPublic) -> str:
    """A piece of equipment's standing in a few lines."""
    lines = [
        f"【设备查询】{view.category} {view.variety}",
        f"注册代码：{view.registration_code}",
        f"使用登记证编号：{view.certificate_number}",
        f"使用单位：{view.user_unit}",
        f"所在镇街：{view.town}",
        f"设备状态：{view.status}",
    ]
    if view.last_inspection is not None:
        level = f"（安全状况等级{view.safety_level}级）" if view.safety_level else ""
        lines.append(f"上次检验：{view.last_inspection:%Y年%m月%d日} {view.conclusion}{level}")
    if view.next_due is not None:
        lines.append(f"下次检验日期：{view.next_due:%Y年%m月%d日}")
    if view.overdue:
        lines.append("⚠ 该设备已超过检验有效期或检验不合格，请使用单位尽快报检、停止使用。")
    if view.category == "电梯":
        lines.append(f"电梯困人请拨打 {LIFT_EMERGENCY_PHONE}。")
    return "\n".join(lines)


def guides_text(link: str | None) -> str:
    """The guides' titles and summaries, as many as fit."""
    items = [f"{i}. {g.title}：{g.summary}" for i, g in enumerate(GUIDES, start=1)]
    tail = [f"详情：{link}"] if link else []
    return fit(["【办事指南】"], items, tail, more=lambda n: f"……另有{n}项，请在网页查看。")


def day(value: date) -> str:
    """A calendar day as citizens read it."""
    return f"{value:%Y年%m月%d日}"


def state_lines(application: ApplicationPublic, *, base_url: str) -> list[str]:
    """Where an application stands, with the date that goes with its state; a report's
    verification code and where anyone checks it."""
    scheduled = day(application.scheduled_date) if application.scheduled_date else "待定"
    match application.state:
        case "受理":
            submitted = day(application.created_at.date())
            return [f"状态：已受理（{submitted}提交），正在安排检验日期"]
        case "已排期":
            return [f"状态：已排期，检验日期：{scheduled}"]
        case "检验中":
            return [f"状态：检验中（检验日期：{scheduled}）"]
    inspected = day(application.inspected_on) if application.inspected_on else "—"
    level = f"（安全状况等级{application.safety_level}级）" if application.safety_level else ""
    conclusion = f"{application.conclusion or '—'}{level}"
    lines = [f"状态：已出具报告，{inspected}检验，结论：{conclusion}"]
    if application.next_due is not None:
        lines.append(f"下次检验日期：{day(application.next_due)}")
    if application.report_code:
        lines.append(f"报告验证码：{grouped(application.report_code)}")
        where = (
            f"{base_url}{REPORTS_PATH}/{application.report_code}"
            if base_url
            else f"{APP}的“报告核验”"
        )
        lines.append(f"任何人可凭验证码核验报告：{where}")
    return lines


def application_text(
    application: ApplicationPublic, *, index: int, base_url: str, with_unit: bool
) -> str:
    """One application in a few lines: number, equipment, place (and unit) and state."""
    unit = [f"使用单位：{application.user_unit}"] if with_unit else []
    return "\n".join(
        [
            "",
            f"{index}. 报检编号：{application.number}",
            f"{application.variety}（注册代码 {application.registration_code}）",
            *unit,
            f"地址：{application.address}",
            *state_lines(application, base_url=base_url),
        ]
    )


def progress_text(applications: Sequence[ApplicationPublic], *, base_url: str) -> str:
    """A contact's open applications (and reports of the last 30 days), as many as fit; each
    names its unit when they are of several."""
    with_unit = len({a.user_unit for a in applications}) > 1
    items = [
        application_text(a, index=i, base_url=base_url, with_unit=with_unit)
        for i, a in enumerate(applications, start=1)
    ]
    head = [f"【报检进度】您联系的单位有{len(items)}项报检在办或近30天出具报告："]
    return fit(
        head,
        items,
        ["", PROGRESS_TAIL],
        more=lambda n: f"\n……另有{n}项未列出，请在{APP}的“网上报检”中查看。",
    )
