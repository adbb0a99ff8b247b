"""Sign-out for mobile and H5 apps: the presented bearer token is revoked until it expires.

An ordinary gateway route listed ahead of the federation proxy, like the sign-in routes, so that
`/api/v1/auth/signout` is never taken for a service named "auth".
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from gateway.auth.guard import Credentials
from gateway.auth.tokens import PublicToken
from gateway.state import StateDep
from servicekit.errors import Unauthorized
from servicekit.openapi import CITIZEN

router = APIRouter(prefix="/api/v1/auth", tags=["登录"])


def _client_address(request: Request, credentials: Credentials) -> str:
    """The client address of `request`, as the rate limits and the federation proxy see it."""
    peer = request.client.host if request.client else ""
    forwarded_for = ",".join(request.headers.getlist("x-forwarded-for")) or None
    return credentials.addresses.resolve(peer, forwarded_for)


async def bearer_token(request: Request, credentials: Credentials) -> PublicToken:
    """The verified public token of the request's `Authorization: Bearer` header (401 without
    a valid one, 429 while the client address is blocked)."""
    authorization = request.headers.get("authorization")
    if authorization is None:
        raise Unauthorized("请先登录。", headers={"WWW-Authenticate": "Bearer"})
    return await credentials.citizen(authorization, _client_address(request, credentials))


@router.post(
    "/signout",
    operation_id="signOut",
    openapi_extra={"security": [{CITIZEN: []}]},
    summary="退出登录：吊销当前令牌",
    description="吊销请求头 `Authorization: Bearer <令牌>` 中的登录令牌，直至其原定过期时间；"
    "此后该令牌在任何接口都返回 401，同一市民的其他令牌不受影响。多副本部署时吊销记录经 Redis "
    "共享。无有效令牌时返回 401；同一地址凭证错误次数过多时返回 429（见 Retry-After）。",
    status_code=204,
    response_class=Response,
    responses={
        204: {"description": "已退出登录，令牌已吊销"},
        401: {"description": "缺少令牌，或令牌无效、过期、已吊销"},
        429: {"description": "该地址凭证错误次数过多，稍后再试"},
    },
)
async def signout(request: Request, state: StateDep) -> Response:
    """Revoke the bearer token of this request until it would have expired."""
    credentials = state.credentials
    await credentials.revoke(await bearer_token(request, credentials))
    return Response(status_code=204, headers={"Cache-Control": "no-store"})
