"""The gateway's public bearer token and the signed OAuth `state` cookie.

The bearer token is what a mobile or H5 app holds after signing in: a JWT (HS256) with
`iss=gateway-public`, `aud=guanwei-app`, `sub=<citizen_id>`, `acc=<account code>`, `wx` = the
appid and openid WeChat gave at sign-in (passed on in the internal token, so a service learns the
payer's openid from WeChat, never from a request body), `exp` two hours ahead. It is signed
with a key of its own (`GATEWAY_AUTH_TOKEN_SECRET`, or one derived from INTERNAL_TOKEN_SECRET with a
label), and its issuer and audience differ from the internal token's (`iss=gateway`,
`aud=<service>`): a public token is never accepted by a service, and an internal token is never
accepted as a public one. The federation proxy swaps it for a 60 s internal citizen token.
Whatever its `exp` says, a token is refused once older (by `iat`) than the gateway's configured
TTL, and it must carry a `jti`: the name under which signing out revokes it (`auth/guard.py`).

The `state` cookie binds an authorisation to the browser that started it: the state, the account,
the app URL to return to and an expiry, signed with HMAC-SHA256 under another derived key.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass

import jwt

from servicekit.errors import Unauthorized
from servicekit.identity import WechatUser, wechat_claim, wechat_of

PUBLIC_ISSUER = "gateway-public"
PUBLIC_AUDIENCE = "guanwei-app"
ALGORITHM = "HS256"
_TOKEN_KEY_LABEL = b"guanwei/gateway/public-bearer-token/v1"
_STATE_KEY_LABEL = b"guanwei/gateway/oauth-state-cookie/v1"
_CHALLENGE = {"WWW-Authenticate": "Bearer"}
_INVALID = "登录凭证无效，请重新登录。"
_EXPIRED = "登录凭证已过期，请重新登录。"


def derive_key(secret: str, label: bytes) -> str:
    """A key for one purpose, derived from a shared secret (HMAC-SHA256 of a fixed label)."""
    return hmac.new(secret.encode(), label, hashlib.sha256).hexdigest()


def token_key(*, internal_secret: str, configured: str = "") -> str:
    """The key of public bearer tokens: the configured one, else derived from the internal one."""
    return configured or derive_key(internal_secret, _TOKEN_KEY_LABEL)


def state_key(internal_secret: str) -> str:
    """The key of the state cookie's HMAC."""
    return derive_key(internal_secret, _STATE_KEY_LABEL)


def issue_public_token(
    *, key: str, citizen_id: str, account: str, ttl_seconds: int, wechat: WechatUser | None = None
) -> str:
    """A bearer token for the app of a signed-in citizen (`wechat`: who WeChat said they are)."""
    now = int(time.time())
    claims = {
        "iss": PUBLIC_ISSUER,
        "aud": PUBLIC_AUDIENCE,
        "sub": citizen_id,
        "acc": account,
        "iat": now,
        "exp": now + ttl_seconds,
        "jti": secrets.token_urlsafe(12),
    }
    if wechat is not None:
        claims["wx"] = wechat_claim(wechat)
    return jwt.encode(claims, key, algorithm=ALGORITHM)


class TokenExpired(Unauthorized):
    """A genuine public token past its `exp` or older than the gateway's TTL."""


@dataclass(frozen=True)
class PublicToken:
    """A verified public bearer token: whose it is, its id, when it stops being accepted, and
    the WeChat user it signed in as (None for a token issued without one)."""

    citizen_id: str
    jti: str
    expires_at: int
    wechat: WechatUser | None = None


def verify_public_token(token: str, *, key: str, max_age: int) -> PublicToken:
    """The claims of a valid public bearer token at most `max_age` seconds old.

    TokenExpired for a genuine token past its `exp` or `max_age`; Unauthorized for anything else.
    """
    try:
        claims = jwt.decode(
            token,
            key,
            algorithms=[ALGORITHM],
            audience=PUBLIC_AUDIENCE,
            issuer=PUBLIC_ISSUER,
            options={"require": ["exp", "iat", "sub", "aud", "iss", "jti"]},
        )
    except jwt.ExpiredSignatureError as exc:
        raise TokenExpired(_EXPIRED, headers=_CHALLENGE) from exc
    except jwt.PyJWTError as exc:
        raise Unauthorized(_INVALID, headers=_CHALLENGE) from exc
    subject, jti = claims["sub"], claims["jti"]
    if not isinstance(subject, str) or not subject or not isinstance(jti, str) or not jti:
        raise Unauthorized(_INVALID, headers=_CHALLENGE)
    try:
        wechat = wechat_of(claims)
    except ValueError as exc:
        raise Unauthorized(_INVALID, headers=_CHALLENGE) from exc
    # PyJWT has checked that iat is an integer and not in the future.
    issued_at = int(claims["iat"])
    if time.time() - issued_at > max_age:
        raise TokenExpired(_EXPIRED, headers=_CHALLENGE)
    return PublicToken(
        citizen_id=subject,
        jti=jti,
        expires_at=min(int(claims["exp"]), issued_at + max_age),
        wechat=wechat,
    )


@dataclass(frozen=True)
class PendingSignIn:
    """What the state cookie remembers between authorize and callback."""

    state: str
    account: str
    redirect: str
    expires_at: int


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def seal_state(pending: PendingSignIn, *, key: str) -> str:
    """The cookie value: base64url(JSON) '.' base64url(HMAC-SHA256)."""
    payload = json.dumps(
        {"s": pending.state, "a": pending.account, "r": pending.redirect, "e": pending.expires_at},
        separators=(",", ":"),
    ).encode()
    mac = hmac.new(key.encode(), payload, hashlib.sha256).digest()
    return f"{_b64(payload)}.{_b64(mac)}"


def open_state(value: str, *, key: str, now: float | None = None) -> PendingSignIn | None:
    """The pending sign-in in a cookie, or None when it is malformed, forged or expired."""
    body, _, mac = value.partition(".")
    try:
        payload = _unb64(body)
        given = _unb64(mac)
    except (ValueError, TypeError):
        return None
    expected = hmac.new(key.encode(), payload, hashlib.sha256).digest()
    if not hmac.compare_digest(given, expected):
        return None
    try:
        data = json.loads(payload)
        pending = PendingSignIn(
            state=str(data["s"]),
            account=str(data["a"]),
            redirect=str(data["r"]),
            expires_at=int(data["e"]),
        )
    except (ValueError, KeyError, TypeError):
        return None
    if pending.expires_at <= (time.time() if now is None else now):
        return None
    return pending
