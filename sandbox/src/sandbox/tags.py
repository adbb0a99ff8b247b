"""User tags: `/cgi-bin/tags/get`, `/cgi-bin/tags/create`, `/cgi-bin/tags/members/batchtagging`.

An account groups its followers under tags (up to 100 per account, 20 per user, names of at most
30 bytes) and may mass-send to one tag (`message/mass/sendall` with `filter.tag_id`), which
subscription accounts may do, unlike sending to a list of openids. With
`SANDBOX_TAG_FOLLOWERS_BY_TOWN` (the default) the sandbox plays the operators who tag each
follower with their town's code as they follow (`SandboxState.follow`).

Error codes: 45157 a name in use, 45158 a name too long, 45056 too many tags, 45159 an unknown
tag id, 40032 an empty openid list or one of more than 50, 40003 an openid not the account's,
45059 a user already under 20 tags.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from sandbox import errcodes
from sandbox.errcodes import WechatError, ok
from sandbox.platform_api import CallerDep, StateDep, json_body
from sandbox.state import Account, SandboxState

router = APIRouter(tags=["微信公众平台接口（模拟）"])
BATCH_MAX = 50


def tag_count(state: SandboxState, account: Account, tag_id: int) -> int:
    """How many of the account's followers are under the tag."""
    return sum(tag_id in state.tagged(account, c) for c in state.followers(account))


@router.get("/cgi-bin/tags/get", summary="获取公众号已创建的标签")
async def tags_get(state: StateDep, account: CallerDep) -> dict[str, Any]:
    """The account's tags with the number of followers under each."""
    tags = state.tags.get(account.appid, {})
    return {
        "tags": [
            {"id": tag_id, "name": name, "count": tag_count(state, account, tag_id)}
            for tag_id, name in sorted(tags.items())
        ]
    }


@router.post("/cgi-bin/tags/create", summary="创建标签")
async def tags_create(request: Request, state: StateDep, account: CallerDep) -> dict[str, Any]:
    """A new tag `{"tag": {"name": ...}}`; answers `{"tag": {"id", "name"}}`."""
    tag = (await json_body(request)).get("tag")
    name = tag.get("name") if isinstance(tag, dict) else None
    if not isinstance(name, str) or not name.strip():
        raise WechatError(errcodes.DATA_FORMAT_ERROR, "data format error: tag.name")
    if len(name.encode()) > state.settings.tag_name_max_bytes:
        raise WechatError(errcodes.TAG_NAME_TOO_LONG, "tag name too long")
    if state.tag_named(account, name) is not None:
        raise WechatError(errcodes.TAG_NAME_EXISTS, "tag name already exists")
    if len(state.tags.get(account.appid, {})) >= state.settings.tags_per_account:
        raise WechatError(errcodes.TAG_COUNT_LIMIT, "too many tags")
    return {"tag": {"id": state.create_tag(account, name), "name": name}}


@router.post("/cgi-bin/tags/members/batchtagging", summary="批量为用户打标签")
async def batch_tagging(request: Request, state: StateDep, account: CallerDep) -> dict[str, Any]:
    """Put up to 50 of the account's users under a tag (all or none)."""
    data = await json_body(request)
    openids, tag_id = data.get("openid_list"), data.get("tagid")
    if not isinstance(tag_id, int) or tag_id not in state.tags.get(account.appid, {}):
        raise WechatError(errcodes.INVALID_TAG, "invalid tagid")
    if not isinstance(openids, list) or not 0 < len(openids) <= BATCH_MAX:
        raise WechatError(errcodes.INVALID_OPENID_LIST, "invalid openid list size")
    citizens = [
        state.citizen_by_openid(account, o) if isinstance(o, str) else None for o in openids
    ]
    for citizen in citizens:
        if citizen is None:
            raise WechatError(errcodes.INVALID_OPENID, "invalid openid")
        held = state.tagged(account, citizen)
        if tag_id not in held and len(held) >= state.settings.tags_per_user:
            raise WechatError(errcodes.USER_TAG_COUNT_LIMIT, "user tag count out of limit")
    for citizen in citizens:
        assert citizen is not None
        key = (account.appid, citizen.openid(account.appid))
        state.user_tags.setdefault(key, set()).add(tag_id)
    return ok()
