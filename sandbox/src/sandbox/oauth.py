"""OAuth2 web authorisation: the page where a simulated citizen consents, and the code exchange.

`GET /connect/oauth2/authorize` shows the simulated citizens (plain HTML, works without
JavaScript); choosing one redirects to `redirect_uri?code=...&state=...` with a single-use code
that `/sns/oauth2/access_token` exchanges for the citizen's openid and unionid.
"""

from __future__ import annotations

import html
import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from sandbox import errcodes
from sandbox.errcodes import WechatError
from sandbox.platform_api import CredentialsQuery, StateDep
from sandbox.state import Account, AuthorizationCode, SandboxState

router = APIRouter(tags=["网页授权（模拟）"])

SCOPES = {
    "snsapi_base": "获取你的身份标识（静默授权）",
    "snsapi_userinfo": "获取你的昵称、头像等公开信息",
}
_STATE_MAX_BYTES = 128
# Codes nobody redeemed are forgotten a day after they expire, so memory stays bounded.
_CODE_MEMORY_SECONDS = 86400


class PageError(Exception):
    """A refused authorisation request, shown to the person as a page (as WeChat does)."""


@dataclass(frozen=True)
class AuthorizeRequest:
    """The checked parameters of an authorisation request."""

    account: Account
    redirect_uri: str
    scope: str
    state: str


def _checked(state: SandboxState, params: dict[str, str]) -> AuthorizeRequest:
    appid = params.get("appid", "")
    if not appid:
        raise PageError("缺少 appid 参数。")
    account = state.account_by_appid(appid)
    if account is None:
        raise PageError("appid 无效：模拟平台上没有这个公众号。")
    redirect_uri = params.get("redirect_uri", "")
    target = urlsplit(redirect_uri)
    if target.scheme not in ("http", "https") or not target.netloc:
        raise PageError("redirect_uri 参数错误：需要以 http:// 或 https:// 开头的完整地址。")
    if params.get("response_type", "code") != "code":
        raise PageError("response_type 参数错误：只支持 code。")
    scope = params.get("scope", "")
    if scope not in SCOPES:
        raise PageError("scope 参数错误：只支持 snsapi_base 或 snsapi_userinfo。")
    oauth_state = params.get("state", "")
    if len(oauth_state.encode()) > _STATE_MAX_BYTES:
        raise PageError("state 参数过长：最多 128 字节。")
    return AuthorizeRequest(account, redirect_uri, scope, oauth_state)


def _page(title: str, body: str, status_code: int = 200) -> HTMLResponse:
    return HTMLResponse(
        f"""<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)}</title>
<style>
body {{ margin: 0; background: #ededed; font: 16px/1.6 -apple-system, "PingFang SC",
       "Microsoft YaHei", sans-serif; color: #191919; }}
main {{ max-width: 420px; margin: 0 auto; padding: 32px 20px; }}
h1 {{ font-size: 20px; margin: 0 0 8px; }}
.note {{ color: #888; font-size: 14px; }}
.card {{ background: #fff; border-radius: 8px; padding: 16px 20px; margin: 16px 0; }}
button {{ display: block; width: 100%; margin: 10px 0; padding: 12px; border: 0;
         border-radius: 6px; font-size: 17px; background: #07c160; color: #fff; cursor: pointer; }}
button.secondary {{ background: #f2f2f2; color: #07c160; }}
</style></head>
<body><main>{body}</main></body></html>""",
        status_code=status_code,
    )


def _error_page(message: str) -> HTMLResponse:
    return _page(
        "授权出错",
        f'<h1>授权出错</h1><div class="card">{html.escape(message)}</div>'
        '<p class="note">这是开发与测试用的模拟微信平台。</p>',
        status_code=400,
    )


@router.get("/connect/oauth2/authorize", response_class=HTMLResponse, summary="网页授权页面")
async def authorize_page(request: Request, state: StateDep) -> HTMLResponse:
    """The consent page: choose which simulated citizen signs in."""
    try:
        req = _checked(state, dict(request.query_params))
    except PageError as exc:
        return _error_page(str(exc))
    hidden = "".join(
        f'<input type="hidden" name="{name}" value="{html.escape(value)}">'
        for name, value in (
            ("appid", req.account.appid),
            ("redirect_uri", req.redirect_uri),
            ("scope", req.scope),
            ("state", req.state),
        )
    )
    choices = "".join(
        f'<button type="submit" name="citizen" value="{html.escape(c.id)}">'
        f"以「{html.escape(c.name)}」的身份登录</button>"
        for c in state.citizens.values()
    )
    body = (
        f"<h1>{html.escape(req.account.name)} 申请授权</h1>"
        f'<div class="card">该网页将{SCOPES[req.scope]}。</div>'
        '<p class="note">这是开发与测试用的模拟微信：请选择一位模拟市民。</p>'
        f'<form method="post" action="/connect/oauth2/authorize">{hidden}{choices}'
        '<button type="submit" name="deny" value="1" class="secondary">拒绝</button>'
        "</form>"
    )
    return _page("微信授权登录（模拟）", body)


@router.post("/connect/oauth2/authorize", summary="确认或拒绝网页授权", response_model=None)
async def authorize_decision(request: Request, state: StateDep) -> RedirectResponse | HTMLResponse:
    """Issue a code for the chosen citizen and return to `redirect_uri` (only `state` if denied)."""
    form = {k: v[0] for k, v in parse_qs((await request.body()).decode()).items()}
    try:
        req = _checked(state, form)
    except PageError as exc:
        return _error_page(str(exc))
    params = {"state": req.state}
    if "deny" not in form:
        citizen = state.citizens.get(form.get("citizen", ""))
        if citizen is None:
            return _error_page("请选择一位模拟市民。")
        params = {"code": _issue_code(state, req, citizen.id), **params}
    return RedirectResponse(_with_query(req.redirect_uri, params), status_code=302)


def _issue_code(state: SandboxState, req: AuthorizeRequest, citizen_id: str) -> str:
    now = state.clock.now()
    stale = [c for c, v in state.oauth_codes.items() if v.expires_at + _CODE_MEMORY_SECONDS < now]
    for code in stale:
        del state.oauth_codes[code]
    code = secrets.token_hex(16)
    state.oauth_codes[code] = AuthorizationCode(
        appid=req.account.appid,
        citizen_id=citizen_id,
        scope=req.scope,
        expires_at=now + state.settings.oauth_code_ttl_seconds,
    )
    return code


def _with_query(url: str, params: dict[str, str]) -> str:
    parts = urlsplit(url)
    query = "&".join(q for q in (parts.query, urlencode(params)) if q)
    return urlunsplit(parts._replace(query=query))


@router.get("/sns/oauth2/access_token", summary="用 code 换取网页授权 access_token")
async def exchange_code(
    state: StateDep, credentials: CredentialsQuery, code: str | None = None
) -> dict[str, Any]:
    """Exchange a code (once, within its lifetime) for the citizen's openid and unionid."""
    wrong_secret = WechatError(errcodes.INVALID_APPSECRET, "invalid appsecret")
    account = credentials.account(state, "authorization_code", wrong_secret)
    if not code:
        raise WechatError(errcodes.MISSING_OAUTH_CODE, "missing code")
    issued = state.oauth_codes.get(code)
    if issued is None or issued.used or issued.appid != account.appid:
        raise WechatError(errcodes.INVALID_OAUTH_CODE, "invalid code")
    if issued.expires_at <= state.clock.now():
        raise WechatError(errcodes.OAUTH_CODE_EXPIRED, "code expired")
    issued.used = True
    citizen = state.citizens[issued.citizen_id]
    return {
        "access_token": secrets.token_urlsafe(64),
        "expires_in": state.settings.oauth_token_ttl_seconds,
        "refresh_token": secrets.token_urlsafe(64),
        "openid": citizen.openid(account.appid),
        "scope": issued.scope,
        "unionid": citizen.unionid,
    }
