"""WeChat OAuth2 sign-in for mobile and H5 apps (issue 4, build item 8).

1. The app sends the browser to `GET /api/v1/auth/wechat/authorize?account=<code>&redirect=<url>`.
   The gateway checks `redirect` against `GATEWAY_AUTH_REDIRECT_ALLOWLIST` (its own H5 pages,
   `/h5/...` under `GATEWAY_PUBLIC_BASE_URL`, are always allowed), sets a signed,
   HttpOnly, SameSite=Lax cookie holding a random `state`, the account, the redirect and an expiry,
   and answers 302 to the platform's authorisation page (`snsapi_base`).
2. The platform sends the browser back to `GET /api/v1/auth/wechat/callback?code&state`. The state
   must equal the cookie's (else 400); the code is exchanged for openid/unionid, accounts resolves
   the `citizen_id`, and the gateway issues its public bearer token (`auth/tokens.py`, 2 h),
   which carries the appid and openid the platform vouched for.
3. With a `redirect`, the answer is 302 to `redirect#access_token=…&token_type=Bearer&expires_in=…`
   (in the fragment, so it never reaches a server log or a Referer). Without one (a native app
   watching the web view), the answer is JSON: `{access_token, token_type, expires_in, citizen_id}`.
   If the citizen refuses on the platform's page, the app gets `redirect#error=access_denied`.

These are ordinary gateway routes, listed ahead of the federation proxy so that `/api/v1/auth/...`
is never taken for a service named "auth".
"""

from __future__ import annotations

import hmac
import logging
import secrets
import time
from urllib.parse import urlencode, urlsplit

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from gateway.auth.citizens import ResolveRefused, resolve_citizen
from gateway.auth.tokens import (
    PendingSignIn,
    issue_public_token,
    open_state,
    seal_state,
    state_key,
    token_key,
)
from gateway.platform.errors import PlatformError, PlatformUnavailable
from gateway.state import GatewayState, StateDep
from servicekit.errors import BadRequest, NotFound, UpstreamUnavailable, ValidationFailed
from servicekit.identity import WechatUser

log = logging.getLogger("gateway.auth")

router = APIRouter(prefix="/api/v1/auth/wechat", tags=["登录"])

STATE_COOKIE = "gw_oauth_state"
COOKIE_PATH = "/api/v1/auth/wechat"
H5_PATH = "/h5/"
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache", "Referrer-Policy": "no-referrer"}


def redirect_allowed(redirect: str, allowlist: list[str]) -> bool:
    """True when `redirect` is an absolute http(s) URL on an allowed origin.

    Entries are origins (`https://h5.example.cn`, `http://localhost:5173`); `:*` allows any port
    of that scheme and host. URLs with credentials, a fragment or a backslash are refused.
    """
    if not redirect or "\\" in redirect or any(ord(ch) < 0x21 for ch in redirect):
        return False
    try:
        target = urlsplit(redirect)
        port = target.port
    except ValueError:
        return False
    if target.scheme not in ("http", "https") or not target.hostname:
        return False
    if target.username is not None or target.password is not None or target.fragment:
        return False
    effective_port = port or (443 if target.scheme == "https" else 80)
    for entry in allowlist:
        any_port = entry.endswith(":*")
        try:
            allowed = urlsplit(entry[:-2] if any_port else entry)
            allowed_port = allowed.port or (443 if allowed.scheme == "https" else 80)
        except ValueError:
            continue
        if allowed.scheme != target.scheme or allowed.hostname != target.hostname:
            continue
        if any_port or allowed_port == effective_port:
            return True
    return False


def own_h5_page(redirect: str, public_base_url: str) -> bool:
    """True when `redirect` is one of the gateway's own H5 pages: `/h5/...` on its public origin."""
    if not public_base_url or not redirect_allowed(redirect, [public_base_url]):
        return False
    prefix = urlsplit(public_base_url).path.rstrip("/") + H5_PATH
    return urlsplit(redirect).path.startswith(prefix)


@router.get(
    "/authorize",
    operation_id="startWechatSignIn",
    summary="微信网页授权登录：跳转到授权页",
    response_class=RedirectResponse,
    status_code=302,
    responses={404: {"description": "未知公众号"}, 422: {"description": "redirect 不在允许列表"}},
)
async def authorize(
    request: Request,
    gateway: StateDep,
    account: str = Query(description="公众号代码，如 dgtq"),
    redirect: str | None = Query(
        default=None, description="登录后返回的应用地址；省略时回调以 JSON 返回令牌"
    ),
) -> Response:
    """Redirect to the platform's authorisation page with a `state` bound to this browser."""
    settings = gateway.settings
    acc = settings.wechat_account(account)
    if acc is None:
        raise NotFound(f"未找到公众号 {account}。")
    if redirect is not None and not (
        redirect_allowed(redirect, settings.auth_redirect_allowlist)
        or own_h5_page(redirect, settings.public_base_url)
    ):
        raise ValidationFailed(
            "redirect 不在允许的应用地址之列。",
            errors=[{"field": "redirect", "message": "不允许的返回地址"}],
        )
    state = secrets.token_urlsafe(24)
    ttl = settings.auth_state_ttl_seconds
    pending = PendingSignIn(
        state=state, account=acc.code, redirect=redirect or "", expires_at=int(time.time()) + ttl
    )
    query = urlencode(
        {
            "appid": acc.appid,
            "redirect_uri": str(request.url_for("wechat_signin_callback")),
            "response_type": "code",
            "scope": "snsapi_base",
            "state": state,
        }
    )
    base = (settings.wechat_oauth_base_url or settings.wechat_api_base_url).rstrip("/")
    response = RedirectResponse(
        f"{base}/connect/oauth2/authorize?{query}#wechat_redirect", status_code=302
    )
    response.headers.update(NO_STORE)
    response.set_cookie(
        STATE_COOKIE,
        seal_state(pending, key=state_key(gateway.internal_token_secret)),
        max_age=ttl,
        path=COOKIE_PATH,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
    )
    return response


@router.get(
    "/callback",
    name="wechat_signin_callback",
    operation_id="finishWechatSignIn",
    summary="微信网页授权回调：签发登录令牌",
    response_model=None,
    responses={
        200: {"description": "未指定 redirect 时：{access_token, token_type, expires_in}"},
        302: {"description": "返回应用：redirect#access_token=…&token_type=Bearer&expires_in=…"},
        400: {"description": "state 不符、缺失或过期；code 无效"},
    },
)
async def callback(
    request: Request, gateway: StateDep, code: str = "", state: str = ""
) -> Response:
    """Check `state` against this browser's cookie, exchange `code` and issue a bearer token."""
    settings = gateway.settings
    cookie = request.cookies.get(STATE_COOKIE, "")
    pending = open_state(cookie, key=state_key(gateway.internal_token_secret)) if cookie else None
    if pending is None or not state or not hmac.compare_digest(state, pending.state):
        raise BadRequest("登录请求无效或已过期，请从应用重新发起登录。")
    if not code:  # the citizen refused on the platform's page
        if pending.redirect:
            return _finish(f"{pending.redirect}#{urlencode({'error': 'access_denied'})}")
        raise BadRequest("你已拒绝授权，未能登录。")

    try:
        identity = await gateway.platform.oauth_exchange_code(pending.account, code)
    except PlatformUnavailable as exc:
        log.warning("oauth code exchange for %s failed: %s", pending.account, exc)
        raise UpstreamUnavailable("微信平台暂时无法访问，请稍后再试。") from exc
    except PlatformError as exc:
        log.info("oauth code refused for %s: %s", pending.account, exc.errcode)
        raise BadRequest("微信授权码无效或已过期，请重新登录。") from exc

    citizen_id = await _resolve_citizen(gateway, pending.account, identity.openid, identity.unionid)
    ttl = settings.auth_token_ttl_seconds
    token = issue_public_token(
        key=token_key(
            internal_secret=gateway.internal_token_secret,
            configured=settings.auth_token_secret,
        ),
        citizen_id=citizen_id,
        account=pending.account,
        ttl_seconds=ttl,
        wechat=WechatUser(
            appid=gateway.platform.account(pending.account).appid, openid=identity.openid
        ),
    )
    grant = {"access_token": token, "token_type": "Bearer", "expires_in": ttl}
    if pending.redirect:
        return _finish(f"{pending.redirect}#{urlencode(grant)}")
    response = JSONResponse({**grant, "citizen_id": citizen_id}, headers=NO_STORE)
    response.delete_cookie(STATE_COOKIE, path=COOKIE_PATH)
    return response


def _finish(location: str) -> Response:
    response = RedirectResponse(location, status_code=302, headers=NO_STORE)
    response.delete_cookie(STATE_COOKIE, path=COOKIE_PATH)
    return response


async def _resolve_citizen(
    state: GatewayState, account: str, openid: str, unionid: str | None
) -> str:
    """The citizen_id accounts holds for this WeChat identity (created on first sight)."""
    try:
        return await resolve_citizen(
            state.upstreams,
            secret=state.internal_token_secret,
            account=account,
            openid=openid,
            unionid=unionid,
        )
    except ResolveRefused as exc:
        log.error("accounts refused to resolve a citizen of %s: %s", account, exc.status)
        raise UpstreamUnavailable("暂时无法完成登录，请稍后再试。") from None
