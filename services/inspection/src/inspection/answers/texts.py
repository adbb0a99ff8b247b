"""The words of 东莞特检's chat answers: pure functions of public data, within WeChat's limit."""

from __future__ import annotations

import re
from typing import Literal

from inspection.guides import GUIDES
from inspection.models import EquipmentPublic
from inspection.registry import LIFT_EMERGENCY_PHONE
from servicekit.chattext import fit

Kind = Literal["registration_code", "certificate"]
# "电梯 <注册代码>", "检验 <使用登记证编号>", or either identifier alone.
_KEYWORD = re.compile(r"^\s*(电梯|检验|查询|设备)?\s*(.*?)\s*$", re.S)
_TWENTY_DIGITS = re.compile(r"(?<!\d)\d{20}(?!\d)")

HOW_TO_ASK = (
    "【业务查询】请发送：\n"
    "电梯 注册代码（20位数字，见电梯轿厢内的使用标志），如：电梯 31104419002015060001\n"
    "检验 使用登记证编号，如：检验 梯11粤S00001(15)\n"
    "即可查询设备的使用单位、检验结论和下次检验日期。"
)
ABOUT = (
    "【关于我们】广东省特种设备检测研究院东莞检测院（东莞特检）承担东莞市电梯、锅炉、"
    "压力容器、起重机械、场（厂）内专用机动车辆等特种设备的监督检验和定期检验。\n"
    f"电梯困人请拨打应急救援电话 {LIFT_EMERGENCY_PHONE}。"
)
HELP = (
    "东莞特检可以帮您：\n"
    "1. 业务查询：发送“电梯 注册代码”或“检验 使用登记证编号”，查设备检验情况；\n"
    "2. 办事指南：使用登记、变更、定期检验、电梯维保；\n"
    "3. 关于我们。\n"
    f"电梯困人请拨打 {LIFT_EMERGENCY_PHONE}。"
)


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
