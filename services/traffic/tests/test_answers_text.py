"""东莞交警's chat texts as pure functions: reading the message, and each answer's text
(within WeChat's 2048 bytes)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pytest

from servicekit.chattext import TEXT_LIMIT_BYTES, utf8_len
from traffic.answers.reading import asks_where_clear, guide_topic, lookup_args, road_asked
from traffic.answers.texts import (
    format_appointments,
    format_city_conditions,
    format_guide,
    format_guide_list,
    format_my_violations,
    format_points,
    format_review,
    format_road,
    format_vehicle_violations,
    slot_text,
    slow_roads,
)
from traffic.models import (
    AppointmentSlot,
    DriverLicence,
    GuidePublic,
    LicencePublic,
    OfficePublic,
    ReviewCompletion,
    ViolationPage,
    ViolationPublic,
)
from traffic.points import Cycle
from traffic.review import Review
from traffic.roads import CityConditions, Segment, SegmentCondition

CST = "+08:00"
MAP = "http://gw.example.cn/api/v1/traffic/road-conditions/map.png"


@pytest.mark.parametrize(
    ("text", "args"),
    [
        ("违章 粤S12345 123456", ("粤S12345", "123456")),
        ("违章粤S12345 123456", ("粤S12345", "123456")),
        ("违章查询：粤S12345，123456", ("粤S12345", "123456")),
        ("违法查询 粤SD66888 654321", ("粤SD66888", "654321")),
        ("违章 123456 粤S12345", ("粤S12345", "123456")),
        ("  违章  粤s12345   123456 ", ("粤s12345", "123456")),
        ("违章 粤S12345", ("粤S12345",)),
        ("违章", ()),
        ("违章查询", ()),
        ("", ()),
    ],
)
def test_lookup_args(text: str, args: tuple[str, ...]) -> None:
    assert lookup_args(text) == args


@pytest.mark.parametrize(
    ("text", "road", "where_clear"),
    [
        ("路况", None, False),
        ("路况 莞深高速", "莞深高速", False),
        ("路况：莞太路", "莞太路", False),
        ("路况莞太路", "莞太路", False),
        ("周末不想宅，哪里路不堵?", None, True),
        ("堵车吗", None, False),
    ],
)
def test_road_asked(text: str, road: str | None, where_clear: bool) -> None:
    assert road_asked(text) == road
    assert asks_where_clear(text) is where_clear


@pytest.mark.parametrize(
    ("text", "topic"),
    [
        ("办事指南", None),
        ("办事指南 驾驶证", "驾驶证"),
        ("办事指南：换证", "换证"),
        ("指南 年检", "年检"),
        ("驾驶证指南", "驾驶证"),
        ("", None),
    ],
)
def test_guide_topic(text: str, topic: str | None) -> None:
    assert guide_topic(text) == topic


def violation(**fields: Any) -> ViolationPublic:
    return ViolationPublic.model_validate(
        {
            "id": 1,
            "plate": "粤S12345",
            "code": "1625",
            "description": "驾驶机动车违反道路交通信号灯通行的",
            "occurred_at": f"2026-10-12T17:32:00{CST}",
            "place": "莞城街道莞太路与环城路交叉口",
            "points": 6,
            "fine_fen": 20000,
            "status": "unhandled",
            "overdue_days": 0,
            "surcharge_fen": 0,
            "amount_due_fen": 20000,
            **fields,
        }
    )


def page(*items: ViolationPublic, total: int | None = None) -> ViolationPage:
    return ViolationPage(
        items=list(items),
        total=len(items) if total is None else total,
        on=date(2026, 11, 26),
        amount_due_fen=sum(i.amount_due_fen for i in items),
    )


def test_a_vehicles_violations_with_status_and_amount_due() -> None:
    text = format_vehicle_violations(
        "粤S12345",
        page(
            violation(),
            violation(
                status="decided_unpaid",
                overdue_days=15,
                surcharge_fen=9000,
                amount_due_fen=29000,
                place="东城大道",
            ),
            violation(status="paid", amount_due_fen=0, fine_fen=15050, place="广深高速K52+300"),
        ),
    )
    lines = text.splitlines()
    assert lines[0] == (
        "粤S12345 近两年交通违法3条（未处理1条，已处理未缴款1条），截至11月26日应缴合计490元："
    )
    assert lines[1] == "1. 2026-10-12 17:32 莞城街道莞太路与环城路交叉口"
    assert lines[2] == "驾驶机动车违反道路交通信号灯通行的（记6分，罚款200元）"
    assert lines[3] == "未处理，应缴200元"
    assert "已处理未缴款（逾期15天，加处罚款90元），应缴290元" in lines
    assert "驾驶机动车违反道路交通信号灯通行的（记6分，罚款150.50元）" in lines
    assert "已缴款" in lines
    assert lines[-1] == "处理违法、缴纳罚款：绑定机动车和驾驶证后在东莞交警应用中办理。"


def test_times_are_beijing_times_even_when_given_in_utc() -> None:
    text = format_vehicle_violations("粤S12345", page(violation(occurred_at="2026-10-12T09:32Z")))
    assert text.splitlines()[1] == "1. 2026-10-12 17:32 莞城街道莞太路与环城路交叉口"


def test_no_violations() -> None:
    assert format_vehicle_violations("粤S12345", page()) == "粤S12345 近两年没有交通违法记录。"


def test_many_violations_stay_within_the_limit_and_say_what_was_left_out() -> None:
    many = [violation(place=f"东莞大道第{i}段") for i in range(60)]
    text = format_vehicle_violations("粤S12345", page(*many, total=130))
    assert utf8_len(text) <= TEXT_LIMIT_BYTES
    shown = sum(1 for line in text.splitlines() if "东莞大道第" in line)
    assert 3 <= shown < 60
    assert f"……另有{130 - shown}条未列出" in text


def test_my_violations_name_the_bound_plates() -> None:
    text = format_my_violations(["粤S12345"], True, page(violation()))
    assert text.startswith("您绑定的粤S12345及驾驶证近两年交通违法1条")
    assert "1. 粤S12345 2026-10-12 17:32" in text
    assert (
        format_my_violations(["粤S12345"], True, page())
        == "您绑定的粤S12345及驾驶证近两年没有交通违法记录。"
    )
    assert format_my_violations([], True, page()) == "您绑定的驾驶证近两年没有交通违法记录。"
    assert format_my_violations(["粤S12345", "粤SB7788"], False, page()).startswith(
        "您绑定的粤S12345、粤SB7788近两年"
    )


LICENCE = {
    "licence_number": "4419**********1231",
    "holder_name": "张*",
    "licence_class": "C1",
    "first_issued_on": "2012-05-10",
    "cycle_start": "2026-05-10",
    "cycle_end": "2027-05-09",
    "points": 9,
    "carried_over_points": 0,
    "studied_points": 0,
    "status": "normal",
    "status_text": "正常",
    "study_days": 0,
    "can_study_to_reduce": True,
    "study_refusal": None,
}


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({}, ["本周期累积记分：9分", "状态：正常，距12分还有3分", "可以继续参加"]),
        ({"carried_over_points": 2, "points": 4}, ["4分（含上周期罚款未缴结转2分）"]),
        (
            {
                "points": 12,
                "status": "locked",
                "status_text": "本记分周期已记满12分，驾驶证暂扣，须参加7天满分学习并考试。",
                "study_days": 7,
                "can_study_to_reduce": False,
                "study_refusal": "本记分周期不能参加学法减分。",
            },
            ["状态：本记分周期已记满12分", "7天满分学习", "本周期已减0分。本记分周期不能参加"],
        ),
    ],
)
def test_points(fields: dict[str, Any], expected: list[str]) -> None:
    text = format_points(LicencePublic.model_validate({**LICENCE, **fields}))
    assert text.splitlines()[0] == "驾驶证 4419**********1231（C1，张*）"
    assert "记分周期：2026-05-10 至 2027-05-09" in text
    for part in expected:
        assert part in text, (part, text)


def segment(road: str, section: str, speed: int | None, status: int) -> SegmentCondition:
    return SegmentCondition(
        segment=Segment(f"{road}-{section}", road, section, "expressway", 5.0, 0.5, ()),
        speed_kmh=speed,
        status=status,
    )


def conditions(*segments: SegmentCondition) -> CityConditions:
    return CityConditions(
        snapshot_at=datetime.fromisoformat(f"2026-11-28T10:05:00{CST}"),
        index=3.25,
        segments=segments
        or (
            segment("广深高速", "望洪至厚街", 17, 4),
            segment("莞深高速", "石碣至东城", 41, 2),
            segment("东莞大道", "南城段", 55, 1),
            segment("环城路", "东段", None, 0),
        ),
    )


def test_city_conditions_red_and_green_with_the_map() -> None:
    text = format_city_conditions(conditions(), MAP)
    assert text.splitlines()[:4] == [
        "东莞路况（11月28日 10:05）",
        "全市交通指数3.2，基本畅通",
        "红色拥堵：广深高速",
        "绿色畅通：东莞大道",
    ]
    assert "黄色缓行：莞深高速" in text
    assert f"路况地图（红色拥堵，绿色畅通）：{MAP}" in text
    assert text.splitlines()[-1] == "回复“路况 道路名”查看各路段，例如“路况 莞深高速”。"


def test_the_articles_question_leads_with_where_it_is_clear() -> None:
    text = format_city_conditions(conditions(), MAP, asked_where_clear=True)
    lines = text.splitlines()
    assert "红色拥堵，绿色畅通" in lines[0]
    assert lines.index("绿色畅通：东莞大道") < lines.index("红色拥堵：广深高速")


def test_no_clear_road_and_no_map_link() -> None:
    jammed = conditions(
        segment("广深高速", "望洪至厚街", 17, 4), segment("东莞大道", "南城段", 30, 2)
    )
    text = format_city_conditions(jammed, None)
    assert "绿色畅通：暂无全线畅通的主要道路" in text and "map.png" not in text
    assert slow_roads(conditions()) == ["莞深高速"]


def test_one_road() -> None:
    text = format_road("莞深高速", conditions().snapshot_at, conditions().segments[1:2], MAP)
    assert text.splitlines() == [
        "莞深高速 路况（11月28日 10:05）",
        "莞深高速 石碣至东城：缓行，41公里/小时",
        f"路况地图（红色拥堵，绿色畅通）：{MAP}",
    ]
    unknown = format_road("环城路", conditions().snapshot_at, conditions().segments[3:], None)
    assert unknown.splitlines()[1] == "环城路 东段：未知"


def slot(starts_at: str, ends_at: str, capacity: int = 10, booked: int = 2) -> AppointmentSlot:
    return AppointmentSlot(
        office_code="dg-main",
        starts_at=datetime.fromisoformat(starts_at),
        ends_at=datetime.fromisoformat(ends_at),
        capacity=capacity,
        booked=booked,
    )


def test_slot_text_in_beijing_time() -> None:
    found = slot("2026-11-27T01:00:00+00:00", "2026-11-27T02:00:00+00:00")
    assert slot_text(found) == "11月27日（周五）09:00-10:00，余8个名额"
    # SQLite hands stored times back naive; they were UTC.
    naive = slot("2026-11-27T01:00:00", "2026-11-27T02:00:00")
    assert slot_text(naive) == "11月27日（周五）09:00-10:00，余8个名额"


def office(code: str, name: str, phone: str = "0769-22222222") -> OfficePublic:
    return OfficePublic(
        code=code, name=name, kind="分所", town="南城街道", address="", phone=phone, hours=""
    )


def test_appointments_list_offices_with_their_next_slot() -> None:
    text = format_appointments(
        [
            (office("a", "车管所"), slot("2026-11-27T01:00:00+00:00", "2026-11-27T02:00:00+00:00")),
            (office("b", "东城分所", phone=""), None),
        ],
        ["驾驶证期满换证", "机动车检验"],
    )
    assert text.splitlines()[:5] == [
        "车驾管业务预约（预受理）",
        "可预约业务：驾驶证期满换证、机动车检验",
        "办理点及最近可约时段：",
        "1. 车管所（南城街道）：11月27日（周五）09:00-10:00，余8个名额，电话0769-22222222",
        "2. 东城分所（南城街道）：近两周暂无可约时段",
    ]
    assert text.endswith("所需材料可回复“办事指南 业务名称”查看。")


GUIDE = {
    "id": "licence-renewal",
    "title": "驾驶证期满换证",
    "category": "驾驶证",
    "summary": "驾驶证有效期满前90日内申请换证。",
    "conditions": ["驾驶证有效期满前90日内"],
    "materials": ["居民身份证", "机动车驾驶证"],
    "fees": [{"item": "工本费", "fee_fen": 1000}],
    "offices": ["车管所", "各分所"],
    "hours": "周一至周五 9:00-17:00",
    "time_limit": "当场办结",
    "online": "交管12123",
}


def test_one_guide_in_full() -> None:
    text = format_guide(GuidePublic.model_validate(GUIDE))
    assert text.splitlines() == [
        "【驾驶证期满换证】",
        "驾驶证有效期满前90日内申请换证。",
        "办理条件：驾驶证有效期满前90日内",
        "申请材料：",
        "1. 居民身份证",
        "2. 机动车驾驶证",
        "收费：工本费10元",
        "办理地点：车管所、各分所",
        "办理时间：周一至周五 9:00-17:00",
        "办理时限：当场办结",
        "网上办理：交管12123",
    ]
    free = format_guide(GuidePublic.model_validate({**GUIDE, "fees": []}))
    assert "收费：不收费" in free


def test_guide_list() -> None:
    guides = [
        GuidePublic.model_validate({**GUIDE, "id": f"g{i}", "title": f"指南{i}"}) for i in (1, 2)
    ]
    text = format_guide_list("驾驶证", guides, 2)
    assert text.splitlines()[:3] == [
        "与“驾驶证”相关的办事指南共2项：",
        "1. 指南1：驾驶证有效期满前90日内申请换证。",
        "2. 指南2：驾驶证有效期满前90日内申请换证。",
    ]
    assert "……另有3项未列出" in format_guide_list(None, guides, 5)


def review(**fields: Any) -> Review:
    values: dict[str, Any] = {
        "licence": DriverLicence(licence_class="B2"),
        "cycle": Cycle(date(2026, 7, 29), date(2027, 7, 28)),
        "points": 3,
        "due_by": date(2027, 8, 27),
        "status": "required",
        "studied": {"law": 45},
        "previous_overdue": False,
        "completion": None,
        **fields,
    }
    return Review(**values)


def test_review_progress() -> None:
    text = format_review(review())
    assert text.splitlines()[0] == "审验学习（B2驾驶证，记分周期 2026-07-29 至 2027-07-28）"
    assert "已学习45/180分钟" in text
    assert "· 大中型客货车安全驾驶技能：0/40分钟" in text
    assert "道路交通安全法律法规：" not in text  # finished courses are not listed
    assert "请在2027-08-27前完成学习和考试。" in text
    overdue = format_review(review(previous_overdue=True))
    assert overdue.endswith("注意：上一记分周期应审验而逾期未审验，请尽快到车管所办理。")


def test_review_completed_and_not_applicable() -> None:
    done = ReviewCompletion(
        licence_id=1,
        cycle_start=date(2026, 7, 29),
        cycle_end=date(2027, 7, 28),
        studied_minutes=180,
        exam_score=90,
        completed_at=datetime.fromisoformat(f"2027-08-01T10:00:00{CST}"),
    )
    completed = format_review(review(status="completed", completion=done))
    assert "已于8月1日 10:00完成：学习180分钟，考试90分。" in completed
    na = review(licence=DriverLicence(licence_class="C1"), status="not_applicable", due_by=None)
    text = format_review(na)
    assert "无需审验" in text and "分钟" not in text


def test_every_text_fits_even_with_long_fields() -> None:
    long = "很长的内容" * 200
    many = GuidePublic.model_validate({**GUIDE, "materials": ["很长的材料名称" * 10] * 30})
    text = format_guide(many)
    assert utf8_len(text) <= TEXT_LIMIT_BYTES and text.endswith("……")
    licence = LicencePublic.model_validate({**LICENCE, "status_text": long})
    assert utf8_len(format_points(licence)) <= TEXT_LIMIT_BYTES
