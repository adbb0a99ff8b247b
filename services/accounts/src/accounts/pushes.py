"""Scheduling an editor's article for a mass send, within WeChat's quotas, once.

An article has at most one push (`article_push.article_id` is unique): at a time (now or later,
Asia/Shanghai), to all followers or to one town's. Scheduling counts the account's other pushes
that are scheduled or sent against WeChat's quota (`push_limits`) with the account row locked, so
two editors cannot both book the last place. A failed push may be scheduled again (after
editing); it then uses its row once more.

Sending is `pusher.ArticlePusher`'s work.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from sqlmodel import Session, col, select

from accounts.clock import local
from accounts.editing import audit_article, push_of, require_article, require_pushable
from accounts.models import ArticlePush
from accounts.push_limits import quota_refusal, resolve_send_at
from accounts.reference import town_codes
from accounts.registry import get_account
from servicekit.audit import Actor
from servicekit.errors import Conflict, NotFound, ValidationFailed

SCHEDULED = "scheduled"
SENT = "sent"
FAILED = "failed"


class PushIn(BaseModel):
    """When and to whom to push an article."""

    send_at: datetime | None = Field(
        default=None,
        description="推送时间（ISO 8601；无时区按北京时间），不早于现在；为空则立即推送",
    )
    audience: Literal["all", "town"] = Field(
        default="all", description="all 全部粉丝 | town 某镇街的粉丝"
    )
    town: str | None = Field(
        default=None, max_length=32, description="audience 为 town 时的镇街代码，如 dalang"
    )

    @field_validator("town")
    @classmethod
    def _known_town(cls, value: str | None) -> str | None:
        if value is not None and value not in town_codes():
            raise ValueError(f"未知的镇街代码 {value}")
        return value

    @model_validator(mode="after")
    def _town_for_town_audience(self) -> PushIn:
        if (self.audience == "town") != (self.town is not None):
            raise ValueError("audience 为 town 时须指定 town，为 all 时不能指定")
        return self


class PushOut(BaseModel):
    """The push of an article: when, to whom, and how it went."""

    model_config = ConfigDict(from_attributes=True)

    article_id: int
    account_code: str
    send_at: datetime = Field(description="推送时间（北京时间）")
    audience: str
    town: str | None
    status: str = Field(description="scheduled 待推送 | sent 已群发 | failed 失败")
    attempts: int = Field(description="已尝试发送的次数")
    msg_id: int | None = Field(description="微信群发的 msg_id")
    sent_at: datetime | None = Field(description="群发时间（北京时间）")
    error: str | None = Field(description="最近一次失败的原因")

    @field_validator("send_at", "sent_at")
    @classmethod
    def _beijing_time(cls, value: datetime | None) -> datetime | None:
        return local(value)


def _booked(session: Session, *, code: str, article_id: int) -> list[datetime]:
    """Send times of the account's other pushes that hold a place in the quota."""
    query = select(ArticlePush.send_at).where(
        ArticlePush.account_code == code,
        ArticlePush.article_id != article_id,
        col(ArticlePush.status).in_((SCHEDULED, SENT)),
    )
    return list(session.exec(query).all())


def schedule_push(
    *,
    session: Session,
    code: str,
    article_id: int,
    body: PushIn,
    actor: Actor,
    now: datetime,
) -> PushOut:
    """Schedule the article's one push; 409 when it has one or the quota is used, 422 for a
    time in the past or an article without a cover."""
    article = require_article(session, code=code, article_id=article_id)
    require_pushable(article)
    try:
        send_at = resolve_send_at(body.send_at, now=now)
    except ValueError as exc:
        raise ValidationFailed(
            str(exc), errors=[{"field": "send_at", "in": "body", "message": str(exc)}]
        ) from None
    # Locked until commit: concurrent schedules of this account count one after the other.
    account = get_account(session=session, code=code, for_update=True)
    push = push_of(session, article_id=article_id)
    if push is not None and push.status != FAILED:
        when = local(push.send_at).strftime("%Y-%m-%d %H:%M")
        raise Conflict(f"这篇文章已安排于 {when} 推送（{push.status}），每篇只推送一次。")
    refusal = quota_refusal(
        kind=account.kind,
        send_at=send_at,
        booked=_booked(session, code=code, article_id=article_id),
    )
    if refusal is not None:
        raise Conflict(f"无法安排推送：{refusal}")
    push = push or ArticlePush(
        article_id=article_id, account_code=code, created_by=actor.subject, created_at=now
    )
    push.send_at, push.audience, push.town = send_at, body.audience, body.town
    push.status, push.lease_owner, push.lease_until, push.error = SCHEDULED, None, None, None
    session.add(push)
    changes = {"send_at": [None, local(send_at).isoformat()], "town": [None, body.town]}
    audit_article(
        session, actor=actor, action="schedule_push", article_id=article_id, changes=changes
    )
    session.commit()
    return PushOut.model_validate(push)


def push_state(*, session: Session, code: str, article_id: int) -> PushOut:
    """The article's push; 404 when none was scheduled."""
    require_article(session, code=code, article_id=article_id)
    push = push_of(session, article_id=article_id)
    if push is None:
        raise NotFound("这篇文章尚未安排推送。")
    return PushOut.model_validate(push)
