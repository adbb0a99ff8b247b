"""Chat configuration of an account: the contract the gateway's WeChat edge reads."""

from typing import Annotated, Any

from fastapi import APIRouter, Body
from fastapi.responses import JSONResponse

from accounts.chat_config import (
    ChatConfigPublic,
    KeywordRules,
    WelcomeText,
    chat_config,
    set_keyword_rules,
    set_menu,
    set_welcome,
    stored_menu,
)
from accounts.chat_intents import IntentDescription, intent_catalogue
from accounts.staff import STAFF_NOTE, RegistryAdminDep
from servicekit.deps import SessionDep
from wechat.menus import BUTTON_TYPES

router = APIRouter(tags=["chat"])

CONTRACT = """\
网关的微信接入层按此配置回答公众号的聊天（只读、公开、不含个人信息）：

- **关注（subscribe）**：回复 `welcome_text`（空串则不回复）。
- **文字消息**：按 `position` 顺序逐条尝试 `keyword_rules`，第一条命中的规则作答；
  一条规则的 `patterns` 任意一个匹配即命中：`exact` 消息去掉首尾空白后与关键词完全相同，
  `contains` 消息包含关键词，`regex` 为 Python `re.search`。区分大小写。
- **菜单事件**：click、scancode_*、pic_*、location_select 按钮的 `key` 当作一条文字消息按同样的
  规则匹配（所以给每个 key 配一条 `exact` 规则）；view、miniprogram 等按钮由微信客户端直接打开。
- **回复**：`text` 回复 `reply_text`；`news` 回复 `articles`（1-8 篇）；`intent` 由
  `GET /v1/chat-intents` 中的意图 `<service>.<name>` 所属的服务回答，`params` 为规则固定的参数，
  其余参数按意图说明从消息中识别。
- `menu` 为微信 `/cgi-bin/menu/create` 的请求体，网关原样发布到微信平台。
"""

MENU_EXAMPLE = {
    "button": [
        {
            "name": "天气预报",
            "sub_button": [
                {"type": "click", "name": "今日天气", "key": "WEATHER_TODAY"},
                {"type": "click", "name": "五天预报", "key": "WEATHER_FORECAST"},
            ],
        },
        {"type": "view", "name": "东莞政府网", "url": "https://www.dg.gov.cn/"},
    ]
}


@router.get(
    "/v1/accounts/{code}/chat-config",
    summary="公众号聊天配置（网关读取）",
    description=CONTRACT,
)
def get_chat_config(code: str, session: SessionDep) -> ChatConfigPublic:
    """Menu, welcome text and keyword rules of an account."""
    return chat_config(session=session, code=code)


@router.get(
    "/v1/accounts/{code}/menu",
    summary="公众号自定义菜单",
    description="原样返回保存的微信菜单 JSON（与写入时相同）；未配置时 404。",
    responses={200: {"content": {"application/json": {"example": MENU_EXAMPLE}}}},
)
def get_menu(code: str, session: SessionDep) -> JSONResponse:
    """The stored WeChat menu, unchanged."""
    return JSONResponse(stored_menu(session=session, code=code))


@router.put(
    "/v1/accounts/{code}/menu",
    summary="设置公众号自定义菜单",
    description=(
        '请求体为微信 `/cgi-bin/menu/create` 的菜单 JSON `{"button": [...]}`，按微信的限制校验：'
        "1-3 个一级菜单，有二级菜单时 1-5 个；一级菜单名称不超过 16 字节、"
        "二级不超过 60 字节（UTF-8，一个汉字 3 字节）；"
        "key 不超过 128 字节，url 不超过 1024 字节；类型 "
        + "、".join(BUTTON_TYPES)
        + "，click/scancode_*/pic_*/location_select 须有 key，view 须有 url，miniprogram 须有 "
        "url、appid、pagepath，media_id/view_limited 须有 media_id，article_id/"
        "article_view_limited 须有 article_id；含 sub_button 的一级菜单不设 type。"
        "不合规时 422，`errors[].field` 指出字段，如 `button`、`button[0].name`。"
        "保存后原样返回。" + STAFF_NOTE
    ),
    responses={200: {"content": {"application/json": {"example": MENU_EXAMPLE}}}},
)
def put_menu(
    code: str,
    session: SessionDep,
    actor: RegistryAdminDep,
    menu: Annotated[dict[str, Any], Body(examples=[MENU_EXAMPLE])],
) -> JSONResponse:
    """Validate and store an account's WeChat menu."""
    return JSONResponse(set_menu(session=session, code=code, menu=menu, actor=actor))


@router.put(
    "/v1/accounts/{code}/keyword-rules",
    summary="设置公众号关键词规则",
    description=(
        '以 `{"rules": [...]}` 整体替换有序的关键词规则（空数组即清空）。校验：match 为 exact、'
        "contains 或 regex；patterns 非空，正则须能编译；text 须有 reply_text（最多 2000 字）；"
        "news 须有 1-8 篇 articles {title, description?, url, picurl?}；"
        "intent 须为 `GET /v1/chat-intents` 中的意图并给出必填参数。"
        "不合规时 422，`errors[].field` 指出字段，如 `rules[1].patterns[0]`。" + STAFF_NOTE
    ),
    openapi_extra={
        "requestBody": {
            "content": {
                "application/json": {"schema": {"$ref": "#/components/schemas/KeywordRules"}}
            }
        }
    },
)
def put_keyword_rules(
    code: str,
    session: SessionDep,
    actor: RegistryAdminDep,
    body: Annotated[dict[str, Any], Body()],
) -> KeywordRules:
    """Replace an account's keyword rules."""
    return set_keyword_rules(session=session, code=code, body=body, actor=actor)


@router.put(
    "/v1/accounts/{code}/welcome",
    summary="设置关注欢迎语",
    description="新粉丝关注时自动回复的文字（最多 600 字，空串表示不回复）。" + STAFF_NOTE,
)
def put_welcome(
    code: str, body: WelcomeText, session: SessionDep, actor: RegistryAdminDep
) -> WelcomeText:
    """Set an account's welcome text."""
    text = set_welcome(session=session, code=code, welcome_text=body.welcome_text, actor=actor)
    return WelcomeText(welcome_text=text)


@router.get(
    "/v1/chat-intents",
    summary="聊天意图目录",
    description=(
        "关键词规则 `reply_type=intent` 可用的意图及其参数：意图 `<service>.<name>` "
        "由 service 服务回答（网关按规则转给它）。"
    ),
)
def list_chat_intents() -> list[IntentDescription]:
    """The catalogue of chat intents."""
    return intent_catalogue()
