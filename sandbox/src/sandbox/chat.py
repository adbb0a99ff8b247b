"""`/sandbox/...` for chatting as a citizen: send to an account, read the conversation, the menu.

Sending posts the message to the account's server (the gateway) as WeChat would and answers with
the new lines of the conversation, the reply (or WeChat's apology) included. The chat page at
`/chat` is built on these endpoints.
"""

from __future__ import annotations

import time
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from sandbox import callbacks
from sandbox.callbacks import Callback
from sandbox.conversation import Direction, EntryKind
from sandbox.introspection import account_or_404, citizen_or_404, page_of, stamped
from sandbox.state import Account, SandboxState
from sandbox.wiring import SandboxDep
from servicekit.deps import Page, PageDep
from servicekit.errors import Conflict
from wechat.demo_citizens import DemoCitizen

router = APIRouter(prefix="/sandbox", tags=["模拟平台（测试与演示）"])


class ChatEntryOut(BaseModel):
    """One line of a conversation."""

    id: int = Field(description="递增编号，轮询时作为 after 参数")
    at: datetime
    direction: Direction = Field(
        description="to_account 市民发给公众号 | to_citizen 公众号发给市民"
    )
    kind: EntryKind = Field(
        description="市民：text、location、click、view、subscribe、unsubscribe；"
        "公众号：reply 被动回复、failure 无法提供服务、custom 客服消息、"
        "template 模板消息、mass 群发"
    )
    msgtype: str = Field(description="text、news、location、event、template、notice 等")
    content: dict[str, Any]
    summary: str = Field(description="一行文字概要")


class TextIn(BaseModel):
    """A text message typed by the citizen."""

    kind: Literal["text"] = "text"
    content: str = Field(min_length=1, max_length=2048)


class LocationIn(BaseModel):
    """A location shared by the citizen."""

    kind: Literal["location"]
    latitude: float = Field(ge=-90, le=90)
    longitude: float = Field(ge=-180, le=180)
    scale: int = Field(default=15, ge=1, le=20, description="地图缩放级别")
    label: str = Field(default="", max_length=200, description="地点名称")


class ClickIn(BaseModel):
    """A click on a menu button of type click."""

    kind: Literal["click"]
    key: str = Field(min_length=1, max_length=128)


class ViewIn(BaseModel):
    """A click on a menu button that opens a web page."""

    kind: Literal["view"]
    url: str = Field(min_length=1, max_length=1024)


SendIn = Annotated[TextIn | LocationIn | ClickIn | ViewIn, Field(discriminator="kind")]


class SentOut(BaseModel):
    """The new lines of the conversation: the citizen's own, then the reply or the apology."""

    items: list[ChatEntryOut]


class MenuOut(BaseModel):
    """The account's custom menu as published through `/cgi-bin/menu/create`."""

    account: str
    published: bool
    button: list[dict[str, Any]] = Field(description="与 menu/create 相同的结构；未发布时为空")


def _button_name(state: SandboxState, account: Account, field: str, value: str) -> str:
    """The name of the published button whose `field` is `value` (what the chat shows)."""
    for button in state.menus.get(account.appid, {}).get("button", []):
        for candidate in [button, *button.get("sub_button", [])]:
            if candidate.get(field) == value:
                return str(candidate.get("name", value))
    return value


def _callback(
    state: SandboxState, account: Account, citizen: DemoCitizen, body: SendIn
) -> tuple[Callback, EntryKind, str, dict[str, Any]]:
    openid, now = citizen.openid(account.appid), int(time.time())
    match body:
        case TextIn(content=content):
            callback = callbacks.text_message(account, openid, content, create_time=now)
            return callback, "text", "text", {"content": content}
        case LocationIn():
            place = body.model_dump(exclude={"kind"})
            callback = callbacks.location_message(account, openid, create_time=now, **place)
            return callback, "location", "location", place
        case ClickIn(key=key):
            name = _button_name(state, account, "key", key)
            callback = callbacks.event(account, openid, "CLICK", key=key, create_time=now)
            return callback, "click", "event", {"event": "CLICK", "key": key, "name": name}
        case ViewIn(url=url):
            name = _button_name(state, account, "url", url)
            callback = callbacks.event(account, openid, "VIEW", key=url, create_time=now)
            return callback, "view", "event", {"event": "VIEW", "url": url, "name": name}
    raise AssertionError(body)


@router.post(
    "/citizens/{citizen_id}/conversations/{account_code}/messages",
    status_code=201,
    summary="以市民身份给公众号发消息",
)
async def send(citizen_id: str, account_code: str, body: SendIn, state: SandboxDep) -> SentOut:
    """Send text, a location or a menu click to the account's server and wait for its reply.

    The gateway gets WeChat's XML (signed, encrypted per the account's mode) with WeChat's
    5-second deadline and 3 attempts; if none answers validly, the reply is WeChat's apology.
    """
    account, citizen = account_or_404(state, account_code), citizen_or_404(state, citizen_id)
    if not state.is_following(account, citizen):
        raise Conflict(f"{citizen.name} 尚未关注 {account.name}，请先关注再发消息。")
    callback, kind, msgtype, content = _callback(state, account, citizen, body)
    own = state.record(account, citizen, "to_account", kind, msgtype, content)
    # Messages and clicks open the customer-service window, as on WeChat.
    state.interact(account, citizen, kind)
    answers = await callbacks.converse(state, account, citizen, callback)
    return SentOut(items=[stamped(ChatEntryOut, e, state) for e in (own, *answers)])


@router.get("/citizens/{citizen_id}/conversations/{account_code}", summary="市民与公众号的对话")
async def conversation(
    citizen_id: str,
    account_code: str,
    state: SandboxDep,
    page: PageDep,
    after: Annotated[int, Query(ge=0, description="只要编号大于它的（轮询新消息）")] = 0,
) -> Page[ChatEntryOut]:
    """The conversation oldest first: messages, clicks, follows, replies and pushed messages."""
    account, citizen = account_or_404(state, account_code), citizen_or_404(state, citizen_id)
    entries = [e for e in state.conversation(account, citizen) if e.id > after]
    return page_of(entries, page, lambda e: stamped(ChatEntryOut, e, state))


@router.get("/accounts/{account_code}/menu", summary="公众号当前的自定义菜单")
async def menu(account_code: str, state: SandboxDep) -> MenuOut:
    """The menu published through `/cgi-bin/menu/create`, or an empty one."""
    account = account_or_404(state, account_code)
    published = state.menus.get(account.appid)
    return MenuOut(
        account=account.code,
        published=published is not None,
        button=(published or {}).get("button", []),
    )
