"""The gateway's public bearer token and the signed OAuth `state` cookie.

The bearer token is what a mobile or H5 app holds after signing in: a JWT (HS256) with
`iss=gateway-public`, `aud=guanwei-app`, `sub=<citizen_id>`, `exp` two hours ahead. It is signed
with a key of its own (`GATEWAY_AUTH_TOKEN_SECRET`, or one derived from INTERNAL_TOKEN_SECRET with a
label), and its issuer and audience differ from the internal token's (`iss=gateway`,
`aud=<service>`): a public token is never accepted by a service, and an internal token is never
accepted as a public one. The federation proxy swaps it for a 60 s internal citizen token.

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

PUBLIC_ISSUER = "gateway-public"
PUBLIC_AUDIENCE = "guanwei-app"
ALGORITHM = "HS256"
_TOKEN_KEY_LABEL = b"guanwei/gateway/public-bearer-token/v1"
_STATE_KEY_LABEL = b"guanwei/gateway/oauth-state-cookie/v1"


def derive_key(secret: str, label: bytes) -> str:
    """A key for one purpose, derived from a shared secret (HMAC-SHA256 of a fixed label)."""
    return hmac.new(secret.encode(), label, hashlib.sha256).hexdigest()


def token_key(*, internal_secret: str, configured: str = "") -> str:
    """The key of public bearer tokens: the configured one, else derived from the internal one."""
    return configured or derive_key(internal_secret, _TOKEN_KEY_LABEL)


def state_key(internal_secret: str) -> str:
    """The key of the state cookie's HMAC."""
    return derive_key(internal_secret, _STATE_KEY_LABEL)


def issue_public_token(*, key: str, citizen_id: str, account: str, ttl_seconds: int) -> str:
    """A bearer token for the app of a signed-in citizen."""
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
    return jwt.encode(claims, key, algorithm=ALGORITHM)


def verify_public_token(token: str, *, key: str) -> str:
    """The citizen_id of a valid public bearer token; Unauthorized otherwise."""
    try:
        claims = jwt.decode(
            token,
            key,
            algorithms=[ALGORITHM],
            audience=PUBLIC_AUDIENCE,
            issuer=PUBLIC_ISSUER,
            options={"require": ["exp", "iat", "sub", "aud", "iss"]},
        )
    except jwt.PyJWTError as exc:
        raise Unauthorized(
            "登录凭证无效或已过期，请重新登录。", headers={"WWW-Authenticate": "Bearer"}
        ) from exc
    subject = claims["sub"]
    if not isinstance(subject, str) or not subject:
        raise Unauthorized("登录凭证无效，请重新登录。", headers={"WWW-Authenticate": "Bearer"})
    return subject


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
