"""Custom menu validation with WeChat's limits and error codes (the limits are settings whose
defaults are `wechat.menus`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sandbox import errcodes
from sandbox.errcodes import WechatError
from sandbox.settings import SandboxSettings
from wechat.menus import FIELDS_BY_TYPE


@dataclass(frozen=True)
class _Level:
    """The limits and error codes of one menu level (top-level buttons or sub-buttons)."""

    name_bytes: int
    name_code: int
    type_code: int
    key_code: int
    url_code: int
    label: str


def validate_menu(data: dict[str, Any], settings: SandboxSettings) -> dict[str, Any]:
    """Check a `menu/create` body; return the menu to store or raise WeChat's error."""
    top = _Level(
        settings.menu_name_max_bytes,
        errcodes.INVALID_BUTTON_NAME,
        errcodes.INVALID_BUTTON_TYPE,
        errcodes.INVALID_BUTTON_KEY,
        errcodes.INVALID_BUTTON_URL,
        "button",
    )
    sub = _Level(
        settings.menu_sub_name_max_bytes,
        errcodes.INVALID_SUB_BUTTON_NAME,
        errcodes.INVALID_SUB_BUTTON_TYPE,
        errcodes.INVALID_SUB_BUTTON_KEY,
        errcodes.INVALID_SUB_BUTTON_URL,
        "sub button",
    )
    buttons = data.get("button")
    if not isinstance(buttons, list) or not 1 <= len(buttons) <= settings.menu_max_buttons:
        raise WechatError(errcodes.INVALID_BUTTON_COUNT, "invalid button size")
    for button in buttons:
        _check_name(_as_dict(button), top)
        children = button.get("sub_button")
        if not children:
            _check_action(button, top, settings)
            continue
        if not isinstance(children, list) or len(children) > settings.menu_max_sub_buttons:
            raise WechatError(errcodes.INVALID_SUB_BUTTON_COUNT, "invalid sub button size")
        for child in children:
            if _as_dict(child).get("sub_button"):
                raise WechatError(errcodes.INVALID_SUB_MENU_LEVEL, "invalid sub button level")
            _check_name(child, sub)
            _check_action(child, sub, settings)
    return {"button": buttons}


def _as_dict(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise WechatError(errcodes.DATA_FORMAT_ERROR, "data format error")
    return value


def _byte_length(value: Any) -> int:
    return len(value.encode()) if isinstance(value, str) else 0


def _check_name(button: dict[str, Any], level: _Level) -> None:
    if not 1 <= _byte_length(button.get("name")) <= level.name_bytes:
        raise WechatError(level.name_code, f"invalid {level.label} name size")


def _check_action(button: dict[str, Any], level: _Level, settings: SandboxSettings) -> None:
    kind = button.get("type")
    if kind not in FIELDS_BY_TYPE:
        raise WechatError(level.type_code, f"invalid {level.label} type")
    for name in FIELDS_BY_TYPE[kind]:
        size = _byte_length(button.get(name))
        if name == "key" and not 1 <= size <= settings.menu_key_max_bytes:
            raise WechatError(level.key_code, f"invalid {level.label} key size")
        if name == "url" and not 1 <= size <= settings.menu_url_max_bytes:
            raise WechatError(level.url_code, f"invalid {level.label} url size")
        if name == "media_id" and size == 0:
            raise WechatError(errcodes.INVALID_MEDIA_ID, "invalid media_id")
        if size == 0:
            raise WechatError(errcodes.DATA_FORMAT_ERROR, f"data format error: {name} missing")
