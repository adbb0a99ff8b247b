"""The internal identity token (DESIGN §6): the gateway issues it, services verify it.

HS256 with INTERNAL_TOKEN_SECRET, `iss=gateway`, `aud=<service>`, `exp` at most 60 s ahead,
`sub` = citizen id or staff id, `roles` = staff roles (empty for a citizen), `kind` =
citizen | staff | service. Calls to `/v1/internal/...` carry `kind=service`, with the calling
part (a service or the gateway itself) as both `iss` and `sub`; citizen and staff tokens are
accepted only from the gateway. A citizen who signed in through WeChat also carries `wx`:
`{"appid", "openid"}`, the openid WeChat vouched for with that app (what WeChat Pay calls the
payer), so no service takes an openid from a request body.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Annotated, Any, TypeVar

import jwt
from fastapi import Depends, Request

from servicekit.deps import app_settings
from servicekit.errors import Forbidden, Unauthorized
from servicekit.settings import ServiceSettings

ISSUER = "gateway"
ISSUERS = ("gateway", "accounts", "traffic", "weather", "socialsec", "inspection")
ALGORITHM = "HS256"
MAX_TTL_SECONDS = 60
# The registered claims every token of the suite must carry.
REQUIRED_CLAIMS = ("exp", "iat", "sub", "aud", "iss")
# The attribute marking a dependency that admits staff only (see `staff_only`).
STAFF_ONLY = "__guanwei_staff_only__"
D = TypeVar("D", bound=Callable[..., Any])


@dataclass(frozen=True)
class WechatUser:
    """A citizen's openid with one WeChat app (an official account's appid), as WeChat gave it
    when they signed in."""

    appid: str
    openid: str


@dataclass(frozen=True)
class Identity:
    """Who the gateway says is calling."""

    subject: str
    roles: frozenset[str] = field(default_factory=frozenset)
    kind: str = "citizen"
    issuer: str = ISSUER
    wechat: WechatUser | None = None


def issue_token(
    *,
    secret: str,
    audience: str,
    subject: str,
    roles: list[str] | None = None,
    kind: str = "citizen",
    issuer: str = ISSUER,
    ttl_seconds: int = MAX_TTL_SECONDS,
    wechat: WechatUser | None = None,
) -> str:
    """Sign an internal token for one upstream service."""
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": issuer,
        "aud": audience,
        "sub": subject,
        "roles": sorted(roles or []),
        "kind": kind,
        "iat": now,
        "exp": now + min(ttl_seconds, MAX_TTL_SECONDS),
    }
    if wechat is not None:
        claims["wx"] = wechat_claim(wechat)
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def wechat_claim(wechat: WechatUser) -> dict[str, str]:
    """The `wx` claim naming a citizen's openid with one WeChat app."""
    return {"appid": wechat.appid, "openid": wechat.openid}


def wechat_of(claims: dict[str, Any]) -> WechatUser | None:
    """The WeChat user of a token's `wx` claim (None without one); ValueError when malformed."""
    claim = claims.get("wx")
    if claim is None:
        return None
    if not isinstance(claim, dict):
        raise ValueError("wx claim is not an object")
    appid, openid = claim.get("appid"), claim.get("openid")
    if not isinstance(appid, str) or not appid or not isinstance(openid, str) or not openid:
        raise ValueError("wx claim lacks appid or openid")
    return WechatUser(appid=appid, openid=openid)


def decode_claims(
    token: str, key: str, *, audience: str, issuer: str | Sequence[str], also: Sequence[str] = ()
) -> dict[str, Any]:
    """The claims of an HS256 `token` signed with `key`, for `audience`, by `issuer` (or one of
    them), unexpired and carrying REQUIRED_CLAIMS and `also`; jwt.PyJWTError otherwise."""
    required = {"require": [*REQUIRED_CLAIMS, *also]}
    return jwt.decode(
        token, key, algorithms=[ALGORITHM], audience=audience, issuer=issuer, options=required
    )


def verify_token(token: str, *, secret: str, audience: str) -> Identity:
    """Check signature, issuer, audience and expiry; raise Unauthorized otherwise."""
    try:
        claims = decode_claims(token, secret, audience=audience, issuer=ISSUERS)
    except jwt.PyJWTError as exc:
        raise Unauthorized("身份令牌无效或已过期。") from exc
    if claims["exp"] - claims["iat"] > MAX_TTL_SECONDS:
        raise Unauthorized("身份令牌有效期过长。")
    kind = str(claims.get("kind", "citizen"))
    # Only the gateway vouches for citizens and staff; a service speaks only for itself.
    if claims["sub"] != claims["iss"] if kind == "service" else claims["iss"] != ISSUER:
        raise Unauthorized("身份令牌的签发方与身份类型不符。")
    try:
        wechat = wechat_of(claims)
    except ValueError as exc:
        raise Unauthorized("身份令牌无效或已过期。") from exc
    return Identity(
        subject=str(claims["sub"]),
        roles=frozenset(claims.get("roles") or []),
        kind=kind,
        issuer=str(claims["iss"]),
        wechat=wechat,
    )


def current_identity(request: Request) -> Identity:
    """FastAPI dependency: the verified caller, from `Authorization: Bearer <internal token>`."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise Unauthorized("需要通过网关登录后访问。", headers={"WWW-Authenticate": "Bearer"})
    settings = app_settings(request.app, ServiceSettings)
    return verify_token(
        token, secret=settings.shared.internal_token_secret, audience=settings.service_name
    )


def current_citizen(identity: Annotated[Identity, Depends(current_identity)]) -> Identity:
    """FastAPI dependency: the calling citizen; staff and service tokens are refused."""
    if identity.kind != "citizen":
        raise Forbidden("此接口仅供市民本人使用。")
    return identity


CitizenDep = Annotated[Identity, Depends(current_citizen)]
IdentityDep = Annotated[Identity, Depends(current_identity)]


def require_staff(identity: Identity, role: str, *others: str) -> Identity:
    """`identity` if it is a staff member holding `role` or one of `others`; Forbidden otherwise."""
    # A role claim alone proves nothing: only the gateway's staff tokens speak for staff.
    if identity.kind != "staff":
        raise Forbidden("此接口仅供工作人员使用。")
    if identity.roles.isdisjoint((role, *others)):
        raise Forbidden(f"需要 {' 或 '.join((role, *others))} 角色。")
    return identity


def staff_only(dependency: D) -> D:
    """Mark `dependency` as admitting staff only, so that the OpenAPI document says the routes
    depending on it need the staff key (servicekit.openapi)."""
    setattr(dependency, STAFF_ONLY, True)
    return dependency


def requires_staff(role: str):
    """FastAPI dependency factory: the caller is staff (`kind=staff`) holding `role`; a citizen
    or service token is refused even when it carries the role."""

    @staff_only
    def _check(identity: IdentityDep) -> Identity:
        return require_staff(identity, role)

    return Depends(_check)


def requires_caller(*callers: str):
    """FastAPI dependency factory for `/v1/internal/...`: only these parts may call."""

    def _check(identity: IdentityDep) -> Identity:
        if identity.kind != "service" or identity.issuer not in callers:
            raise Forbidden("此接口仅供内部服务调用。")
        return identity

    return Depends(_check)


def service_token(*, secret: str, caller: str, audience: str) -> str:
    """A token with which the service `caller` calls another service's internal endpoints."""
    return issue_token(
        secret=secret, audience=audience, subject=caller, kind="service", issuer=caller
    )
