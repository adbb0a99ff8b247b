"""`/sandbox/...`: the simulation's own JSON API, for tests, demos and the chat page.

Not part of WeChat: it shows and drives the simulated world (citizens, follows, interactions,
inboxes, the clock) and exposes hooks and counters that tests assert on. Errors here are
problem+json like every other part's (DESIGN §5).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import asdict
from datetime import datetime
from typing import Annotated, TypeVar

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from sandbox import callbacks
from sandbox.conversation import ChatEntry
from sandbox.state import Account, DeliveryKind, InboxMessage, MassSend, SandboxState
from sandbox.wiring import SandboxDep
from servicekit.deps import Page, PageDep, PageParams
from servicekit.errors import Conflict, NotFound
from wechat.demo_citizens import DemoCitizen

router = APIRouter(prefix="/sandbox", tags=["模拟平台（测试与演示）"])
T = TypeVar("T")
Out = TypeVar("Out", bound=BaseModel)
Sent = TypeVar("Sent", InboxMessage, MassSend)


class AccountOut(BaseModel):
    """An account of the simulated platform."""

    code: str
    appid: str
    original_id: str = Field(description="原始 ID（gh_ 开头），回调消息的 ToUserName")
    name: str
    kind: str = Field(description="subscription 订阅号 | service 服务号")
    mode: str = Field(description="消息加解密方式：plain 明文 | compatible 兼容 | safe 安全")
    followers: int
    hints: list[str] = Field(description="聊天页面建议市民试着发送的文字")


class CitizenOut(BaseModel):
    """A simulated citizen with their ids and follows."""

    id: str
    name: str
    town: str = Field(description="所在镇街代码")
    unionid: str
    openids: dict[str, str] = Field(description="每个公众号（代码）下的 openid")
    following: list[str] = Field(description="已关注的公众号代码")


class InboxItem(BaseModel):
    """A message an account sent the citizen."""

    id: int
    at: datetime
    account: str
    openid: str
    kind: DeliveryKind = Field(description="custom 客服消息 | template 模板消息 | mass 群发")
    msgtype: str
    content: dict
    msgid: int | None


class MassSendOut(BaseModel):
    """A mass send the platform accepted."""

    msg_id: int
    at: datetime
    account: str
    clientmsgid: str | None
    msgtype: str = Field(description="text、image、mpnews 等")
    content: dict = Field(
        description="所发内容；图片与图文已解析：image 含 picurl，mpnews 含 articles"
        "（title、digest、content、picurl、url 等）"
    )
    recipients: int = Field(description="收到的粉丝数")


class FollowOut(BaseModel):
    """Whether a citizen follows an account."""

    citizen: str
    account: str
    openid: str
    following: bool


class InteractionIn(BaseModel):
    """A citizen's message, menu click or other interaction with an account."""

    citizen: str
    account: str
    kind: str = Field(default="text", description="text、click、location 等")


class InteractionOut(BaseModel):
    """A recorded interaction: it opens the customer-service reply window."""

    citizen: str
    account: str
    openid: str
    kind: str
    at: datetime


class StatsOut(BaseModel):
    """Counters for tests: token fetches per appid, calls per API path, refusals per errcode."""

    token_fetches: dict[str, int]
    stable_token_fetches: dict[str, int]
    api_calls: dict[str, int]
    errors: dict[str, int]


class TokensChanged(BaseModel):
    """How many tokens of the appid a hook changed."""

    appid: str
    tokens: int


class ClockOut(BaseModel):
    """The sandbox's time and how far it was moved ahead of the real one."""

    now: datetime
    offset_seconds: float


class ClockAdvance(BaseModel):
    """Move the sandbox's time forward."""

    advance_seconds: float = Field(ge=0)


def account_or_404(state: SandboxState, code: str) -> Account:
    """The account with this code, or 404."""
    account = state.accounts.get(code)
    if account is None:
        raise NotFound(f"模拟平台上没有公众号 {code}。")
    return account


def citizen_or_404(state: SandboxState, citizen_id: str) -> DemoCitizen:
    """The citizen with this id, or 404."""
    citizen = state.citizens.get(citizen_id)
    if citizen is None:
        raise NotFound(f"没有模拟市民 {citizen_id}。")
    return citizen


def _appid(state: SandboxState, appid: str) -> str:
    if state.account_by_appid(appid) is None:
        raise NotFound(f"模拟平台上没有 appid 为 {appid} 的公众号。")
    return appid


def _follow_out(state: SandboxState, account: Account, citizen: DemoCitizen) -> FollowOut:
    return FollowOut(
        citizen=citizen.id,
        account=account.code,
        openid=citizen.openid(account.appid),
        following=state.is_following(account, citizen),
    )


def stamped(
    model: type[Out], record: ChatEntry | InboxMessage | MassSend, state: SandboxState
) -> Out:
    """`record` as the API model of the same fields, its `at` in China's time."""
    return model.model_validate({**asdict(record), "at": state.clock.local(record.at)})


def page_of(items: Sequence[T], page: PageParams, shown: Callable[[T], Out]) -> Page[Out]:
    """The page of `items` that `page` asks for, each as `shown` maps it, and their total."""
    chosen = items[page.offset : page.offset + page.limit]
    return Page(items=[shown(item) for item in chosen], total=len(items))


def _sent_by(state: SandboxState, sent: list[Sent], account: str | None) -> list[Sent]:
    """What the account with code `account` sent among `sent` (all of it without a code)."""
    if account is None:
        return sent
    code = account_or_404(state, account).code
    return [m for m in sent if m.account == code]


def _account_out(state: SandboxState, account: Account) -> AccountOut:
    # Only these of its fields: its secret, token and AES key stay inside the sandbox.
    return AccountOut(
        **account.model_dump(include={"code", "appid", "name", "kind", "mode"}),
        original_id=account.original_id,
        followers=len(state.followers(account)),
        hints=state.settings.profile(account.code).hints,
    )


def _citizen_out(state: SandboxState, citizen: DemoCitizen) -> CitizenOut:
    accounts = state.accounts.values()
    return CitizenOut(
        id=citizen.id,
        name=citizen.name,
        town=citizen.town,
        unionid=citizen.unionid,
        openids={a.code: citizen.openid(a.appid) for a in accounts},
        following=[a.code for a in accounts if state.is_following(a, citizen)],
    )


@router.get("/accounts", summary="模拟平台上的公众号")
async def list_accounts(state: SandboxDep, page: PageDep) -> Page[AccountOut]:
    """The accounts the sandbox plays WeChat for."""
    return page_of(list(state.accounts.values()), page, lambda a: _account_out(state, a))


@router.get("/citizens", summary="模拟市民")
async def list_citizens(state: SandboxDep, page: PageDep) -> Page[CitizenOut]:
    """The simulated citizens with their unionid, openid per account and follows."""
    return page_of(list(state.citizens.values()), page, lambda c: _citizen_out(state, c))


@router.get("/citizens/{citizen_id}/inbox", summary="市民收到的消息")
async def inbox(
    citizen_id: str,
    state: SandboxDep,
    page: PageDep,
    account: Annotated[str | None, Query(description="只看这个公众号（代码）发来的")] = None,
) -> Page[InboxItem]:
    """What the accounts sent this citizen, oldest first."""
    messages = _sent_by(state, state.inboxes[citizen_or_404(state, citizen_id).id], account)
    return page_of(messages, page, lambda m: stamped(InboxItem, m, state))


@router.get("/mass-sends", summary="已受理的群发")
async def mass_sends(
    state: SandboxDep,
    page: PageDep,
    account: Annotated[str | None, Query(description="只看这个公众号（代码）的")] = None,
) -> Page[MassSendOut]:
    """Every mass send the platform accepted, oldest first (a refused one is not recorded)."""
    sends = _sent_by(state, state.mass_sends, account)
    return page_of(sends, page, lambda m: stamped(MassSendOut, m, state))


@router.put("/citizens/{citizen_id}/follows/{account_code}", summary="关注公众号")
async def follow(citizen_id: str, account_code: str, state: SandboxDep) -> FollowOut:
    """The citizen follows the account (an interaction too, as on WeChat).

    A new follow sends the subscribe event to the account's server and records its welcome
    reply in the conversation; following again changes nothing.
    """
    account, citizen = account_or_404(state, account_code), citizen_or_404(state, citizen_id)
    if not state.is_following(account, citizen):
        state.follow(account, citizen)
        state.record(account, citizen, "to_account", "subscribe", "event", {"event": "subscribe"})
        callback = callbacks.event(
            account, citizen.openid(account.appid), "subscribe", create_time=int(time.time())
        )
        await callbacks.converse(state, account, citizen, callback)
    return _follow_out(state, account, citizen)


@router.delete("/citizens/{citizen_id}/follows/{account_code}", summary="取消关注公众号")
async def unfollow(citizen_id: str, account_code: str, state: SandboxDep) -> FollowOut:
    """The citizen stops following the account; the unsubscribe event goes to its server."""
    account, citizen = account_or_404(state, account_code), citizen_or_404(state, citizen_id)
    if state.is_following(account, citizen):
        state.unfollow(account, citizen)
        state.record(
            account, citizen, "to_account", "unsubscribe", "event", {"event": "unsubscribe"}
        )
        callback = callbacks.event(
            account, citizen.openid(account.appid), "unsubscribe", create_time=int(time.time())
        )
        # WeChat shows nothing of the answer to someone who just left.
        await callbacks.converse(state, account, citizen, callback, shows_answer=False)
    return _follow_out(state, account, citizen)


@router.post("/interactions", status_code=201, summary="记录市民与公众号的互动")
async def interact(body: InteractionIn, state: SandboxDep) -> InteractionOut:
    """Record that the citizen messaged or clicked the account now (opens the reply window)."""
    account, citizen = account_or_404(state, body.account), citizen_or_404(state, body.citizen)
    if not state.is_following(account, citizen):
        raise Conflict(f"{citizen.name} 尚未关注 {account.name}，无法与其互动。")
    interaction = state.interact(account, citizen, body.kind)
    return InteractionOut(
        citizen=citizen.id,
        account=account.code,
        openid=citizen.openid(account.appid),
        kind=interaction.kind,
        at=state.clock.local(interaction.at),
    )


@router.get("/stats", summary="计数器")
async def stats(state: SandboxDep) -> StatsOut:
    """Token fetches per appid, calls per platform API path and refusals per errcode."""
    return StatsOut(
        token_fetches=dict(state.tokens.fetches),
        stable_token_fetches=dict(state.tokens.stable_fetches),
        api_calls=dict(state.api_calls),
        errors={str(code): n for code, n in state.errors.items()},
    )


@router.post("/tokens/{appid}/expire", summary="让公众号的 access_token 立即过期")
async def expire_tokens(appid: str, state: SandboxDep) -> TokensChanged:
    """Every token of the appid expires now: the next call with one gets 42001."""
    return TokensChanged(appid=appid, tokens=state.tokens.expire(_appid(state, appid)))


@router.post("/tokens/{appid}/invalidate", summary="让公众号的 access_token 立即失效")
async def invalidate_tokens(appid: str, state: SandboxDep) -> TokensChanged:
    """Every token of the appid becomes unknown: the next call with one gets 40001."""
    return TokensChanged(appid=appid, tokens=state.tokens.invalidate(_appid(state, appid)))


def _clock_out(state: SandboxState) -> ClockOut:
    return ClockOut(now=state.clock.local(), offset_seconds=state.clock.offset)


@router.get("/clock", summary="模拟平台的时间")
async def clock(state: SandboxDep) -> ClockOut:
    """The sandbox's current time."""
    return _clock_out(state)


@router.post("/clock", summary="让模拟平台的时间前进")
async def advance_clock(body: ClockAdvance, state: SandboxDep) -> ClockOut:
    """Move the sandbox's time forward (reply windows, token and code expiry, daily quotas)."""
    state.clock.advance(body.advance_seconds)
    return _clock_out(state)
