"""WeChat custom-menu rules (`/cgi-bin/menu/create`), as a pure function naming every bad field.

The limits are `wechat.menus`. Field paths read like the JSON they point at: `button`,
`button[0].name`, `button[1].sub_button[2].key`.
"""

from __future__ import annotations

from typing import Any

from servicekit.chattext import utf8_len
from wechat.menus import (
    ACTION_FIELDS,
    BUTTON_TYPES,
    FIELDS_BY_TYPE,
    KEY_BYTES,
    MAX_BUTTONS,
    MAX_SUB_BUTTONS,
    SUB_NAME_BYTES,
    TOP_NAME_BYTES,
    URL_BYTES,
)

# A leaf button may carry nothing but its name and the fields of its type.
KNOWN_FIELDS = frozenset({"type", "name", "sub_button"} | ACTION_FIELDS)


class _Errors:
    def __init__(self) -> None:
        self.items: list[dict[str, str]] = []

    def add(self, field: str, message: str) -> None:
        self.items.append({"field": field, "message": message})


def menu_errors(*, menu: Any) -> list[dict[str, str]]:
    """Every way `menu` breaks WeChat's menu rules, as `{"field", "message"}`; empty when valid."""
    errors = _Errors()
    if not isinstance(menu, dict):
        errors.add("menu", '菜单须为 JSON 对象，形如 {"button": [...]}')
        return errors.items
    for field in menu:
        if field != "button":
            errors.add(field, "菜单只能包含 button 字段")
    buttons = menu.get("button")
    if not isinstance(buttons, list):
        errors.add("button", "button 须为一级菜单数组")
        return errors.items
    if not buttons:
        errors.add("button", "至少需要 1 个一级菜单")
    elif len(buttons) > MAX_BUTTONS:
        errors.add("button", f"最多 {MAX_BUTTONS} 个一级菜单")
    for i, button in enumerate(buttons):
        _check_button(errors, button, f"button[{i}]", top=True)
    return errors.items


def _check_button(errors: _Errors, button: Any, path: str, *, top: bool) -> None:
    if not isinstance(button, dict):
        errors.add(path, "菜单项须为 JSON 对象")
        return
    for field in button:
        if field not in KNOWN_FIELDS:
            errors.add(f"{path}.{field}", f"不支持的菜单字段 {field}")
    _check_name(errors, button.get("name"), f"{path}.name", top=top)
    if "sub_button" not in button:
        _check_leaf(errors, button, path)
    elif not top:
        errors.add(f"{path}.sub_button", "二级菜单不能再有子菜单")
    else:
        _check_parent(errors, button, path)


def _check_name(errors: _Errors, name: Any, path: str, *, top: bool) -> None:
    if not isinstance(name, str) or not name.strip():
        errors.add(path, "菜单名称不能为空")
        return
    limit, level = (TOP_NAME_BYTES, "一级") if top else (SUB_NAME_BYTES, "二级")
    if utf8_len(name) > limit:
        errors.add(path, f"{level}菜单名称不能超过 {limit} 字节（当前 {utf8_len(name)} 字节）")


def _check_parent(errors: _Errors, button: dict[str, Any], path: str) -> None:
    for field in ("type", *sorted(ACTION_FIELDS & button.keys())):
        if field in button:
            errors.add(f"{path}.{field}", f"含二级菜单的一级菜单不能设置 {field}")
    subs = button["sub_button"]
    if not isinstance(subs, list):
        errors.add(f"{path}.sub_button", "sub_button 须为二级菜单数组")
        return
    if not subs:
        errors.add(f"{path}.sub_button", "sub_button 至少需要 1 个二级菜单")
    elif len(subs) > MAX_SUB_BUTTONS:
        errors.add(f"{path}.sub_button", f"每个一级菜单最多 {MAX_SUB_BUTTONS} 个二级菜单")
    for j, sub in enumerate(subs):
        _check_button(errors, sub, f"{path}.sub_button[{j}]", top=False)


def _check_leaf(errors: _Errors, button: dict[str, Any], path: str) -> None:
    kind = button.get("type")
    if kind is None:
        errors.add(f"{path}.type", "请指定菜单类型，或用 sub_button 设置二级菜单")
        return
    if kind not in FIELDS_BY_TYPE:
        errors.add(f"{path}.type", f"不支持的菜单类型 {kind}，可用：{'、'.join(BUTTON_TYPES)}")
        return
    needed = FIELDS_BY_TYPE[kind]
    for field in needed:
        value = button.get(field)
        if not isinstance(value, str) or not value.strip():
            errors.add(f"{path}.{field}", f"{kind} 类型的菜单须填写 {field}")
    for field in sorted((ACTION_FIELDS - set(needed)) & button.keys()):
        errors.add(f"{path}.{field}", f"{kind} 类型的菜单不使用 {field}")
    key, url = button.get("key"), button.get("url")
    if "key" in needed and isinstance(key, str) and utf8_len(key) > KEY_BYTES:
        errors.add(f"{path}.key", f"key 不能超过 {KEY_BYTES} 字节")
    if "url" in needed and isinstance(url, str) and url.strip():
        if utf8_len(url) > URL_BYTES:
            errors.add(f"{path}.url", f"url 不能超过 {URL_BYTES} 字节")
        elif not url.startswith(("http://", "https://")):
            errors.add(f"{path}.url", "url 须以 http:// 或 https:// 开头")
