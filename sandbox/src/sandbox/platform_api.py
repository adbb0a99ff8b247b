"""The platform APIs under `/cgi-bin/...`, with WeChat's semantics, limits and error codes.

Every call after the token endpoints carries `?access_token=`; answers are HTTP 200 JSON with
`errcode` (0 on success), as WeChat's are.
"""

from __future__ import annotations

import json
import re
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel

from sandbox import errcodes
from sandbox.errcodes import WechatError, ok
from sandbox.menus import validate_menu
from sandbox.public_urls import public_url_for
from sandbox.state import Account, MassSend, Media, MediaKind, SandboxState
from sandbox.wiring import SandboxDep
from wechat.demo_citizens import DemoCitizen

router = APIRouter(tags=["微信公众平台接口（模拟）"])

CUSTOM_MSGTYPES = frozenset(
    {
        "text",
        "image",
        "voice",
        "video",
        "music",
        "news",
        "mpnews",
        "mpnewsarticle",
        "msgmenu",
        "wxcard",
        "miniprogrampage",
    }
)
MASS_MSGTYPES = frozenset({"text", "mpnews", "voice", "image", "mpvideo", "wxcard"})
# Template ids are opaque strings of this alphabet on WeChat; the sandbox keeps no template library.
_TEMPLATE_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
_CLIENTMSGID_MAX = 64


# `async def`, as every dependency on the state: it runs on the event loop with the handlers.
async def counted_state(request: Request, state: SandboxDep) -> SandboxState:
    """The sandbox's state, counting the call (a dependency)."""
    state.api_calls[request.url.path] += 1
    return state


StateDep = Annotated[SandboxState, Depends(counted_state)]


async def calling_account(
    state: StateDep, access_token: Annotated[str | None, Query()] = None
) -> Account:
    """The account whose `access_token` the call carries, or WeChat's token error."""
    appid = state.tokens.appid_of(access_token)
    account = state.account_by_appid(appid)
    if account is None:
        raise WechatError(errcodes.INVALID_CREDENTIAL, "invalid credential")
    return account


CallerDep = Annotated[Account, Depends(calling_account)]


class Credentials(BaseModel):
    """What a token endpoint is called with: the grant type and the account's credentials."""

    grant_type: str | None = None
    appid: str | None = None
    secret: str | None = None

    def account(self, state: SandboxState, grant_type: str, wrong_secret: WechatError) -> Account:
        """The account named, once the grant type is `grant_type` and the secret is its own."""
        if self.grant_type != grant_type:
            raise WechatError(errcodes.INVALID_GRANT_TYPE, "invalid grant_type")
        if not self.appid:
            raise WechatError(errcodes.MISSING_APPID, "appid missing")
        account = state.account_by_appid(self.appid)
        if account is None:
            raise WechatError(errcodes.INVALID_APPID, "invalid appid")
        if not self.secret:
            raise WechatError(errcodes.MISSING_SECRET, "appsecret missing")
        # Each endpoint answers a wrong secret with its own code (40001 or 40125).
        if self.secret != account.app_secret:
            raise wrong_secret
        return account


CredentialsQuery = Annotated[Credentials, Depends()]


@router.get("/cgi-bin/token", summary="获取 access_token")
async def token(state: StateDep, credentials: CredentialsQuery) -> dict[str, Any]:
    """`/cgi-bin/token`: a new access token; the previous one lapses after the overlap."""
    wrong_secret = WechatError(
        errcodes.INVALID_CREDENTIAL, "invalid credential, appsecret is wrong or not this app's"
    )
    account = credentials.account(state, "client_credential", wrong_secret)
    access_token, expires_in = state.tokens.fetch(account.appid)
    return {"access_token": access_token, "expires_in": expires_in}


class StableTokenRequest(Credentials):
    """Body of `/cgi-bin/stable_token`."""

    force_refresh: bool = False


@router.post("/cgi-bin/stable_token", summary="获取稳定版 access_token")
async def stable_token(request: Request, state: StateDep) -> dict[str, Any]:
    """`/cgi-bin/stable_token`: the same token while valid; `force_refresh` is rationed daily."""
    try:
        body = StableTokenRequest.model_validate(await json_body(request))
    except ValueError as exc:
        raise WechatError(errcodes.DATA_FORMAT_ERROR, "data format error") from exc
    wrong_secret = WechatError(errcodes.INVALID_APPSECRET, "invalid appsecret")
    account = body.account(state, "client_credential", wrong_secret)
    access_token, expires_in = state.tokens.fetch_stable(
        account.appid, force_refresh=body.force_refresh
    )
    return {"access_token": access_token, "expires_in": expires_in}


@router.post("/cgi-bin/message/custom/send", summary="发送客服消息")
async def custom_send(request: Request, state: StateDep, account: CallerDep) -> dict[str, Any]:
    """Customer-service message: only within the reply window after the citizen's interaction."""
    data = await json_body(request)
    citizen = _recipient(state, account, data.get("touser"))
    msgtype, content = _message(data, CUSTOM_MSGTYPES)
    interaction = state.last_interaction(account, citizen)
    window = state.settings.custom_message_window_seconds
    if interaction is None or state.clock.now() - interaction.at > window:
        raise WechatError(
            errcodes.REPLY_WINDOW_PASSED,
            "response out of time limit or subscription is canceled",
        )
    if interaction.custom_sent >= state.settings.custom_messages_per_interaction:
        raise WechatError(errcodes.CUSTOM_SEND_COUNT_EXCEEDED, "out of response count limit")
    interaction.custom_sent += 1
    state.deliver(account, citizen, "custom", msgtype, content)
    return ok()


@router.post("/cgi-bin/message/template/send", summary="发送模板消息")
async def template_send(request: Request, state: StateDep, account: CallerDep) -> dict[str, Any]:
    """Template message: service accounts only; returns its `msgid`."""
    if account.kind != "service":
        raise WechatError(errcodes.API_UNAUTHORIZED, "api unauthorized")
    data = await json_body(request)
    citizen = _recipient(state, account, data.get("touser"))
    template_id = data.get("template_id")
    if not isinstance(template_id, str) or not _TEMPLATE_ID.fullmatch(template_id):
        raise WechatError(errcodes.INVALID_TEMPLATE_ID, "invalid template_id")
    fields = data.get("data")
    if not isinstance(fields, dict) or not all(
        isinstance(v, dict) and isinstance(v.get("value"), str) for v in fields.values()
    ):
        raise WechatError(errcodes.DATA_FORMAT_ERROR, "data format error: data")
    content = {"template_id": template_id, "data": fields}
    for optional in ("url", "miniprogram"):
        if optional in data:
            content[optional] = data[optional]
    msgid = state.next_msgid()
    state.deliver(account, citizen, "template", "template", content, msgid)
    return ok(msgid=msgid)


@router.post("/cgi-bin/message/mass/sendall", summary="群发消息（全部粉丝或某标签的粉丝）")
async def mass_sendall(request: Request, state: StateDep, account: CallerDep) -> dict[str, Any]:
    """Mass send to all followers or to those under one tag (`filter.tag_id`, see `tags`);
    quotas per account kind; `clientmsgid` makes it idempotent."""
    data = await json_body(request)
    msgtype, content = _message(data, MASS_MSGTYPES)
    audience = data.get("filter")
    if not isinstance(audience, dict) or not isinstance(audience.get("is_to_all"), bool):
        raise WechatError(errcodes.DATA_FORMAT_ERROR, "data format error: filter")
    tag_id = None if audience["is_to_all"] else audience.get("tag_id")
    if not audience["is_to_all"] and (
        not isinstance(tag_id, int) or tag_id not in state.tags.get(account.appid, {})
    ):
        raise WechatError(errcodes.INVALID_TAG_ID, "invalid tag_id")
    clientmsgid = data.get("clientmsgid")
    if clientmsgid is not None and (
        not isinstance(clientmsgid, str) or not 0 < len(clientmsgid) <= _CLIENTMSGID_MAX
    ):
        raise WechatError(errcodes.DATA_FORMAT_ERROR, "data format error: clientmsgid")
    quota = state.mass
    if clientmsgid is not None and (account.appid, clientmsgid) in quota.by_clientmsgid:
        original = quota.by_clientmsgid[(account.appid, clientmsgid)]
        raise WechatError(errcodes.CLIENTMSGID_EXISTS, "clientmsgid exist", msg_id=original)
    media = _mass_media(state, account, msgtype, content)
    if data.get("send_ignore_reprint", 0) not in (0, 1):
        raise WechatError(errcodes.DATA_FORMAT_ERROR, "data format error: send_ignore_reprint")
    recipients = _mass_recipients(state, account, tag_id)
    msg_id = state.next_msgid()
    if clientmsgid is not None:
        quota.by_clientmsgid[(account.appid, clientmsgid)] = msg_id
    if media is not None:
        content = _media_content(request, state, msg_id, media)
    state.mass_sends.append(
        MassSend(
            msg_id=msg_id,
            at=state.clock.now(),
            account=account.code,
            clientmsgid=clientmsgid,
            msgtype=msgtype,
            content=content,
            recipients=len(recipients),
        )
    )
    for citizen in recipients:
        state.deliver(account, citizen, "mass", msgtype, content, msg_id)
    # WeChat gives a msg_data_id (for statistics) only for articles.
    extra = {"msg_data_id": msg_id} if msgtype == "mpnews" else {}
    return ok(errmsg="send job submission success", msg_id=msg_id, **extra)


def _mass_media(
    state: SandboxState, account: Account, msgtype: str, content: dict[str, Any]
) -> Media | None:
    """The account's media a news or picture mass send names (40007 when it has none such)."""
    kinds: dict[str, tuple[MediaKind, ...]] = {"mpnews": ("news",), "image": ("image", "thumb")}
    if msgtype not in kinds:
        return None
    media = state.media_of(account, content.get("media_id"), *kinds[msgtype])
    if media is None:
        raise WechatError(errcodes.INVALID_MEDIA_ID, "invalid media_id")
    return media


def _media_content(
    request: Request, state: SandboxState, msg_id: int, media: Media
) -> dict[str, Any]:
    """What followers receive for a media mass send: the picture or the articles, with URLs."""
    if media.kind != "news":
        return {"media_id": media.media_id, "picurl": media.url}
    articles = [
        {
            **article,
            # The chat page shows news cards from these, as it does passive news replies.
            "description": article["digest"],
            "picurl": article["thumb_url"],
            "url": public_url_for(request, state, "article_page", msg_id=msg_id, index=index),
        }
        for index, article in enumerate(media.articles)
    ]
    return {"media_id": media.media_id, "articles": articles}


def _mass_recipients(
    state: SandboxState, account: Account, tag_id: int | None
) -> list[DemoCitizen]:
    """Who receives a mass send now (the followers under `tag_id` when given), counting it
    against the account's quota (45009 beyond)."""
    quota, settings, followers = state.mass, state.settings, state.followers(account)
    if tag_id is not None:
        followers = [c for c in followers if tag_id in state.tagged(account, c)]
    if account.kind == "subscription":
        today = (account.appid, state.clock.day())
        if quota.per_day[today] >= settings.subscription_mass_sends_per_day:
            raise WechatError(errcodes.QUOTA_EXCEEDED, "reach max api daily quota limit")
        quota.per_day[today] += 1
        return followers
    month = state.clock.month()
    limit = settings.service_mass_sends_per_follower_per_month
    # Followers past their monthly allowance are filtered out; with nobody left, it is refused.
    eligible = [c for c in followers if quota.per_follower[(account.appid, c.id, month)] < limit]
    if followers and not eligible:
        raise WechatError(errcodes.QUOTA_EXCEEDED, "reach max api monthly quota limit")
    for citizen in eligible:
        quota.per_follower[(account.appid, citizen.id, month)] += 1
    return eligible


@router.get("/cgi-bin/user/info", summary="获取用户基本信息（含 UnionID）")
async def user_info(
    state: StateDep,
    account: CallerDep,
    openid: str | None = None,
    lang: str = "zh_CN",  # WeChat's parameter, accepted and ignored
) -> dict[str, Any]:
    """A user of the account by openid: whether they follow it, since when, and their unionid.

    As on WeChat since 2021, no nickname or avatar. Someone who does not follow the account is
    `subscribe: 0` with the openid and unionid only (every sandbox account has the same owner,
    so every user has a unionid); an openid that is not this account's is 40003. `lang` only
    chose the language of the location names WeChat no longer returns, so it changes nothing.
    """
    citizen = state.citizen_by_openid(account, openid) if openid else None
    if citizen is None:
        raise WechatError(errcodes.INVALID_OPENID, "invalid openid")
    assert openid is not None
    followed_at = state.follows.get((account.appid, openid))
    if followed_at is None:
        return {"subscribe": 0, "openid": openid, "unionid": citizen.unionid}
    return {
        "subscribe": 1,
        "openid": openid,
        "language": "zh_CN",
        "subscribe_time": int(followed_at),
        "unionid": citizen.unionid,
        "remark": "",
        "groupid": 0,
        "tagid_list": sorted(state.tagged(account, citizen)),
        "subscribe_scene": "ADD_SCENE_SEARCH",
        "qr_scene": 0,
        "qr_scene_str": "",
    }


@router.post("/cgi-bin/menu/create", summary="创建自定义菜单")
async def menu_create(request: Request, state: StateDep, account: CallerDep) -> dict[str, Any]:
    """Validate and store the account's custom menu."""
    menu = validate_menu(await json_body(request), state.settings)
    state.menus[account.appid] = menu
    return ok()


@router.get("/cgi-bin/menu/get", summary="查询自定义菜单")
async def menu_get(state: StateDep, account: CallerDep) -> dict[str, Any]:
    """The account's custom menu, or 46003 when none was created."""
    menu = state.menus.get(account.appid)
    if menu is None:
        raise WechatError(errcodes.MENU_NOT_FOUND, "menu no exist")
    return ok(menu=menu)


async def json_body(request: Request) -> dict[str, Any]:
    raw = await request.body()
    if not raw.strip():
        raise WechatError(errcodes.EMPTY_POST_DATA, "empty post data")
    try:
        data = json.loads(raw)
    except ValueError as exc:
        raise WechatError(errcodes.DATA_FORMAT_ERROR, "data format error") from exc
    if not isinstance(data, dict):
        raise WechatError(errcodes.DATA_FORMAT_ERROR, "data format error")
    return data


def _recipient(state: SandboxState, account: Account, openid: Any) -> DemoCitizen:
    citizen = state.citizen_by_openid(account, openid) if isinstance(openid, str) else None
    if citizen is None:
        raise WechatError(errcodes.INVALID_OPENID, "invalid openid")
    if not state.is_following(account, citizen):
        raise WechatError(errcodes.REQUIRE_SUBSCRIBE, "require subscribe")
    return citizen


def _message(data: dict[str, Any], allowed: frozenset[str]) -> tuple[str, dict[str, Any]]:
    msgtype = data.get("msgtype")
    if msgtype not in allowed:
        raise WechatError(errcodes.INVALID_MESSAGE_TYPE, "invalid message type")
    content = data.get(msgtype)
    if not isinstance(content, dict) or not content:
        raise WechatError(errcodes.DATA_FORMAT_ERROR, f"data format error: {msgtype}")
    if msgtype == "text" and not str(content.get("content") or "").strip():
        raise WechatError(errcodes.DATA_FORMAT_ERROR, "data format error: empty text content")
    return msgtype, content
