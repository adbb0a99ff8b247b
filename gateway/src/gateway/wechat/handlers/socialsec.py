"""东莞社保 in chat: office phones, contributions, account balances, card progress, pensions, and
the city's rules (provident-fund withdrawal with the card, free buses for elderly residents).

Public answers (a town's office, the rules' text) need nobody's identity. Personal ones go through
`ChatCitizens`: openid -> unionid -> citizen_id -> an internal citizen token for socialsec, with
the citizen's consent checked, so socialsec only ever shows the chatting citizen's own bound
record. Socialsec masks names, ID and card numbers before they leave it; these answers show only
what it sends. A citizen not bound yet is told how to bind in the app: the chat never takes an ID
number, and nothing personal is logged here (paths, statuses and model names only).

Texts are built by the pure `format_*` functions below and kept within WeChat's 2048 bytes.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, Literal, TypeVar
from urllib.parse import quote, urlencode
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ValidationError

from gateway.wechat.citizens import ChatCitizens, NotIdentified
from gateway.wechat.handlers.textfit import clip, fit
from gateway.wechat.handlers.towns import town_in_text
from gateway.wechat.replies import Reply, TextReply
from servicekit.errors import UpstreamTimeout, UpstreamUnavailable

if TYPE_CHECKING:
    from gateway.wechat.handlers.registry import HandlerCall

log = logging.getLogger("gateway.wechat.socialsec")
M = TypeVar("M", bound=BaseModel)

SHANGHAI = ZoneInfo("Asia/Shanghai")
SERVICE = "socialsec"
# Identifying the citizen (platform, then accounts) must leave time for the socialsec calls.
IDENTIFY_SHARE = 0.6
RECENT_MONTHS = 6
PENSION_MONTHS = 6
NOT_BOUND_TYPE = "urn:guanwei:problem:socialsec-not-bound"

APOLOGY = "社保服务暂时繁忙，请稍后再试。"
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

# The registry's rule parameter -> socialsec's rule code.
RULES = {"provident_fund": "provident_fund_withdrawal", "free_bus": "elderly_free_bus"}
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


# -- documents of the socialsec service (the fields these answers use) ----------------------------


class Office(BaseModel):
    town: str
    town_name: str = ""
    phone: str
    hours: str = ""
    address: str = ""
    demo: bool = False
    phone_demo: bool = False


class Profile(BaseModel):
    name: str
    id_number: str
    status: Literal["active", "suspended", "retired"]
    status_text: str


class ContributionRow(BaseModel):
    month: str
    insurance: str
    insurance_name: str
    employer: str
    base_fen: int
    employer_fen: int
    employee_fen: int
    total_fen: int
    status: Literal["paid", "owed"]


class ContributionPage(BaseModel):
    items: list[ContributionRow]
    total: int


class Totals(BaseModel):
    months_paid: int
    months_owed: int
    employer_fen: int
    employee_fen: int
    total_fen: int
    paid_fen: int
    owed_fen: int


class ContributionSummary(BaseModel):
    from_month: str
    to_month: str
    totals: Totals
    gap_months: list[str]
    continuous_months: int


class Account(BaseModel):
    account: str
    name: str
    balance_fen: int
    as_of: date | None = None


class AccountPage(BaseModel):
    items: list[Account]


class CardStep(BaseModel):
    stage: str
    stage_text: str
    at: datetime
    note: str = ""


class Card(BaseModel):
    card_number: str
    status: Literal["normal", "lost", "cancelled"]
    status_text: str
    stage: Literal["accepted", "making", "posted", "ready", "collected"]
    stage_text: str
    bank: str = ""
    pickup_office: str = ""
    progress: list[CardStep] = []


class PensionPayment(BaseModel):
    month: str
    amount_fen: int
    paid_on: date


class PensionPage(BaseModel):
    items: list[PensionPayment]
    total: int


class Condition(BaseModel):
    code: str
    met: bool
    text: str


class RuleResult(BaseModel):
    rule: str
    title: str
    eligible: bool
    summary: str
    conditions: list[Condition] = []


class RuleResultPage(BaseModel):
    items: list[RuleResult]


class Rule(BaseModel):
    rule: str
    title: str
    description: str


class RulePage(BaseModel):
    items: list[Rule]


# -- pure formatting ------------------------------------------------------------------------------


def yuan(fen: int) -> str:
    """'200元', '200.50元', '0.05元', '-12.30元'."""
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(fen), 100)
    return f"{sign}{whole}元" if cents == 0 else f"{sign}{whole}.{cents:02d}元"


def month_label(month: date) -> str:
    """'2026-10'."""
    return f"{month:%Y-%m}"


def add_months(month: date, count: int) -> date:
    """The first day of the month `count` months after (before, when negative) `month`'s."""
    index = month.year * 12 + month.month - 1 + count
    return date(index // 12, index % 12 + 1, 1)


def recent_months(today: date, count: int = RECENT_MONTHS) -> tuple[str, str]:
    """(first, last) of the `count` whole months before `today`'s month, as 'YYYY-MM'."""
    last = add_months(today.replace(day=1), -1)
    return month_label(add_months(last, 1 - count)), month_label(last)


def month_span(first: str, last: str) -> list[str]:
    """Every 'YYYY-MM' from `last` back to `first`, newest first."""
    start = date(int(first[:4]), int(first[5:7]), 1)
    end = date(int(last[:4]), int(last[5:7]), 1)
    months = []
    while end >= start:
        months.append(month_label(end))
        end = add_months(end, -1)
    return months


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


MONTH_STATUS_TEXT = {
    "paid": "已缴",
    "owed": "欠缴",
    "partly_owed": "部分欠缴",
    "gap": "断缴",
    "none": "无缴费记录",
}


def month_lines(
    months: Sequence[str], rows: Sequence[ContributionRow], gaps: Sequence[str]
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
        employers = tuple(dict.fromkeys(r.employer for r in mine))
        lines.append(
            MonthLine(
                month=month,
                status=status,
                employer_fen=sum(r.employer_fen for r in mine),
                employee_fen=sum(r.employee_fen for r in mine),
                base_fen=max(r.base_fen for r in mine),
                employers=employers,
            )
        )
    return lines


def month_item(line: MonthLine) -> str:
    """'2026-10 欠缴：个人911.78元，单位1830.24元\\n  基数11439元，东莞市…有限公司'."""
    status = MONTH_STATUS_TEXT[line.status]
    if line.status == "gap":
        return f"{line.month} 断缴：未缴费"
    if line.status == "none":
        return f"{line.month} 无缴费记录"
    return "\n".join(
        [
            f"{line.month} {status}：个人{yuan(line.employee_fen)}，单位{yuan(line.employer_fen)}",
            f"  基数{yuan(line.base_fen)}，{'、'.join(line.employers)}",
        ]
    )


def format_contributions(
    profile: Profile, summary: ContributionSummary, lines: Sequence[MonthLine]
) -> str:
    """The answer to '缴费': the recent months one by one, totals, owed and missed months."""
    head = [
        f"{profile.name}（{profile.id_number}）{summary.from_month}至{summary.to_month}"
        f"缴费明细（{profile.status_text}）："
    ]
    totals = summary.totals
    tail = [
        f"合计：已缴{totals.months_paid}个月 {yuan(totals.paid_fen)}"
        + (f"，欠缴{totals.months_owed}个月 {yuan(totals.owed_fen)}" if totals.months_owed else "")
        + f"（其中个人{yuan(totals.employee_fen)}，单位{yuan(totals.employer_fen)}）。"
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


def format_balances(accounts: Sequence[Account]) -> str:
    """The answer to '余额': the pension and medical individual accounts."""
    if not accounts:
        return "暂未查询到您的个人账户记录。" + MORE_IN_APP
    lines = ["您的个人账户余额："]
    for account in accounts:
        as_of = f"（截至{account.as_of.isoformat()}）" if account.as_of else "（暂无记账）"
        lines.append(f"{account.name}：{yuan(account.balance_fen)}{as_of}")
    lines.append("个人账户按月记入缴费并按年计息，收支明细请在东莞社保应用中查看。")
    return clip("\n".join(lines))


def card_step(step: CardStep) -> str:
    """'· 2026-11-17 待领取：已到达虎门社保分局，待领取' (the note only when it says more)."""
    day = step.at.astimezone(SHANGHAI).date().isoformat()
    note = f"：{step.note}" if step.note and step.note != step.stage_text else ""
    return f"· {day} {step.stage_text}{note}"


def format_card(card: Card) -> str:
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


def format_pension(profile: Profile, page: PensionPage) -> str:
    """The answer to '养老金': the latest payments, or why there are none."""
    if not page.items:
        if profile.status == "retired":
            return f"{profile.name}，暂未查询到您的养老金发放记录。" + MORE_IN_APP
        return (
            f"{profile.name}，您的参保状态为“{profile.status_text}”，尚未办理退休，"
            "暂无养老金发放记录。达到退休年龄并满足缴费年限后，可向社保分局申请领取养老金。"
        )
    head = [f"{profile.name}的养老金发放记录（最近{len(page.items)}个月）："]
    items = [f"{p.month}：{yuan(p.amount_fen)}（{p.paid_on.isoformat()}发放）" for p in page.items]
    tail = [f"累计发放{page.total}个月。" + MORE_IN_APP]
    return fit(head, items, tail, more=lambda n: f"……另有{n}条未列出。")


def condition_item(condition: Condition) -> str:
    """'√ 社保卡状态为“正常”。' or '× 需年满65周岁，您现年31周岁。'."""
    return f"{'√' if condition.met else '×'} {condition.text}"


def format_rule(rule: Rule, mine: RuleResult | None = None, note: str | None = None) -> str:
    """A rule's text, then the citizen's own explained result (or `note` saying why not)."""
    lines = [f"【{rule.title}】", rule.description]
    if mine is not None:
        lines.append(f"您的情况：{mine.summary}")
        lines += [condition_item(c) for c in mine.conditions]
    elif note:
        lines.append(note)
    return clip("\n".join(lines))


def format_office(office: Office) -> str:
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


def mentions_identifier(text: str) -> bool:
    """Whether a message holds something like an ID number or a social-security card number."""
    return bool(_IDENTIFIER.search(text))


# -- calling the service --------------------------------------------------------------------------


def _citizens(call: HandlerCall) -> ChatCitizens:
    return call.context.request.app.state.wechat_citizens


def _today() -> date:
    return datetime.now(SHANGHAI).date()


async def _get(
    call: HandlerCall,
    path: str,
    query: dict[str, Any] | None = None,
    *,
    authorization: str | None = None,
) -> tuple[int, Any] | None:
    """GET from socialsec within the handler's time; None (logged) when it fails or is late."""
    timeout = call.timeout()
    if timeout <= 0:
        return None
    headers = [("authorization", authorization)] if authorization else None
    try:
        return await call.context.upstreams.get_json(
            SERVICE,
            path,
            query=urlencode(query or {}, doseq=True),
            headers=headers,
            timeout=timeout,
        )
    except (UpstreamUnavailable, UpstreamTimeout) as exc:
        log.warning("socialsec failed on %s: %s", path, type(exc).__name__)
    except ValueError:
        log.warning("socialsec answered %s with something other than JSON", path)
    return None


def _parse(model: type[M], body: Any) -> M | None:
    try:
        return model.model_validate(body)
    except ValidationError as exc:
        # Never the error's text: it quotes the (personal) values it refused.
        log.error(
            "socialsec answered an unexpected %s document (%d errors)",
            model.__name__,
            exc.error_count(),
        )
        return None


def _not_bound(answer: tuple[int, Any]) -> bool:
    status, body = answer
    return status == 404 and isinstance(body, dict) and body.get("type") == NOT_BOUND_TYPE


def _ok(model: type[M], answer: tuple[int, Any] | None, path: str) -> M | None:
    """The document of a 200 answer, else None (logged by status, never by content)."""
    if answer is None:
        return None
    if answer[0] != 200:
        log.warning("socialsec answered %s on %s", answer[0], path)
        return None
    return _parse(model, answer[1])


@dataclass(frozen=True)
class Refusal:
    """Why the citizen's records are not shown, and what to tell them."""

    answer: str
    not_bound: bool = False


async def _personal(
    call: HandlerCall, *requests: tuple[str, dict[str, Any] | None]
) -> list[tuple[int, Any]] | Refusal:
    """The citizen's documents at `requests` (path, query), or why not: not identified, no
    consent, not bound, or socialsec failing."""
    timeout = call.timeout() * IDENTIFY_SHARE
    try:
        who = await _citizens(call).identify(
            call.context.account.code, call.message.from_user_name, SERVICE, timeout=timeout
        )
    except NotIdentified as exc:
        return Refusal(exc.answer)
    answers = await asyncio.gather(
        *(_get(call, path, query, authorization=who.authorization) for path, query in requests)
    )
    found = [answer for answer in answers if answer is not None]
    if len(found) < len(answers):
        return Refusal(APOLOGY)
    if any(_not_bound(answer) for answer in found):
        return Refusal(NOT_BOUND, not_bound=True)
    return found


# -- handlers -------------------------------------------------------------------------------------


async def office_phone(call: HandlerCall) -> Reply | None:
    """The phone (and hours, address) of the social-security office of a town."""
    town = call.params.get("town") or await town_in_text(call)
    if not town:
        return TextReply(ASK_TOWN)
    path = f"/v1/offices/{quote(town, safe='')}"
    answer = await _get(call, path)
    if answer is None:
        return TextReply(APOLOGY)
    if answer[0] == 404:
        return TextReply(ASK_TOWN)
    office = _ok(Office, answer, "/v1/offices/{town}")
    return TextReply(format_office(office) if office else APOLOGY)


async def enquiry(call: HandlerCall) -> Reply | None:
    """The citizen's own records by params.topic: contributions, balances, card or pension;
    without a topic, what can be asked."""
    if mentions_identifier(call.text):
        return TextReply(ID_IN_CHAT)
    topic = call.params.get("topic")
    answer = TOPICS.get(topic or "")
    if answer is None:
        return TextReply(MENU)
    return await answer(call)


async def contributions(call: HandlerCall) -> Reply:
    """'缴费': the last six whole months, month by month, with totals, owed and missed months."""
    first, last = recent_months(_today())
    period = {"from": first, "to": last}
    found = await _personal(
        call,
        ("/v1/me/profile", None),
        ("/v1/me/contributions/summary", period),
        ("/v1/me/contributions", {**period, "limit": 100}),
    )
    if isinstance(found, Refusal):
        return TextReply(found.answer)
    profile = _ok(Profile, found[0], "/v1/me/profile")
    summary = _ok(ContributionSummary, found[1], "/v1/me/contributions/summary")
    page = _ok(ContributionPage, found[2], "/v1/me/contributions")
    if profile is None or summary is None or page is None:
        return TextReply(APOLOGY)
    lines = month_lines(
        month_span(summary.from_month, summary.to_month), page.items, summary.gap_months
    )
    return TextReply(format_contributions(profile, summary, lines))


async def balances(call: HandlerCall) -> Reply:
    """'余额': the pension and medical individual account balances."""
    found = await _personal(call, ("/v1/me/accounts", None))
    if isinstance(found, Refusal):
        return TextReply(found.answer)
    page = _ok(AccountPage, found[0], "/v1/me/accounts")
    return TextReply(format_balances(page.items) if page else APOLOGY)


async def card(call: HandlerCall) -> Reply:
    """'社保卡': the card's status and card-making progress."""
    found = await _personal(call, ("/v1/me/card", None))
    if isinstance(found, Refusal):
        return TextReply(found.answer)
    mine = _ok(Card, found[0], "/v1/me/card")
    return TextReply(format_card(mine) if mine else APOLOGY)


async def pension(call: HandlerCall) -> Reply:
    """'养老金': the latest pension payments, or why there are none."""
    found = await _personal(
        call, ("/v1/me/profile", None), ("/v1/me/pension-payments", {"limit": PENSION_MONTHS})
    )
    if isinstance(found, Refusal):
        return TextReply(found.answer)
    profile = _ok(Profile, found[0], "/v1/me/profile")
    page = _ok(PensionPage, found[1], "/v1/me/pension-payments")
    if profile is None or page is None:
        return TextReply(APOLOGY)
    return TextReply(format_pension(profile, page))


TOPICS = {
    "contributions": contributions,
    "balances": balances,
    "card": card,
    "pension": pension,
}


async def eligibility(call: HandlerCall) -> Reply | None:
    """'公积金' / '老人免费乘车': the public rule explained, then the bound citizen's own result
    (or how to bind, or why it cannot be shown)."""
    if mentions_identifier(call.text):
        return TextReply(ID_IN_CHAT)
    code = RULES.get(call.params.get("rule") or "", RULES["provident_fund"])
    public, personal = await asyncio.gather(
        _get(call, "/v1/eligibility/rules"), _personal(call, ("/v1/me/eligibility", None))
    )
    rules = _ok(RulePage, public, "/v1/eligibility/rules")
    rule = next((r for r in rules.items if r.rule == code), None) if rules else None
    if rule is None:
        return TextReply(APOLOGY)
    if isinstance(personal, Refusal):
        note = BIND_TO_SEE_MINE if personal.not_bound else personal.answer
        return TextReply(format_rule(rule, note=note))
    results = _ok(RuleResultPage, personal[0], "/v1/me/eligibility")
    mine = next((r for r in results.items if r.rule == code), None) if results else None
    return TextReply(format_rule(rule, mine, note=None if mine else APOLOGY))
