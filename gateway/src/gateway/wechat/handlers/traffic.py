"""东莞交警 in chat: violations, licence points, road conditions, appointments, guides and review
study, answered from the traffic service.

Public answers (a vehicle's violations by plate and VIN suffix, road conditions, offices and
guides) need nobody's identity. Personal ones (the citizen's own violations, points and review
study) go through `ChatCitizens`: openid -> unionid -> citizen_id -> an internal citizen token for
traffic, so the traffic service only ever shows the chatting citizen's own bound records.

Texts are built by the pure `format_*` functions below and kept within WeChat's 2048 bytes.
"""

from __future__ import annotations

import asyncio
import logging
import re
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, Literal, TypeVar
from urllib.parse import quote, urlencode
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ValidationError

from gateway.wechat.citizens import ChatCitizens, NotIdentified
from gateway.wechat.handlers.textfit import clip, fit
from gateway.wechat.replies import Reply, TextReply
from servicekit.errors import UpstreamTimeout, UpstreamUnavailable

if TYPE_CHECKING:
    from gateway.wechat.handlers.registry import HandlerCall

log = logging.getLogger("gateway.wechat.traffic")
M = TypeVar("M", bound=BaseModel)

SHANGHAI = ZoneInfo("Asia/Shanghai")
SERVICE = "traffic"
# Identifying the citizen (platform, then accounts) must leave time for the traffic call.
IDENTIFY_SHARE = 0.6
MAP_PATH = "/api/v1/traffic/road-conditions/map.png"
_WEEKDAYS = "一二三四五六日"

APOLOGY = "交通管理服务暂时繁忙，请稍后再试。"
EXAMPLE = "违章 粤S12345 123456"
ASK_BOTH = f"请同时回复号牌号码和车架号后六位，例如“{EXAMPLE}”。"
# The same answer whether the plate exists or not: a lookup must not reveal which part is wrong.
NO_MATCH = (
    "未查询到与该号牌号码和车架号后六位相符的机动车，请对照行驶证核对号牌号码和车架号后六位后重试。"
)
HOW_TO_BIND = (
    "绑定方法：在东莞交警应用的“我的绑定”中，机动车用号牌号码和车架号后六位绑定，"
    "驾驶证用驾驶证号和档案编号绑定。"
)
NOT_BOUND_VIOLATIONS = "\n".join(
    [
        "您还没有绑定机动车或驾驶证。",
        f"查询任一机动车的交通违法：回复“违章 号牌号码 车架号后六位”，例如“{EXAMPLE}”。",
        "查询本人的交通违法和记分：" + HOW_TO_BIND,
    ]
)
NOT_BOUND_POINTS = "\n".join(["您还没有绑定驾驶证，绑定后即可回复“记分”查询。", HOW_TO_BIND])
REVIEW_EXPLAINED = "\n".join(
    [
        "审验学习适用于A1、A2、A3、B1、B2驾驶证（大中型客货车）的驾驶人：记分周期内有记分的，"
        "须在周期结束后30日内完成不少于180分钟的学习并通过考试，可以网上完成；周期内无记分的免予审验。",
        "绑定驾驶证后，回复“审验”即可查看您的学习进度。" + HOW_TO_BIND,
    ]
)
BOOKING_HOW = (
    "预约方法：在东莞交警应用的“业务预约”中选择业务、办理点和时段提交，凭预约号按时到窗口办理。"
    "所需材料可回复“办事指南 业务名称”查看。"
)
GUIDE_ASK = "可回复“办事指南 驾驶证”“办事指南 机动车”或“办事指南 违法处理”等查询。"
STATUS_TEXT = {"unhandled": "未处理", "decided_unpaid": "已处理未缴款", "paid": "已缴款"}


# -- documents of the traffic service (the fields these answers use) ------------------------------


class Violation(BaseModel):
    plate: str
    description: str
    occurred_at: datetime
    place: str
    points: int
    fine_fen: int
    status: Literal["unhandled", "decided_unpaid", "paid"]
    overdue_days: int = 0
    surcharge_fen: int = 0
    amount_due_fen: int


class ViolationPage(BaseModel):
    items: list[Violation]
    total: int
    on: date
    amount_due_fen: int


class Binding(BaseModel):
    kind: Literal["vehicle", "licence"]
    plate: str | None = None
    licence_number: str | None = None


class BindingPage(BaseModel):
    items: list[Binding]


class Licence(BaseModel):
    licence_number: str
    holder_name: str
    licence_class: str
    cycle_start: date
    cycle_end: date
    points: int
    carried_over_points: int
    studied_points: int
    status: Literal["normal", "locked"]
    status_text: str
    study_days: int
    can_study_to_reduce: bool
    study_refusal: str | None = None


class Segment(BaseModel):
    road: str
    section: str
    speed_kmh: int | None = None
    status: int
    status_text: str


class RoadConditions(BaseModel):
    snapshot_at: datetime
    index: float
    index_level: str
    congested_roads: list[str]
    clear_roads: list[str]
    items: list[Segment]
    total: int


class Office(BaseModel):
    code: str
    name: str
    town: str
    phone: str = ""


class Business(BaseModel):
    name: str
    category: str


class Slot(BaseModel):
    starts_at: datetime
    ends_at: datetime
    remaining: int


class GuideSummary(BaseModel):
    id: str
    title: str
    category: str
    summary: str


class Fee(BaseModel):
    item: str
    fee_fen: int


class Guide(GuideSummary):
    conditions: list[str] = []
    materials: list[str] = []
    fees: list[Fee] = []
    offices: list[str] = []
    hours: str = ""
    time_limit: str = ""
    online: str = ""


class Course(BaseModel):
    title: str
    minutes: int
    studied_minutes: int


class Completion(BaseModel):
    studied_minutes: int
    exam_score: int
    completed_at: datetime


class Review(BaseModel):
    licence_class: str
    cycle_start: date
    cycle_end: date
    due_by: date | None = None
    status: Literal["not_applicable", "exempt", "required", "exam_pending", "completed"]
    status_text: str
    required_minutes: int
    studied_minutes: int
    previous_overdue: bool = False
    courses: list[Course] = []
    completion: Completion | None = None


# -- pure formatting ------------------------------------------------------------------------------


def yuan(fen: int) -> str:
    """'200元', '200.50元', '0.05元'."""
    whole, cents = divmod(fen, 100)
    return f"{whole}元" if cents == 0 else f"{whole}.{cents:02d}元"


def local_time(at: datetime) -> str:
    """'2026-11-23 11:32' in Beijing time."""
    return f"{at.astimezone(SHANGHAI):%Y-%m-%d %H:%M}"


def month_day(day: date) -> str:
    """'11月26日'."""
    return f"{day.month}月{day.day}日"


def short_time(at: datetime) -> str:
    """'11月26日 18:05' in Beijing time."""
    local = at.astimezone(SHANGHAI)
    return f"{month_day(local.date())} {local:%H:%M}"


def more_violations(count: int) -> str:
    return f"……另有{count}条未列出，完整记录请在东莞交警应用中查看。"


def violation_item(number: int, v: Violation, *, with_plate: bool = False) -> str:
    """One violation: when and where, what, points and fine, status and amount due."""
    plate = f"{v.plate} " if with_plate else ""
    status = STATUS_TEXT[v.status]
    if v.status == "paid":
        settled = status
    else:
        overdue = (
            f"（逾期{v.overdue_days}天，加处罚款{yuan(v.surcharge_fen)}）"
            if v.surcharge_fen
            else ""
        )
        settled = f"{status}{overdue}，应缴{yuan(v.amount_due_fen)}"
    return "\n".join(
        [
            f"{number}. {plate}{local_time(v.occurred_at)} {v.place}",
            f"{v.description}（记{v.points}分，罚款{yuan(v.fine_fen)}）",
            settled,
        ]
    )


def _violation_counts(page: ViolationPage) -> str:
    unhandled = sum(1 for v in page.items if v.status == "unhandled")
    unpaid = sum(1 for v in page.items if v.status == "decided_unpaid")
    parts = [f"未处理{unhandled}条"] if unhandled else []
    parts += [f"已处理未缴款{unpaid}条"] if unpaid else []
    return f"（{'，'.join(parts)}）" if parts else ""


def format_vehicle_violations(plate: str, page: ViolationPage) -> str:
    """The answer to '违章 <plate> <vin6>'."""
    if page.total == 0:
        return f"{plate} 近两年没有交通违法记录。"
    head = [
        f"{plate} 近两年交通违法{page.total}条{_violation_counts(page)}，"
        f"截至{month_day(page.on)}应缴合计{yuan(page.amount_due_fen)}："
    ]
    items = [violation_item(i, v) for i, v in enumerate(page.items, 1)]
    tail = ["处理违法、缴纳罚款：绑定机动车和驾驶证后在东莞交警应用中办理。"]
    return fit(head, items, tail, more=more_violations, hidden=max(0, page.total - len(page.items)))


def format_my_violations(bindings: BindingPage, page: ViolationPage) -> str:
    """The answer to '违章' from a citizen with bindings: their vehicles' and licence's."""
    plates = [b.plate for b in bindings.items if b.kind == "vehicle" and b.plate]
    has_licence = any(b.kind == "licence" for b in bindings.items)
    bound = "、".join(plates) + ("及驾驶证" if has_licence and plates else "")
    bound = bound or "驾驶证"
    if page.total == 0:
        return f"您绑定的{bound}近两年没有交通违法记录。"
    head = [
        f"您绑定的{bound}近两年交通违法{page.total}条{_violation_counts(page)}，"
        f"截至{month_day(page.on)}应缴合计{yuan(page.amount_due_fen)}："
    ]
    items = [violation_item(i, v, with_plate=True) for i, v in enumerate(page.items, 1)]
    return fit(head, items, more=more_violations, hidden=max(0, page.total - len(page.items)))


def format_points(licence: Licence) -> str:
    """The answer to '记分'."""
    carried = (
        f"（含上周期罚款未缴结转{licence.carried_over_points}分）"
        if licence.carried_over_points
        else ""
    )
    lines = [
        f"驾驶证 {licence.licence_number}（{licence.licence_class}，{licence.holder_name}）",
        f"记分周期：{licence.cycle_start.isoformat()} 至 {licence.cycle_end.isoformat()}",
        f"本周期累积记分：{licence.points}分{carried}",
    ]
    if licence.status == "locked":
        lines.append(f"状态：{licence.status_text}")
    else:
        lines.append(f"状态：{licence.status_text}，距12分还有{max(0, 12 - licence.points)}分")
    studied = f"本周期已减{licence.studied_points}分"
    if licence.can_study_to_reduce:
        lines.append(
            f"学法减分：{studied}，可以继续参加（网上学习考试合格减1分，现场学习减2分，"
            "每周期最多减6分）。"
        )
    elif licence.study_refusal:
        lines.append(f"学法减分：{studied}。{licence.study_refusal}")
    return clip("\n".join(lines))


def _roads(names: list[str], empty: str) -> str:
    return "、".join(names) if names else empty


def slow_roads(conditions: RoadConditions) -> list[str]:
    """Roads neither congested nor entirely clear (yellow somewhere), in the feed's order."""
    known = set(conditions.congested_roads) | set(conditions.clear_roads)
    seen: list[str] = []
    for segment in conditions.items:
        if segment.road not in known and segment.road not in seen and segment.status > 0:
            seen.append(segment.road)
    return seen


def format_city_conditions(
    conditions: RoadConditions, map_url: str | None, *, asked_where_clear: bool = False
) -> str:
    """The city's index and its red and green roads now, with the map link."""
    congested = "红色拥堵：" + _roads(conditions.congested_roads, "目前没有拥堵的主要道路")
    clear = "绿色畅通：" + _roads(conditions.clear_roads, "暂无全线畅通的主要道路，建议错峰出行")
    slow = slow_roads(conditions)
    lines = []
    if asked_where_clear:
        lines.append("不想宅在家？电子地图红色拥堵，绿色畅通，出门前先看看：")
    lines += [
        f"东莞路况（{short_time(conditions.snapshot_at)}）",
        f"全市交通指数{conditions.index:.1f}，{conditions.index_level}",
    ]
    lines += [clear, congested] if asked_where_clear else [congested, clear]
    if slow:
        lines.append("黄色缓行：" + "、".join(slow))
    if map_url:
        lines.append(f"路况地图（红色拥堵，绿色畅通）：{map_url}")
    lines.append("回复“路况 道路名”查看各路段，例如“路况 莞深高速”。")
    return clip("\n".join(lines))


def format_road(road: str, conditions: RoadConditions, map_url: str | None) -> str:
    """The segments of one road now."""
    head = [f"{road} 路况（{short_time(conditions.snapshot_at)}）"]
    items = [
        f"{s.road} {s.section}：{s.status_text}"
        + (f"，{s.speed_kmh}公里/小时" if s.speed_kmh is not None else "")
        for s in conditions.items
    ]
    tail = [f"路况地图（红色拥堵，绿色畅通）：{map_url}"] if map_url else []
    return fit(
        head,
        items,
        tail,
        more=lambda n: f"……另有{n}个路段未列出。",
        hidden=max(0, conditions.total - len(conditions.items)),
    )


def slot_text(slot: Slot) -> str:
    """'11月27日（周五）09:00-10:00，余8个名额'."""
    start, end = slot.starts_at.astimezone(SHANGHAI), slot.ends_at.astimezone(SHANGHAI)
    day = f"{month_day(start.date())}（周{_WEEKDAYS[start.weekday()]}）"
    return f"{day}{start:%H:%M}-{end:%H:%M}，余{slot.remaining}个名额"


def format_appointments(
    offices: list[tuple[Office, Slot | None]], businesses: list[Business]
) -> str:
    """Offices with their next free slot, and the business types that can be booked."""
    head = ["车驾管业务预约（预受理）"]
    if businesses:
        head.append("可预约业务：" + "、".join(b.name for b in businesses))
    head.append("办理点及最近可约时段：")
    items = [
        f"{i}. {office.name}（{office.town}）："
        + (slot_text(slot) if slot else "近两周暂无可约时段")
        + (f"，电话{office.phone}" if office.phone else "")
        for i, (office, slot) in enumerate(offices, 1)
    ]
    return fit(head, items, [BOOKING_HOW], more=lambda n: f"……另有{n}个办理点未列出。")


def format_guide_list(topic: str | None, guides: list[GuideSummary], total: int) -> str:
    """Several guides: titles and summaries, and how to open one."""
    about = f"与“{topic}”相关的" if topic else ""
    head = [f"{about}办事指南共{total}项："]
    items = [f"{i}. {g.title}：{g.summary}" for i, g in enumerate(guides, 1)]
    tail = ["回复“办事指南 指南名称”查看申请材料、费用、办理地点和时间，例如“办事指南 换证”。"]
    return fit(
        head,
        items,
        tail,
        more=lambda n: f"……另有{n}项未列出，可加关键词缩小范围。",
        hidden=max(0, total - len(guides)),
    )


def format_guide(guide: Guide) -> str:
    """One guide: summary, conditions, materials, fees, offices, hours."""
    lines = [f"【{guide.title}】", guide.summary]
    if guide.conditions:
        lines.append("办理条件：" + "；".join(guide.conditions))
    if guide.materials:
        lines.append("申请材料：")
        lines += [f"{i}. {m}" for i, m in enumerate(guide.materials, 1)]
    fees = "；".join(f"{f.item}{yuan(f.fee_fen)}" for f in guide.fees if f.fee_fen)
    lines.append("收费：" + (fees or "不收费"))
    if guide.offices:
        lines.append("办理地点：" + "、".join(guide.offices))
    if guide.hours:
        lines.append("办理时间：" + guide.hours)
    if guide.time_limit:
        lines.append("办理时限：" + guide.time_limit)
    if guide.online:
        lines.append("网上办理：" + guide.online)
    return clip("\n".join(lines))


def format_no_guide(topic: str) -> str:
    return f"没有找到与“{topic}”相关的办事指南。{GUIDE_ASK}"


def format_review(review: Review) -> str:
    """The citizen's review study: whether it is needed, progress, deadline, completion."""
    cycle = f"{review.cycle_start.isoformat()} 至 {review.cycle_end.isoformat()}"
    lines = [f"审验学习（{review.licence_class}驾驶证，记分周期 {cycle}）", review.status_text]
    if review.status in ("required", "exam_pending"):
        lines.append(f"已学习{review.studied_minutes}/{review.required_minutes}分钟")
        lines += [
            f"· {c.title}：{c.studied_minutes}/{c.minutes}分钟"
            for c in review.courses
            if c.studied_minutes < c.minutes
        ]
        if review.due_by:
            lines.append(f"请在{review.due_by.isoformat()}前完成学习和考试。")
        lines.append("学习和考试请在东莞交警应用的“审验学习”中进行。")
    if review.status == "completed" and review.completion:
        done = review.completion
        lines.append(
            f"已于{short_time(done.completed_at)}完成：学习{done.studied_minutes}分钟，"
            f"考试{done.exam_score}分。"
        )
    if review.previous_overdue:
        lines.append("注意：上一记分周期应审验而逾期未审验，请尽快到车管所办理。")
    return clip("\n".join(lines))


# -- reading the message --------------------------------------------------------------------------

_VIOLATION_WORDS = re.compile(r"^\s*(违章查询|违法查询|违章|违法)\s*[:：]?")
_SEPARATORS = re.compile(r"[\s,，;；、/]+")
_HAS_CJK = re.compile(r"[\u4e00-\u9fff]")


def lookup_args(text: str) -> tuple[str, str] | tuple[str] | tuple[()]:
    """(plate, vin6), a lone (plate-or-suffix,), or () from '违章 粤S12345 123456'."""
    rest = _VIOLATION_WORDS.sub("", text, count=1)
    tokens = [t for t in _SEPARATORS.split(rest.strip()) if t]
    if not tokens:
        return ()
    if len(tokens) == 1:
        return (tokens[0],)
    # The plate is the token holding the province's character; the suffix is the other one.
    plate = next((t for t in tokens if _HAS_CJK.search(t)), tokens[0])
    suffix = next(t for t in tokens if t is not plate)
    return (plate, suffix)


_ROAD_ASKED = re.compile(r"^\s*路况\s*[:：]?\s*(?P<road>\S.*?)\s*$")
_WHERE_CLEAR = re.compile(r"不堵|畅通|哪里|去哪|周末")


def road_asked(text: str) -> str | None:
    """The road of '路况 莞深高速' (None for '路况' alone or any other question)."""
    found = _ROAD_ASKED.match(text)
    return found.group("road")[:20] if found else None


_GUIDE_WORDS = re.compile(r"^\s*(办事指南|指南)\s*[:：]?\s*")


def guide_topic(text: str) -> str | None:
    """The topic of '办事指南 驾驶证' (None for '办事指南' alone)."""
    rest = _GUIDE_WORDS.sub("", text, count=1).strip()
    if rest == text.strip() and "指南" in rest:
        rest = rest.replace("办事指南", " ").replace("指南", " ").strip()
    return rest[:50] or None


# -- calling the service --------------------------------------------------------------------------


def _citizens(call: HandlerCall) -> ChatCitizens:
    return call.context.request.app.state.wechat_citizens


def _is_menu_click(call: HandlerCall) -> bool:
    return bool(getattr(call.message, "event_key", "")) and call.text == call.message.event_key


def map_url(call: HandlerCall) -> str | None:
    """The road map's public URL, when the gateway knows its public origin."""
    base = getattr(call.context.request.app.state.settings, "public_base_url", "")
    return f"{base}{MAP_PATH}" if base else None


async def _get(
    call: HandlerCall,
    path: str,
    query: dict[str, Any] | None = None,
    *,
    authorization: str | None = None,
) -> tuple[int, Any] | None:
    """GET from traffic within the handler's time; None (logged) when it fails or is late."""
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
        log.warning("traffic failed on %s: %s", path, type(exc).__name__)
    except ValueError:
        log.warning("traffic answered %s with something other than JSON", path)
    return None


def _parse(model: type[M], body: Any) -> M | None:
    try:
        return model.model_validate(body)
    except ValidationError:
        log.exception("traffic answered an unexpected %s document", model.__name__)
        return None


def _items(body: Any) -> list[Any]:
    items = body.get("items") if isinstance(body, dict) else None
    return items if isinstance(items, list) else []


def _detail(body: Any) -> str | None:
    detail = body.get("detail") if isinstance(body, dict) else None
    return detail if isinstance(detail, str) and detail else None


async def _identify(call: HandlerCall) -> str | TextReply:
    """The chatting citizen's authorization for traffic, or the answer to give instead."""
    timeout = call.timeout() * IDENTIFY_SHARE
    try:
        who = await _citizens(call).identify(
            call.context.account.code, call.message.from_user_name, SERVICE, timeout=timeout
        )
    except NotIdentified as exc:
        return TextReply(exc.answer)
    return who.authorization


# -- handlers -------------------------------------------------------------------------------------


async def violations(call: HandlerCall) -> Reply | None:
    """'违章 <plate> <vin6>': that vehicle's violations; '违章' alone: the citizen's own."""
    args = () if _is_menu_click(call) else lookup_args(call.text)
    if len(args) == 1:
        return TextReply(ASK_BOTH)
    if len(args) == 2:
        plate, vin6 = args
        answer = await _get(call, "/v1/violations", {"plate": plate, "vin6": vin6, "limit": 100})
        if answer is None:
            return TextReply(APOLOGY)
        status, body = answer
        if status == 404:
            return TextReply(NO_MATCH)
        if status == 422:
            return TextReply(clip(_detail(body) or ASK_BOTH))
        page = _parse(ViolationPage, body) if status == 200 else None
        if page is None:
            log.warning("traffic answered %s to a violation lookup", status)
            return TextReply(APOLOGY)
        shown = page.items[0].plate if page.items else plate.strip().upper()
        return TextReply(format_vehicle_violations(shown, page))
    return await my_violations(call)


async def my_violations(call: HandlerCall) -> Reply:
    """The chatting citizen's bound vehicles' and licence's violations."""
    authorization = await _identify(call)
    if isinstance(authorization, TextReply):
        return authorization
    bound, listed = await asyncio.gather(
        _get(call, "/v1/me/bindings", {"limit": 100}, authorization=authorization),
        _get(call, "/v1/me/violations", {"limit": 100}, authorization=authorization),
    )
    if bound is None or listed is None or bound[0] != 200 or listed[0] != 200:
        return TextReply(APOLOGY)
    bindings, page = _parse(BindingPage, bound[1]), _parse(ViolationPage, listed[1])
    if bindings is None or page is None:
        return TextReply(APOLOGY)
    if not bindings.items:
        return TextReply(NOT_BOUND_VIOLATIONS)
    return TextReply(format_my_violations(bindings, page))


async def points(call: HandlerCall) -> Reply | None:
    """'记分': the bound licence's points in the cycle, and its status."""
    authorization = await _identify(call)
    if isinstance(authorization, TextReply):
        return authorization
    answer = await _get(call, "/v1/me/licence", authorization=authorization)
    if answer is None:
        return TextReply(APOLOGY)
    status, body = answer
    if status == 404:
        return TextReply(NOT_BOUND_POINTS)
    licence = _parse(Licence, body) if status == 200 else None
    return TextReply(format_points(licence) if licence else APOLOGY)


async def road_conditions(call: HandlerCall) -> Reply | None:
    """'路况': the city's red and green roads now; '路况 <road>': that road's segments."""
    road = None if _is_menu_click(call) else road_asked(call.text)
    query: dict[str, Any] = {"limit": 100}
    if road:
        query["road"] = road
    answer = await _get(call, "/v1/road-conditions", query)
    if answer is None:
        return TextReply(APOLOGY)
    status, body = answer
    if status == 404 and road:
        return TextReply(clip(_detail(body) or APOLOGY))
    conditions = _parse(RoadConditions, body) if status == 200 else None
    if conditions is None:
        return TextReply(APOLOGY)
    if road:
        return TextReply(format_road(road, conditions, map_url(call)))
    asked = not _is_menu_click(call) and bool(_WHERE_CLEAR.search(call.text))
    return TextReply(format_city_conditions(conditions, map_url(call), asked_where_clear=asked))


async def appointments(call: HandlerCall) -> Reply | None:
    """'预约': offices with their next free slot, the business types, how to book."""
    offices_answer, businesses_answer = await asyncio.gather(
        _get(call, "/v1/offices", {"limit": 100}),
        _get(call, "/v1/appointment-businesses", {"limit": 100}),
    )
    if offices_answer is None or offices_answer[0] != 200:
        return TextReply(APOLOGY)
    offices = [o for o in (_parse(Office, i) for i in _items(offices_answer[1])) if o is not None]
    businesses: list[Business] = []
    if businesses_answer is not None and businesses_answer[0] == 200:
        businesses = [
            b for b in (_parse(Business, i) for i in _items(businesses_answer[1])) if b is not None
        ]
    slots = await asyncio.gather(*(_next_slot(call, o) for o in offices))
    return TextReply(format_appointments(list(zip(offices, slots, strict=True)), businesses))


async def _next_slot(call: HandlerCall, office: Office) -> Slot | None:
    path = f"/v1/offices/{quote(office.code, safe='')}/slots"
    answer = await _get(call, path, {"available": "true", "limit": 1})
    if answer is None or answer[0] != 200:
        return None
    items = _items(answer[1])
    return _parse(Slot, items[0]) if items else None


async def guides(call: HandlerCall) -> Reply | None:
    """'办事指南 <topic>' (or the rule's params.topic): matching guides; one in full."""
    topic = call.params.get("topic") or (None if _is_menu_click(call) else guide_topic(call.text))
    query: dict[str, Any] = {"limit": 100}
    if topic:
        query["q"] = topic
    answer = await _get(call, "/v1/guides", query)
    if answer is None or answer[0] != 200:
        return TextReply(APOLOGY)
    found = [g for g in (_parse(GuideSummary, i) for i in _items(answer[1])) if g is not None]
    total = max(len(found), int(answer[1].get("total") or 0))
    if not found:
        return TextReply(format_no_guide(topic or ""))
    exact = next((g for g in found if topic and g.title == topic), None)
    if exact is None and len(found) > 1:
        return TextReply(format_guide_list(topic, found, total))
    chosen = exact or found[0]
    detail = await _get(call, f"/v1/guides/{quote(chosen.id, safe='')}")
    guide = _parse(Guide, detail[1]) if detail is not None and detail[0] == 200 else None
    return TextReply(format_guide(guide) if guide else APOLOGY)


async def review_study(call: HandlerCall) -> Reply | None:
    """'审验': the bound bus or truck driver's review study; otherwise what it is."""
    authorization = await _identify(call)
    if isinstance(authorization, TextReply):
        return authorization
    answer = await _get(call, "/v1/me/review-study", authorization=authorization)
    if answer is None:
        return TextReply(APOLOGY)
    status, body = answer
    if status == 404:
        return TextReply(REVIEW_EXPLAINED)
    review = _parse(Review, body) if status == 200 else None
    if review is None:
        return TextReply(APOLOGY)
    return TextReply(format_review(review))
