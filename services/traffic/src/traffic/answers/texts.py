"""东莞交警's chat texts: pure functions from traffic's records to the Chinese a citizen reads.

Each answer keeps within WeChat's 2048 bytes (servicekit.chattext): long lists are cut at a
whole item with a note of how many were left out. Licence holders' data arrive masked
(traffic.views); plates are shown, as the citizen typed or bound them.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from servicekit.chattext import clip, fit
from servicekit.clock import local
from servicekit.money import yuan_text
from traffic.models import (
    AppointmentSlot,
    GuideBase,
    GuidePublic,
    LicencePublic,
    OfficeBase,
    ViolationPage,
    ViolationPublic,
)
from traffic.review import COURSES, REQUIRED_MINUTES, Review
from traffic.review import STATUS_TEXT as REVIEW_STATUS_TEXT
from traffic.roads import STATUS_TEXT as SEGMENT_STATUS_TEXT
from traffic.roads import CityConditions, SegmentCondition, index_level, road_summary

_WEEKDAYS = "一二三四五六日"

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
VIOLATION_STATUS_TEXT = {"unhandled": "未处理", "decided_unpaid": "已处理未缴款", "paid": "已缴款"}
MAP_LEGEND = "路况地图（红色拥堵，绿色畅通）："


def local_time(at: datetime) -> str:
    """'2026-11-23 11:32' in Beijing time."""
    return f"{local(at):%Y-%m-%d %H:%M}"


def month_day(day: date) -> str:
    """'11月26日'."""
    return f"{day.month}月{day.day}日"


def short_time(at: datetime) -> str:
    """'11月26日 18:05' in Beijing time."""
    moment = local(at)
    return f"{month_day(moment.date())} {moment:%H:%M}"


def more_violations(count: int) -> str:
    """The note that `count` violations were left out."""
    return f"……另有{count}条未列出，完整记录请在东莞交警应用中查看。"


def violation_item(number: int, v: ViolationPublic, *, with_plate: bool = False) -> str:
    """One violation: when and where, what, points and fine, status and amount due."""
    plate = f"{v.plate} " if with_plate else ""
    status = VIOLATION_STATUS_TEXT[v.status]
    if v.status == "paid":
        settled = status
    else:
        overdue = (
            f"（逾期{v.overdue_days}天，加处罚款{yuan_text(v.surcharge_fen)}）"
            if v.surcharge_fen
            else ""
        )
        settled = f"{status}{overdue}，应缴{yuan_text(v.amount_due_fen)}"
    return "\n".join(
        [
            f"{number}. {plate}{local_time(v.occurred_at)} {v.place}",
            f"{v.description}（记{v.points}分，罚款{yuan_text(v.fine_fen)}）",
            settled,
        ]
    )


def _violation_counts(page: ViolationPage) -> str:
    unhandled = sum(1 for v in page.items if v.status == "unhandled")
    unpaid = sum(1 for v in page.items if v.status == "decided_unpaid")
    parts = [f"未处理{unhandled}条"] if unhandled else []
    parts += [f"已处理未缴款{unpaid}条"] if unpaid else []
    return f"（{'，'.join(parts)}）" if parts else ""


def _violations_head(whose: str, page: ViolationPage) -> str:
    return (
        f"{whose}近两年交通违法{page.total}条{_violation_counts(page)}，"
        f"截至{month_day(page.on)}应缴合计{yuan_text(page.amount_due_fen)}："
    )


def format_vehicle_violations(plate: str, page: ViolationPage) -> str:
    """The answer to '违章 <plate> <vin6>'."""
    if page.total == 0:
        return f"{plate} 近两年没有交通违法记录。"
    items = [violation_item(i, v) for i, v in enumerate(page.items, 1)]
    tail = ["处理违法、缴纳罚款：绑定机动车和驾驶证后在东莞交警应用中办理。"]
    hidden = max(0, page.total - len(page.items))
    return fit(
        [_violations_head(f"{plate} ", page)], items, tail, more=more_violations, hidden=hidden
    )


def format_my_violations(plates: Sequence[str], has_licence: bool, page: ViolationPage) -> str:
    """The answer to '违章' from a citizen with bindings: their vehicles' and licence's."""
    bound = "、".join(plates) + ("及驾驶证" if has_licence and plates else "")
    bound = bound or "驾驶证"
    if page.total == 0:
        return f"您绑定的{bound}近两年没有交通违法记录。"
    items = [violation_item(i, v, with_plate=True) for i, v in enumerate(page.items, 1)]
    hidden = max(0, page.total - len(page.items))
    return fit(
        [_violations_head(f"您绑定的{bound}", page)], items, more=more_violations, hidden=hidden
    )


def format_points(licence: LicencePublic) -> str:
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


def slow_roads(conditions: CityConditions) -> list[str]:
    """Roads neither congested nor entirely clear (yellow somewhere), in the feed's order."""
    congested, clear = road_summary(conditions=conditions.segments)
    known = set(congested) | set(clear)
    seen: list[str] = []
    for c in conditions.segments:
        road = c.segment.road
        if road not in known and road not in seen and c.status > 0:
            seen.append(road)
    return seen


def format_city_conditions(
    conditions: CityConditions, map_url: str | None, *, asked_where_clear: bool = False
) -> str:
    """The city's index and its red and green roads now, with the map link."""
    congested_roads, clear_roads = road_summary(conditions=conditions.segments)
    congested = "红色拥堵：" + ("、".join(congested_roads) or "目前没有拥堵的主要道路")
    clear = "绿色畅通：" + ("、".join(clear_roads) or "暂无全线畅通的主要道路，建议错峰出行")
    slow = slow_roads(conditions)
    lines = []
    if asked_where_clear:
        lines.append("不想宅在家？电子地图红色拥堵，绿色畅通，出门前先看看：")
    lines += [
        f"东莞路况（{short_time(conditions.snapshot_at)}）",
        f"全市交通指数{conditions.index:.1f}，{index_level(index=conditions.index)}",
    ]
    lines += [clear, congested] if asked_where_clear else [congested, clear]
    if slow:
        lines.append("黄色缓行：" + "、".join(slow))
    if map_url:
        lines.append(MAP_LEGEND + map_url)
    lines.append("回复“路况 道路名”查看各路段，例如“路况 莞深高速”。")
    return clip("\n".join(lines))


def format_road(
    road: str, snapshot_at: datetime, segments: Sequence[SegmentCondition], map_url: str | None
) -> str:
    """The segments of one road now."""
    head = [f"{road} 路况（{short_time(snapshot_at)}）"]
    items = [
        f"{c.segment.road} {c.segment.section}：{SEGMENT_STATUS_TEXT[c.status]}"
        + (f"，{c.speed_kmh}公里/小时" if c.speed_kmh is not None else "")
        for c in segments
    ]
    tail = [MAP_LEGEND + map_url] if map_url else []
    return fit(head, items, tail, more=lambda n: f"……另有{n}个路段未列出。")


def slot_text(slot: AppointmentSlot) -> str:
    """'11月27日（周五）09:00-10:00，余8个名额'."""
    start, end = local(slot.starts_at), local(slot.ends_at)
    day = f"{month_day(start.date())}（周{_WEEKDAYS[start.weekday()]}）"
    return f"{day}{start:%H:%M}-{end:%H:%M}，余{slot.capacity - slot.booked}个名额"


def format_appointments(
    offices: Sequence[tuple[OfficeBase, AppointmentSlot | None]], businesses: Sequence[str]
) -> str:
    """Offices with their next free slot, and the business types that can be booked."""
    head = ["车驾管业务预约（预受理）"]
    if businesses:
        head.append("可预约业务：" + "、".join(businesses))
    head.append("办理点及最近可约时段：")
    items = [
        f"{i}. {office.name}（{office.town}）："
        + (slot_text(slot) if slot else "近两周暂无可约时段")
        + (f"，电话{office.phone}" if office.phone else "")
        for i, (office, slot) in enumerate(offices, 1)
    ]
    return fit(head, items, [BOOKING_HOW], more=lambda n: f"……另有{n}个办理点未列出。")


def format_guide_list(topic: str | None, guides: Sequence[GuideBase], total: int) -> str:
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


def format_guide(guide: GuidePublic) -> str:
    """One guide: summary, conditions, materials, fees, offices, hours."""
    lines = [f"【{guide.title}】", guide.summary]
    if guide.conditions:
        lines.append("办理条件：" + "；".join(guide.conditions))
    if guide.materials:
        lines.append("申请材料：")
        lines += [f"{i}. {m}" for i, m in enumerate(guide.materials, 1)]
    fees = "；".join(f"{f.item}{yuan_text(f.fee_fen)}" for f in guide.fees if f.fee_fen)
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
    """The answer when no guide matches `topic`."""
    return f"没有找到与“{topic}”相关的办事指南。{GUIDE_ASK}"


def format_review(review: Review) -> str:
    """The citizen's review study: whether it is needed, progress, deadline, completion."""
    cycle = f"{review.cycle.start.isoformat()} 至 {review.cycle.end.isoformat()}"
    lines = [
        f"审验学习（{review.licence.licence_class}驾驶证，记分周期 {cycle}）",
        REVIEW_STATUS_TEXT[review.status],
    ]
    if review.status in ("required", "exam_pending"):
        lines.append(f"已学习{review.studied_minutes}/{REQUIRED_MINUTES}分钟")
        lines += [
            f"· {c.title}：{review.studied.get(c.code, 0)}/{c.minutes}分钟"
            for c in COURSES
            if review.studied.get(c.code, 0) < c.minutes
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


NOT_BOUND_FINES = "\n".join(
    ["您还没有绑定机动车或驾驶证，绑定后即可回复“交罚款”查看待缴罚款并在线缴纳。", HOW_TO_BIND]
)
PAY_IN_APP = "缴纳罚款：在东莞交警应用中办理。"


def mask_plate(plate: str) -> str:
    """A plate as a chat shows it: province and city letter, then the last two characters."""
    return plate[:2] + "*" * max(len(plate) - 4, 0) + plate[-2:]


def unpaid_item(number: int, v: ViolationPublic) -> str:
    """One unpaid decision: masked plate, number, what it is, the amount due today."""
    if v.surcharge_fen:
        note = f"（含逾期{v.overdue_days}天加处罚款{yuan_text(v.surcharge_fen)}）"
    else:
        note = f"（{v.due_on.isoformat()}前缴纳不加处罚款）" if v.due_on else ""
    return "\n".join(
        [
            f"{number}. {mask_plate(v.plate)} 决定书编号{v.decision_number}",
            f"{v.description}，应缴{yuan_text(v.amount_due_fen)}{note}",
        ]
    )


def format_unpaid_fines(
    unpaid: Sequence[ViolationPublic], *, unhandled: int, on: date, pay_url: str | None
) -> str:
    """The answer to '交罚款': the unpaid decisions priced on day `on`, and where to pay them."""
    later = (
        [f"另有{unhandled}条违法尚未处理，处理后才能缴款，回复“违章”查看。"] if unhandled else []
    )
    if not unpaid:
        return "\n".join(["您绑定的机动车和驾驶证目前没有待缴的罚款。", *later])
    total = sum(v.amount_due_fen for v in unpaid)
    head = [f"您有{len(unpaid)}笔待缴罚款，截至{month_day(on)}应缴合计{yuan_text(total)}："]
    items = [unpaid_item(i, v) for i, v in enumerate(unpaid, 1)]
    link = f"点击缴纳罚款（微信支付）：{pay_url}" if pay_url else PAY_IN_APP
    return fit(head, items, [*later, link], more=lambda n: f"……另有{n}笔未列出，可在缴款页面查看。")
