"""东莞交警's chat texts as pure functions: reading the message, money, and each answer's text
(within WeChat's 2048 bytes)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from gateway.wechat.citizens import TtlCache
from gateway.wechat.handlers.textfit import TEXT_LIMIT_BYTES, clip, fit, utf8_len
from gateway.wechat.handlers.traffic import (
    BindingPage,
    Guide,
    Licence,
    Review,
    RoadConditions,
    Slot,
    ViolationPage,
    format_city_conditions,
    format_guide,
    format_guide_list,
    format_my_violations,
    format_points,
    format_review,
    format_road,
    format_vehicle_violations,
    guide_topic,
    lookup_args,
    road_asked,
    slot_text,
    slow_roads,
    yuan,
)

CST = "+08:00"
MAP = "http://gw.example.cn/api/v1/traffic/road-conditions/map.png"


@pytest.mark.parametrize(
    ("fen", "text"),
    [(20000, "200元"), (20050, "200.50元"), (20005, "200.05元"), (5, "0.05元"), (0, "0元")],
)
def test_yuan(fen: int, text: str) -> None:
    assert yuan(fen) == text


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
    ],
)
def test_lookup_args(text: str, args: tuple[str, ...]) -> None:
    assert lookup_args(text) == args


@pytest.mark.parametrize(
    ("text", "road"),
    [
        ("路况", None),
        ("路况 莞深高速", "莞深高速"),
        ("路况：莞太路", "莞太路"),
        ("路况莞太路", "莞太路"),
        ("周末不想宅，哪里路不堵?", None),
        ("堵车吗", None),
    ],
)
def test_road_asked(text: str, road: str | None) -> None:
    assert road_asked(text) == road


@pytest.mark.parametrize(
    ("text", "topic"),
    [
        ("办事指南", None),
        ("办事指南 驾驶证", "驾驶证"),
        ("办事指南：换证", "换证"),
        ("指南 年检", "年检"),
        ("驾驶证指南", "驾驶证"),
    ],
)
def test_guide_topic(text: str, topic: str | None) -> None:
    assert guide_topic(text) == topic


def test_clip_cuts_at_a_character_within_the_limit() -> None:
    assert clip("短文本") == "短文本"
    long = "违" * 1000
    cut = clip(long)
    assert utf8_len(cut) <= TEXT_LIMIT_BYTES and cut.endswith("……")
    assert clip("ab违章了", 10) == "ab……"  # 11 bytes; the ellipsis takes 6


def test_fit_keeps_whole_items_and_says_how_many_were_left_out() -> None:
    items = [f"第{i}条：" + "记录" * 40 for i in range(1, 40)]
    text = fit(["开头"], items, ["结尾"], more=lambda n: f"另有{n}条", limit=1000)
    assert utf8_len(text) <= 1000
    lines = text.splitlines()
    assert lines[0] == "开头" and lines[-1] == "结尾"
    shown = [line for line in lines if line.startswith("第")]
    assert lines[-2] == f"另有{len(items) - len(shown)}条"
    assert all(line in items for line in shown)
    assert fit(["开头"], items[:2], more=lambda n: f"另有{n}条") == "\n".join(["开头", *items[:2]])
    assert fit([], items[:1], more=lambda n: f"另有{n}条", hidden=3).endswith("另有3条")


def violation(**fields: Any) -> dict[str, Any]:
    return {
        "plate": "粤S12345",
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


def page(*items: dict[str, Any], total: int | None = None) -> ViolationPage:
    return ViolationPage.model_validate(
        {
            "items": list(items),
            "total": len(items) if total is None else total,
            "on": "2026-11-26",
            "amount_due_fen": sum(i["amount_due_fen"] for i in items),
        }
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
    bindings = BindingPage.model_validate(
        {"items": [{"kind": "vehicle", "plate": "粤S12345"}, {"kind": "licence"}]}
    )
    text = format_my_violations(bindings, page(violation()))
    assert text.startswith("您绑定的粤S12345及驾驶证近两年交通违法1条")
    assert "1. 粤S12345 2026-10-12 17:32" in text
    assert (
        format_my_violations(bindings, page()) == "您绑定的粤S12345及驾驶证近两年没有交通违法记录。"
    )


LICENCE = {
    "licence_number": "4419**********1231",
    "holder_name": "张*",
    "licence_class": "C1",
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
    text = format_points(Licence.model_validate({**LICENCE, **fields}))
    assert text.splitlines()[0] == "驾驶证 4419**********1231（C1，张*）"
    assert "记分周期：2026-05-10 至 2027-05-09" in text
    for part in expected:
        assert part in text, (part, text)


def conditions(**fields: Any) -> RoadConditions:
    segments = [
        {"road": "广深高速", "section": "望洪至厚街", "speed_kmh": 17, "status": 4,
         "status_text": "严重拥堵"},
        {"road": "莞深高速", "section": "石碣至东城", "speed_kmh": 41, "status": 2,
         "status_text": "缓行"},
        {"road": "东莞大道", "section": "南城段", "speed_kmh": 55, "status": 1,
         "status_text": "畅通"},
        {"road": "环城路", "section": "东段", "speed_kmh": None, "status": 0,
         "status_text": "未知"},
    ]  # fmt: skip
    return RoadConditions.model_validate(
        {
            "snapshot_at": f"2026-11-28T10:05:00{CST}",
            "index": 3.25,
            "index_level": "基本畅通",
            "congested_roads": ["广深高速"],
            "clear_roads": ["东莞大道"],
            "items": segments,
            "total": len(segments),
            **fields,
        }
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


def test_the_articles_question_leads_with_where_it_is_clear() -> None:
    text = format_city_conditions(conditions(), MAP, asked_where_clear=True)
    lines = text.splitlines()
    assert "红色拥堵，绿色畅通" in lines[0]
    assert lines.index("绿色畅通：东莞大道") < lines.index("红色拥堵：广深高速")


def test_no_clear_road_and_no_map_link() -> None:
    text = format_city_conditions(conditions(clear_roads=[]), None)
    assert "绿色畅通：暂无全线畅通的主要道路" in text and "map.png" not in text
    assert slow_roads(conditions()) == ["莞深高速"]


def test_one_road() -> None:
    text = format_road("莞深高速", conditions(items=conditions().items[1:2], total=1), MAP)
    assert text.splitlines()[:2] == [
        "莞深高速 路况（11月28日 10:05）",
        "莞深高速 石碣至东城：缓行，41公里/小时",
    ]


def test_slot_text_in_beijing_time() -> None:
    slot = Slot.model_validate(
        {"starts_at": "2026-11-27T01:00:00+00:00", "ends_at": "2026-11-27T02:00:00+00:00",
         "remaining": 8}
    )  # fmt: skip
    assert slot_text(slot) == "11月27日（周五）09:00-10:00，余8个名额"


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
    text = format_guide(Guide.model_validate(GUIDE))
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
    free = format_guide(Guide.model_validate({**GUIDE, "fees": []}))
    assert "收费：不收费" in free


def test_guide_list() -> None:
    guides = [Guide.model_validate({**GUIDE, "id": f"g{i}", "title": f"指南{i}"}) for i in (1, 2)]
    text = format_guide_list("驾驶证", guides, 2)
    assert text.splitlines()[:3] == [
        "与“驾驶证”相关的办事指南共2项：",
        "1. 指南1：驾驶证有效期满前90日内申请换证。",
        "2. 指南2：驾驶证有效期满前90日内申请换证。",
    ]


REVIEW = {
    "licence_class": "B2",
    "cycle_start": "2026-07-29",
    "cycle_end": "2027-07-28",
    "due_by": "2027-08-27",
    "status": "required",
    "status_text": "须完成不少于180分钟的审验学习并通过考试。",
    "required_minutes": 180,
    "studied_minutes": 45,
    "courses": [
        {"title": "道路交通安全法律法规", "minutes": 45, "studied_minutes": 45},
        {"title": "大中型客货车安全驾驶技能", "minutes": 40, "studied_minutes": 0},
    ],
}


def test_review_progress() -> None:
    text = format_review(Review.model_validate(REVIEW))
    assert "已学习45/180分钟" in text
    assert "· 大中型客货车安全驾驶技能：0/40分钟" in text
    assert "道路交通安全法律法规：" not in text  # finished courses are not listed
    assert "请在2027-08-27前完成学习和考试。" in text


def test_review_completed_and_not_applicable() -> None:
    done_at = datetime.fromisoformat(f"2027-08-01T10:00:00{CST}")
    completed = {
        **REVIEW,
        "status": "completed",
        "status_text": "已完成",
        "completion": {"studied_minutes": 180, "exam_score": 90, "completed_at": done_at},
    }
    assert "已于8月1日 10:00完成：学习180分钟，考试90分。" in format_review(
        Review.model_validate(completed)
    )
    na = {**REVIEW, "licence_class": "C1", "status": "not_applicable", "status_text": "无需审验"}
    text = format_review(Review.model_validate(na))
    assert "无需审验" in text and "分钟" not in text


def test_every_text_fits_even_with_long_fields() -> None:
    long = "很长的内容" * 200
    assert utf8_len(format_guide(Guide.model_validate({**GUIDE, "summary": long}))) <= 2048
    assert utf8_len(format_points(Licence.model_validate({**LICENCE, "status_text": long}))) <= 2048


def test_the_identity_cache_lapses_and_stays_bounded() -> None:
    now = [100.0]
    cache: TtlCache[str, str | None] = TtlCache(10.0, max_entries=2, clock=lambda: now[0])
    cache.put("a", None)  # "no unionid" is an answer worth keeping too
    assert cache.get("a") == (True, None)
    assert cache.get("b") == (False, None)
    now[0] += 10.0
    assert cache.get("a") == (False, None)
    for key in ("x", "y", "z"):
        cache.put(key, key.upper())
    assert cache.get("x") == (False, None) and cache.get("z") == (True, "Z")
    off: TtlCache[str, str] = TtlCache(0.0, clock=lambda: now[0])
    off.put("a", "A")
    assert off.get("a") == (False, None)
