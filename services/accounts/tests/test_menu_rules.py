from typing import Any

import pytest

from accounts.menu_rules import BUTTON_TYPES, menu_errors
from servicekit.chattext import utf8_len


def click(name: str = "今日天气", key: str = "K") -> dict[str, Any]:
    return {"type": "click", "name": name, "key": key}


def parent(name: str = "天气", *subs: dict[str, Any]) -> dict[str, Any]:
    return {"name": name, "sub_button": list(subs) or [click()]}


VALID: list[tuple[str, dict[str, Any]]] = [
    ("one click", {"button": [click()]}),
    ("three top-level", {"button": [click(), click(), click()]}),
    ("five sub-buttons", {"button": [parent("天气", *[click() for _ in range(5)])]}),
    ("16-byte top name: 5 Chinese + 1 ASCII", {"button": [click("天气预报看A")]}),
    ("16 ASCII bytes", {"button": [click("A" * 16)]}),
    ("60-byte sub name", {"button": [parent("天气", click("天" * 20))]}),
    ("128-byte key", {"button": [click(key="K" * 128)]}),
    ("view", {"button": [{"type": "view", "name": "官网", "url": "https://www.dg.gov.cn/"}]}),
    (
        "1024-byte url",
        {"button": [{"type": "view", "name": "官网", "url": "https://a.cn/" + "x" * 1011}]},
    ),
    (
        "miniprogram",
        {
            "button": [
                {
                    "type": "miniprogram",
                    "name": "小程序",
                    "url": "https://www.dg.gov.cn/",
                    "appid": "wx286b93c14bbf93aa",
                    "pagepath": "pages/lunar/index",
                }
            ]
        },
    ),
    ("media_id", {"button": [{"type": "media_id", "name": "图片", "media_id": "MEDIA"}]}),
    ("view_limited", {"button": [{"type": "view_limited", "name": "图文", "media_id": "M"}]}),
    ("article_id", {"button": [{"type": "article_id", "name": "文章", "article_id": "A"}]}),
    *[
        (t, {"button": [{"type": t, "name": "扫码", "key": "K"}]})
        for t in (
            "scancode_push",
            "scancode_waitmsg",
            "pic_sysphoto",
            "pic_photo_or_album",
            "pic_weixin",
            "location_select",
        )
    ],
]


@pytest.mark.parametrize(("case", "menu"), VALID, ids=[case for case, _ in VALID])
def test_valid_menus(case: str, menu: dict[str, Any]) -> None:
    assert menu_errors(menu=menu) == []


INVALID: list[tuple[str, Any, str, str]] = [
    ("4 top-level buttons", {"button": [click()] * 4}, "button", "最多 3 个一级菜单"),
    ("no button", {"button": []}, "button", "至少需要 1 个一级菜单"),
    ("button not a list", {"button": {}}, "button", "button 须为一级菜单数组"),
    ("missing button", {}, "button", "button 须为一级菜单数组"),
    ("menu not an object", [], "menu", "菜单须为 JSON 对象"),
    ("extra top field", {"button": [click()], "matchrule": {}}, "matchrule", "只能包含 button"),
    (
        "6 Chinese characters = 18 bytes",
        {"button": [click("天气预报查询")]},
        "button[0].name",
        "一级菜单名称不能超过 16 字节",
    ),
    ("17 ASCII bytes", {"button": [click("A" * 17)]}, "button[0].name", "不能超过 16 字节"),
    (
        "61-byte sub name",
        {"button": [parent("天气", click("天" * 20 + "A"))]},
        "button[0].sub_button[0].name",
        "二级菜单名称不能超过 60 字节",
    ),
    ("empty name", {"button": [click("  ")]}, "button[0].name", "菜单名称不能为空"),
    ("missing name", {"button": [{"type": "click", "key": "K"}]}, "button[0].name", "不能为空"),
    (
        "6 sub-buttons",
        {"button": [click(), parent("天气", *[click() for _ in range(6)])]},
        "button[1].sub_button",
        "最多 5 个二级菜单",
    ),
    (
        "empty sub_button",
        {"button": [{"name": "天气", "sub_button": []}]},
        "button[0].sub_button",
        "至少需要 1 个二级菜单",
    ),
    (
        "parent with a type",
        {"button": [{"type": "click", "key": "K", "name": "天气", "sub_button": [click()]}]},
        "button[0].type",
        "含二级菜单的一级菜单不能设置 type",
    ),
    (
        "nested sub_button",
        {"button": [parent("天气", {"name": "深", "sub_button": [click()]})]},
        "button[0].sub_button[0].sub_button",
        "二级菜单不能再有子菜单",
    ),
    ("no type", {"button": [{"name": "天气"}]}, "button[0].type", "请指定菜单类型"),
    (
        "unknown type",
        {"button": [{"type": "voice", "name": "天气", "key": "K"}]},
        "button[0].type",
        "不支持的菜单类型 voice",
    ),
    (
        "click without key",
        {"button": [{"type": "click", "name": "天气"}]},
        "button[0].key",
        "click 类型的菜单须填写 key",
    ),
    (
        "location_select without key",
        {"button": [{"type": "location_select", "name": "位置"}]},
        "button[0].key",
        "须填写 key",
    ),
    ("129-byte key", {"button": [click(key="K" * 129)]}, "button[0].key", "不能超过 128 字节"),
    (
        "view without url",
        {"button": [{"type": "view", "name": "官网"}]},
        "button[0].url",
        "view 类型的菜单须填写 url",
    ),
    (
        "1025-byte url",
        {"button": [{"type": "view", "name": "官网", "url": "https://a.cn/" + "x" * 1012}]},
        "button[0].url",
        "不能超过 1024 字节",
    ),
    (
        "url without scheme",
        {"button": [{"type": "view", "name": "官网", "url": "www.dg.gov.cn"}]},
        "button[0].url",
        "http:// 或 https://",
    ),
    (
        "miniprogram without pagepath",
        {
            "button": [
                {"type": "miniprogram", "name": "小程序", "url": "https://a.cn/", "appid": "wx1"}
            ]
        },
        "button[0].pagepath",
        "miniprogram 类型的菜单须填写 pagepath",
    ),
    (
        "media_id without media_id",
        {"button": [{"type": "media_id", "name": "图片"}]},
        "button[0].media_id",
        "须填写 media_id",
    ),
    (
        "view_limited without media_id",
        {"button": [{"type": "view_limited", "name": "图文"}]},
        "button[0].media_id",
        "须填写 media_id",
    ),
    (
        "click with a url",
        {"button": [{"type": "click", "name": "天气", "key": "K", "url": "https://a.cn/"}]},
        "button[0].url",
        "click 类型的菜单不使用 url",
    ),
    (
        "unknown field",
        {"button": [{"type": "click", "name": "天气", "key": "K", "colour": "red"}]},
        "button[0].colour",
        "不支持的菜单字段",
    ),
    ("button not an object", {"button": ["天气"]}, "button[0]", "菜单项须为 JSON 对象"),
    (
        "key not a string",
        {"button": [{"type": "click", "name": "天气", "key": 7}]},
        "button[0].key",
        "须填写 key",
    ),
]


@pytest.mark.parametrize(
    ("case", "menu", "field", "message"), INVALID, ids=[case for case, *_ in INVALID]
)
def test_invalid_menus_name_the_field(case: str, menu: Any, field: str, message: str) -> None:
    errors = menu_errors(menu=menu)
    assert field in [e["field"] for e in errors], errors
    assert any(e["field"] == field and message in e["message"] for e in errors), errors


def test_every_problem_is_reported_at_once() -> None:
    menu = {"button": [click("天气预报查询"), *[click() for _ in range(3)], {"name": "x"}]}
    fields = [e["field"] for e in menu_errors(menu=menu)]
    assert fields == ["button", "button[0].name", "button[4].type"]


def test_every_wechat_type_is_allowed() -> None:
    assert {"click", "view", "miniprogram", "media_id", "view_limited"} <= set(BUTTON_TYPES)
    assert {"scancode_push", "scancode_waitmsg", "location_select"} <= set(BUTTON_TYPES)
    assert {"pic_sysphoto", "pic_photo_or_album", "pic_weixin"} <= set(BUTTON_TYPES)


@pytest.mark.parametrize(("text", "size"), [("A", 1), ("天", 3), ("天气预报", 12), ("", 0)])
def test_names_are_measured_in_utf8_bytes(text: str, size: int) -> None:
    assert utf8_len(text) == size
