"""`POST /internal/wechat/{account_code}/template`: one template message to one follower of the
account, on behalf of a service (traffic's 缴款成功 when a fine is paid, inspection's reminders).

The service writes the message: the template's id, its fields (name -> text) and an optional link,
and names the recipient by exactly one of: their openid with the account (for a payment, the
payer's, from the order), or their `citizen_id` (inspection's reminders to a unit's contacts: the
service holds no openids), whose openid with the account the gateway reads from accounts (`GET
/v1/internal/citizens/{citizen_id}`); a citizen without one there (not a follower of the account as
far as the registry knows) is a 404 problem, final for the sender. The gateway owns the account's
credentials (DESIGN §1, §7) and only sends it, through the platform's template API
(`message/template/send`, service accounts only), answering the platform's msgid. Callers as for
the other internal routes (`gateway.internal.internal_caller`).
A platform refusal (43004 the citizen no longer follows, 40037 an unknown template, …) or an
unreachable platform is a 502 problem naming WeChat's errcode: the service keeps the message and
tries again later.
"""

from __future__ import annotations

import logging
from typing import Annotated, Self
from urllib.parse import quote

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from gateway.internal import CallerDep
from gateway.platform import PlatformError
from gateway.state import GatewayState, StateDep
from servicekit.errors import NotFound, Problem, UpstreamUnavailable
from servicekit.identity import service_token

log = logging.getLogger("gateway.notices")

router = APIRouter(prefix="/internal", include_in_schema=False)

# WeChat's alphabets: openids and template ids are URL-safe base64-like strings.
WECHAT_ID = r"^[A-Za-z0-9_-]+$"
FieldName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z][A-Za-z0-9_]{0,31}$")]
FieldText = Annotated[str, StringConstraints(max_length=200)]
# accounts' citizen ids (`c-<hex>`, and the test and demo ones): safe in a path as they are.
CITIZEN_ID = r"^[A-Za-z0-9_-]+$"
NOT_FOLLOWING = "该市民未关注公众号 {account}，无法发送模板消息。"


class PlatformRefused(Problem, status=502):
    """The platform refused the template message, or could not be reached."""


class TemplateIn(BaseModel):
    """A template message as the sending service wrote it."""

    model_config = ConfigDict(extra="forbid")

    openid: str | None = Field(default=None, min_length=1, max_length=128, pattern=WECHAT_ID)
    citizen_id: str | None = Field(default=None, min_length=1, max_length=64, pattern=CITIZEN_ID)
    template_id: str = Field(min_length=1, max_length=64, pattern=WECHAT_ID)
    data: dict[FieldName, FieldText] = Field(
        min_length=1, max_length=16, description="the template's fields: name -> text"
    )
    url: str | None = Field(
        default=None, max_length=1024, pattern=r"^https?://", description="opened on a tap"
    )

    @model_validator(mode="after")
    def _one_recipient(self) -> Self:
        if (self.openid is None) == (self.citizen_id is None):
            raise ValueError("须且只须提供 openid 或 citizen_id 之一")
        return self


class TemplateOut(BaseModel):
    """The platform's id of the message sent."""

    msgid: int


async def citizen_openid(state: GatewayState, *, citizen_id: str, account: str) -> str:
    """The citizen's openid with `account`, as accounts knows it (NotFound without one)."""
    token = service_token(secret=state.internal_token_secret, caller="gateway", audience="accounts")
    answer = await state.upstreams.request(
        "accounts",
        "GET",
        f"/v1/internal/citizens/{quote(citizen_id, safe='')}",
        headers=[("authorization", f"Bearer {token}")],
    )
    if answer.status == 404:
        raise NotFound(NOT_FOLLOWING.format(account=account))
    try:
        openids = answer.json()["openids"] if answer.status == 200 else None
    except (ValueError, KeyError, TypeError):
        openids = None
    if not isinstance(openids, list):
        log.error("accounts answered %s to a citizen's openids", answer.status)
        raise UpstreamUnavailable("暂时无法查询该市民的公众号关注信息，请稍后再试。")
    for item in openids:
        if isinstance(item, dict) and item.get("account_code") == account:
            openid = item.get("openid")
            if isinstance(openid, str) and openid:
                return openid
    raise NotFound(NOT_FOLLOWING.format(account=account))


@router.post("/wechat/{account_code}/template", response_model=TemplateOut)
async def template_message(
    account_code: str, body: TemplateIn, caller: CallerDep, state: StateDep
) -> TemplateOut:
    """Send one template message to one follower of the account."""
    platform = state.platform
    if account_code not in platform.accounts:
        raise NotFound(f"网关未配置公众号 {account_code}。")
    openid = body.openid
    if openid is None:
        assert body.citizen_id is not None  # one of the two, by TemplateIn
        openid = await citizen_openid(state, citizen_id=body.citizen_id, account=account_code)
    fields = {name: {"value": text} for name, text in body.data.items()}
    try:
        msgid = await platform.send_template_message(
            account_code, openid, body.template_id, fields, url=body.url
        )
    except PlatformError as exc:
        log.warning(
            "template message for %s by %s refused: %s %s",
            account_code,
            caller.issuer,
            exc.errcode,
            exc.errmsg,
        )
        raise PlatformRefused(
            f"微信平台拒绝了模板消息：errcode {exc.errcode}（{exc.errmsg}）"
        ) from None
    # Never the openid: the log names the account, the caller and the platform's id only.
    log.info("template message for %s by %s: msgid %s", account_code, caller.issuer, msgid)
    return TemplateOut(msgid=msgid)
