"""东莞社保's chat texts: pure functions from socialsec's documents to the Chinese a citizen reads.

Each answer keeps within WeChat's 2048 bytes (servicekit.chattext): long lists are cut at a
whole item with a note of how many were left out. Personal documents arrive here masked
(socialsec.answers.intents); these functions show only what they are given.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from servicekit.chattext import clip, fit
from servicekit.clock import SHANGHAI
from servicekit.deps import Page
from servicekit.money import yuan_text
from socialsec.clock import Period, add_months, month_label, month_of, month_range
from socialsec.models import (
    AccountPublic,
    CardEventPublic,
    CardPublic,
    ContributionRowPublic,
    ContributionSummaryPublic,
    OfficePublic,
    PensionPaymentPublic,
    ProfilePublic,
    RulePublic,
    RuleResultPublic,
)

RECENT_MONTHS = 6
PENSION_MONTHS = 6

ASK_TOWN = "请告诉我您要查询哪个镇街的社保分局电话，例如回复“社保电话 大朗”。"
NO_ID_IN_CHAT = "为保护您的个人信息，请不要在聊天中发送身份证号码或社保卡号。"
HOW_TO_BIND = (
    "绑定方法：在东莞社保应用中用微信登录，进入“我的绑定”，填写姓名、身份证号码和社保卡号"
    "（社保卡正面的9位卡号）即可完成绑定。"
)
NOT_BOUND = "\n".join(
    ["您还没有绑定社保身份，绑定后即可查询本人的社保记录。", HOW_TO_BIND + NO_ID_IN_CHAT]
)
BIND_TO_SEE_MINE = "绑定社保身份后，可在这里查看您本人是否符合及原因。" + HOW_TO_BIND
ID_IN_CHAT = "\n".join(
    [NO_ID_IN_CHAT + "聊天中无法核验或绑定身份，您发送的内容不会被用于查询。", HOW_TO_BIND]
)
MENU = "\n".join(
    [
        "东莞社保可以为您查询（本人记录须先绑定社保身份，结果已脱敏）：",
        "回复“缴费”：近6个月缴费明细",
        "回复“余额”：养老、医疗个人账户余额",
        "回复“社保卡”：社保卡状态和制卡进度",
        "回复“养老金”：养老金发放记录",
        "回复“公积金”：用社保卡提取住房公积金",
        "回复“老人免费乘车”：非莞籍老年人免费乘公交",
        "回复“社保电话 大朗”：镇街社保分局电话",
    ]
)
MORE_IN_APP = "更多明细请在东莞社保应用中查看。"

# Something that looks like a resident ID number or a social-security card number.
_IDENTIFIER = re.compile(r"(?<![0-9A-Za-z])(\d{17}[\dXx]|[A-Za-z]\d{8})(?![0-9A-Za-z])")

CARD_NEXT_STEP = {
    "accepted": "申领已受理，正在安排制卡，请耐心等待。",
    "making": "正在制卡，制好后将送达{office}或寄送给您，可随时回复“社保卡”查看进度。",
    "posted": "社保卡已寄出，请留意查收；收到后需激活方可使用。",
    "ready": "社保卡已到达{office}，请本人携带身份证原件前往领取并激活。",
    "collected": "",
}
CARD_STATUS_NOTE = {
    "normal": "",
    "lost": "您的社保卡已挂失，挂失期间不能使用；补卡进度见上，如已找回可到社保分局办理解挂。",
    "cancelled": "您的社保卡已注销，如需用卡请到社保分局申领新卡。",
}
MONTH_STATUS_TEXT = {
    "paid": "已缴",
    "owed": "欠缴",
    "partly_owed": "部分欠缴",
    "gap": "断缴",
    "none": "无缴费记录",
}


def mentions_identifier(text: str) -> bool:
    """Whether a message holds something like an ID number or a social-security card number."""
    return bool(_IDENTIFIER.search(text))


def recent_months(today: date, count: int = RECENT_MONTHS) -> Period:
    """The `count` whole months before `today`'s month."""
    last = add_months(month_of(today), -1)
    return Period(add_months(last, 1 - count), last)


def month_span(first: str, last: str) -> list[str]:
    """Every 'YYYY-MM' from `last` back to `first`, newest first."""
    start = date(int(first[:4]), int(first[5:7]), 1)
    end = date(int(last[:4]), int(last[5:7]), 1)
    return [month_label(m) for m in reversed(list(month_range(start, end)))]


@dataclass(frozen=True)
class MonthLine:
    """One month of contributions, all insurances together."""

    month: str
    # paid | owed | partly_owed | gap (a missed month) | none (no record, not a gap)
    status: str
    employer_fen: int = 0
    employee_fen: int = 0
    base_fen: int = 0
    employers: tuple[str, ...] = ()


def month_lines(
    months: Sequence[str], rows: Sequence[ContributionRowPublic], gaps: Sequence[str]
) -> list[MonthLine]:
    """The months asked (in their order) with their rows added up, gaps flagged."""
    lines = []
    for month in months:
        mine = [r for r in rows if r.month == month]
        if not mine:
            lines.append(MonthLine(month, "gap" if month in gaps else "none"))
            continue
        owed = sum(1 for r in mine if r.status == "owed")
        status = "paid" if owed == 0 else "owed" if owed == len(mine) else "partly_owed"
        lines.append(
            MonthLine(
                month=month,
                status=status,
                employer_fen=sum(r.employer_fen for r in mine),
                employee_fen=sum(r.employee_fen for r in mine),
                base_fen=max(r.base_fen for r in mine),
                employers=tuple(dict.fromkeys(r.employer for r in mine)),
            )
        )
    return lines


def month_item(line: MonthLine) -> str:
    """'2026-10 欠缴：个人911.78元，单位1830.24元\\n  基数11439元，东莞市…有限公司'."""
    if line.status == "gap":
        return f"{line.month} 断缴：未缴费"
    if line.status == "none":
        return f"{line.month} 无缴费记录"
    status = MONTH_STATUS_TEXT[line.status]
    return "\n".join(
        [
            f"{line.month} {status}：个人{yuan_text(line.employee_fen)}，"
            f"单位{yuan_text(line.employer_fen)}",
            f"  基数{yuan_text(line.base_fen)}，{'、'.join(line.employers)}",
        ]
    )


def format_contributions(
    profile: ProfilePublic, summary: ContributionSummaryPublic, lines: Sequence[MonthLine]
) -> str:
    """The answer to '缴费': the recent months one by one, totals, owed and missed months."""
    head = [
        f"{profile.name}（{profile.id_number}）{summary.from_month}至{summary.to_month}"
        f"缴费明细（{profile.status_text}）："
    ]
    totals = summary.totals
    tail = [
        f"合计：已缴{totals.months_paid}个月 {yuan_text(totals.paid_fen)}"
        + (
            f"，欠缴{totals.months_owed}个月 {yuan_text(totals.owed_fen)}"
            if totals.months_owed
            else ""
        )
        + f"（其中个人{yuan_text(totals.employee_fen)}，单位{yuan_text(totals.employer_fen)}）。"
    ]
    owed = [line.month for line in lines if line.status in ("owed", "partly_owed")]
    if owed:
        tail.append(f"⚠欠缴月份：{'、'.join(sorted(owed))}，请提醒单位及时足额缴纳。")
    gaps = [g for g in summary.gap_months if summary.from_month <= g <= summary.to_month]
    if gaps:
        tail.append(
            f"⚠断缴月份：{'、'.join(sorted(gaps))}。断缴可能影响医保待遇和养老金，"
            "请及时联系单位或到社保分局咨询补缴。"
        )
    if summary.continuous_months:
        tail.append(f"截至{summary.to_month}已连续缴费{summary.continuous_months}个月。")
    tail.append(MORE_IN_APP)
    items = [month_item(line) for line in lines]
    return fit(head, items, tail, more=lambda n: f"……另有{n}个月未列出。")


def format_balances(accounts: Sequence[AccountPublic]) -> str:
    """The answer to '余额': the pension and medical individual accounts."""
    if not accounts:
        return "暂未查询到您的个人账户记录。" + MORE_IN_APP
    lines = ["您的个人账户余额："]
    for account in accounts:
        as_of = f"（截至{account.as_of.isoformat()}）" if account.as_of else "（暂无记账）"
        lines.append(f"{account.name}：{yuan_text(account.balance_fen)}{as_of}")
    lines.append("个人账户按月记入缴费并按年计息，收支明细请在东莞社保应用中查看。")
    return clip("\n".join(lines))


def card_step(step: CardEventPublic) -> str:
    """'· 2026-11-17 待领取：已到达虎门社保分局，待领取' (the note only when it says more)."""
    day = step.at.astimezone(SHANGHAI).date().isoformat()
    note = f"：{step.note}" if step.note and step.note != step.stage_text else ""
    return f"· {day} {step.stage_text}{note}"


def format_card(card: CardPublic) -> str:
    """The answer to '社保卡': the card's status and each card-making step with its date."""
    bank = f"（{card.bank}）" if card.bank else ""
    head = [
        f"社保卡 {card.card_number}{bank}",
        f"卡状态：{card.status_text}",
        f"制卡进度：{card.stage_text}",
    ]
    tail = [
        note
        for note in (
            CARD_NEXT_STEP[card.stage].format(office=card.pickup_office or "社保分局"),
            CARD_STATUS_NOTE[card.status],
        )
        if note
    ]
    items = [card_step(step) for step in card.progress]
    return fit(head, items, tail, more=lambda n: f"……另有{n}条进度未列出。")


def format_pension(profile: ProfilePublic, page: Page[PensionPaymentPublic]) -> str:
    """The answer to '养老金': the latest payments, or why there are none."""
    if not page.items:
        if profile.status == "retired":
            return f"{profile.name}，暂未查询到您的养老金发放记录。" + MORE_IN_APP
        return (
            f"{profile.name}，您的参保状态为“{profile.status_text}”，尚未办理退休，"
            "暂无养老金发放记录。达到退休年龄并满足缴费年限后，可向社保分局申请领取养老金。"
        )
    head = [f"{profile.name}的养老金发放记录（最近{len(page.items)}个月）："]
    items = [
        f"{p.month}：{yuan_text(p.amount_fen)}（{p.paid_on.isoformat()}发放）" for p in page.items
    ]
    tail = [f"累计发放{page.total}个月。" + MORE_IN_APP]
    return fit(head, items, tail, more=lambda n: f"……另有{n}条未列出。")


def condition_item(met: bool, text: str) -> str:
    """'√ 社保卡状态为“正常”。' or '× 需年满65周岁，您现年31周岁。'."""
    return f"{'√' if met else '×'} {text}"


def format_rule(
    rule: RulePublic, mine: RuleResultPublic | None = None, note: str | None = None
) -> str:
    """A rule's text, then the citizen's own explained result (or `note` saying why not)."""
    lines = [f"【{rule.title}】", rule.description]
    if mine is not None:
        lines.append(f"您的情况：{mine.summary}")
        lines += [condition_item(c.met, c.text) for c in mine.conditions]
    elif note:
        lines.append(note)
    return clip("\n".join(lines))


def format_office(office: OfficePublic) -> str:
    """The answer to '社保电话 <town>'."""
    lines = [f"{office.town_name or office.town}社保分局电话：{office.phone}"]
    if office.hours:
        lines.append(f"办公时间：{office.hours}")
    if office.address:
        lines.append(f"地址：{office.address}")
    if office.phone_demo:
        lines.append("（演示环境：电话等信息为演示数据，请以官方公布为准）")
    elif office.demo:
        lines.append("（演示环境：地址和办公时间为演示数据，请以官方公布为准）")
    return clip("\n".join(lines))
