"""A citizen's identity on the way to a service, shared by the app sign-in, the REST federation
and chat (DESIGN §6).

- `resolve_citizen`: accounts' `POST /v1/internal/citizens/resolve` turns a WeChat identity
  (account, openid, unionid) into the stable `citizen_id` (created on first sight; an openid
  without unionid makes a provisional citizen).
- `citizen_authorization`: the `Authorization` header with which the gateway speaks for that
  citizen to one service: an internal token (kind citizen, aud = the service, 60 s at most),
  with the WeChat user they signed in as when there is one.
"""

from __future__ import annotations

import json
from typing import Any

from gateway.upstreams import Upstreams
from servicekit.identity import WechatUser, issue_token, service_token

RESOLVE_PATH = "/v1/internal/citizens/resolve"


class ResolveRefused(Exception):
    """accounts answered a resolve with something other than a citizen id."""

    def __init__(self, status: int) -> None:
        super().__init__(f"accounts answered {status} to a citizen resolve")
        self.status = status


def citizen_authorization(
    *, secret: str, citizen_id: str, service: str, wechat: WechatUser | None = None
) -> str:
    """`Bearer <internal citizen token>` for calls to `service` on the citizen's behalf."""
    token = issue_token(
        secret=secret, audience=service, subject=citizen_id, kind="citizen", wechat=wechat
    )
    return f"Bearer {token}"


async def resolve_citizen(
    upstreams: Upstreams,
    *,
    secret: str,
    account: str,
    openid: str,
    unionid: str | None,
    timeout: float | None = None,
) -> str:
    """The citizen_id accounts holds for this WeChat identity (ResolveRefused unless 200;
    UpstreamUnavailable / UpstreamTimeout when accounts cannot be reached in time)."""
    token = service_token(secret=secret, caller="gateway", audience="accounts")
    body: dict[str, Any] = {"account_code": account, "openid": openid, "unionid": unionid}
    answer = await upstreams.request(
        "accounts",
        "POST",
        RESOLVE_PATH,
        headers=[("authorization", f"Bearer {token}"), ("content-type", "application/json")],
        body=json.dumps(body).encode(),
        timeout=timeout,
    )
    if answer.status != 200:
        raise ResolveRefused(answer.status)
    try:
        citizen_id = answer.json()["citizen_id"]
    except (ValueError, KeyError, TypeError):
        raise ResolveRefused(answer.status) from None
    if not isinstance(citizen_id, str) or not citizen_id:
        raise ResolveRefused(answer.status)
    return citizen_id
