"""`/cgi-bin/menu/create` and `/cgi-bin/menu/get`: the reference's limits and error codes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from wechat.menus import FIELDS_BY_TYPE, MAX_SUB_BUTTONS

MENU = {
    "button": [
        {"type": "click", "name": "今日天气", "key": "WEATHER_TODAY"},
        {
            "name": "服务",
            "sub_button": [
                {"type": "view", "name": "预警信号", "url": "https://example.cn/warnings"},
                {"type": "location_select", "name": "发送位置", "key": "LOCATION"},
            ],
        },
    ]
}


def _create(client: TestClient, token: str, menu: Any) -> int:
    answer = client.post("/cgi-bin/menu/create", params={"access_token": token}, json=menu)
    return answer.json()["errcode"]


def _click(name: str = "按钮", key: str = "K") -> dict[str, str]:
    return {"type": "click", "name": name, "key": key}


def _with_sub(*subs: dict[str, Any], name: str = "更多") -> dict[str, Any]:
    return {"name": name, "sub_button": list(subs)}


def test_menu_round_trip(client: TestClient, token: Callable[[str], str]) -> None:
    access = token("dgtq")
    assert client.get("/cgi-bin/menu/get", params={"access_token": access}).json() == {
        "errcode": 46003,
        "errmsg": "menu no exist",
    }
    assert _create(client, access, MENU) == 0
    got = client.get("/cgi-bin/menu/get", params={"access_token": access}).json()
    assert got["errcode"] == 0 and got["menu"] == MENU
    # Menus are per account.
    other = client.get("/cgi-bin/menu/get", params={"access_token": token("dgjj")})
    assert other.json()["errcode"] == 46003


def test_limits_are_inclusive(client: TestClient, token: Callable[[str], str]) -> None:
    top_name = "天气预报" + "ab" + "cd"  # 12 + 4 = 16 bytes
    sub_name = "东" * 20  # 60 bytes
    menu = {
        "button": [
            _click(top_name, "k" * 128),
            _with_sub(*[_click(sub_name, "k") for _ in range(5)]),
            {"type": "view", "name": "网址", "url": "https://e.cn/" + "a" * (1024 - 13)},
        ]
    }
    assert _create(client, token("dgtq"), menu) == 0


@pytest.mark.parametrize(
    ("menu", "errcode"),
    [
        ({"button": []}, 40016),
        ({"button": [_click()] * 4}, 40016),
        ({}, 40016),
        ({"button": ["click"]}, 47001),
        ({"button": [_click("天气预报五天")]}, 40018),  # 18 bytes
        ({"button": [_click("")]}, 40018),
        ({"button": [{"type": "shake", "name": "摇一摇"}]}, 40017),
        ({"button": [_click(key="k" * 129)]}, 40019),
        ({"button": [_click(key="")]}, 40019),
        ({"button": [{"type": "view", "name": "网址", "url": "h" * 1025}]}, 40020),
        ({"button": [_with_sub(*[_click()] * 6)]}, 40023),
        ({"button": [_with_sub({**_click(), "sub_button": [_click()]})]}, 40022),
        ({"button": [_with_sub(_click("东" * 21))]}, 40025),
        ({"button": [_with_sub({"type": "nope", "name": "x"})]}, 40024),
        ({"button": [_with_sub(_click(key="k" * 129))]}, 40026),
        ({"button": [_with_sub({"type": "view", "name": "x", "url": ""})]}, 40027),
        ({"button": [{"type": "media_id", "name": "图文"}]}, 40007),
        ({"button": [{"type": "miniprogram", "name": "小程序", "url": "https://e.cn"}]}, 47001),
    ],
)
def test_menu_refusals(
    client: TestClient, token: Callable[[str], str], menu: Any, errcode: int
) -> None:
    access = token("dgtq")
    assert _create(client, access, menu) == errcode
    # A refused menu leaves none behind.
    got = client.get("/cgi-bin/menu/get", params={"access_token": access}).json()
    assert got["errcode"] == 46003


def test_every_button_type_of_the_shared_table_is_accepted(
    client: TestClient, token: Callable[[str], str]
) -> None:
    # The registry checks menus against the same table, so whatever it stores can be published.
    leaves = [
        {"type": kind, "name": kind[:5], **{field: "x" for field in fields}}
        for kind, fields in FIELDS_BY_TYPE.items()
    ]
    access = token("dgtq")
    for start in range(0, len(leaves), MAX_SUB_BUTTONS):
        menu = {"button": [_with_sub(*leaves[start : start + MAX_SUB_BUTTONS])]}
        assert _create(client, access, menu) == 0, menu
