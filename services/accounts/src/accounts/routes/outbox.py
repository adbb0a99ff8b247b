"""`/v1/outbox`: the deletions other services have not acknowledged yet, for registry admins."""

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field, field_validator
from sqlmodel import col, select

from accounts.clock import local
from accounts.models import OutboxMessage
from accounts.staff import registry_admin
from servicekit.clock import NowDep, as_utc
from servicekit.deps import Page, PageDep, SessionDep, paginate

router = APIRouter(prefix="/v1/outbox", tags=["outbox"])


class OutboxEntry(BaseModel):
    """One outbox message: what is to be told to whom, and how delivering it went."""

    id: int
    kind: str = Field(description="delete_bindings：撤回授权后删除该市民的绑定")
    target: str = Field(description="traffic | socialsec")
    citizen_id: str
    attempts: int = Field(description="已尝试送达的次数")
    last_status: int | None = Field(description="最近一次应答的 HTTP 状态码；未连通时为空")
    last_error: str | None = Field(description="最近一次未送达的原因")
    created_at: datetime
    next_attempt_at: datetime = Field(description="下次尝试的时间（投递中时为租约到期时间）")
    delivered_at: datetime | None
    lease_owner: str | None = Field(default=None, description="正在投递的实例；无人投递时为空")
    age_seconds: int = Field(default=0, description="自写入起经过的秒数")

    @field_validator("created_at", "next_attempt_at", "delivered_at")
    @classmethod
    def _local(cls, value: datetime | None) -> datetime | None:
        return local(value)


def with_age(entry: OutboxEntry, now: datetime) -> OutboxEntry:
    """The entry's age at `now`; its lease owner only while the lease still runs."""
    leased = entry.delivered_at is None and as_utc(entry.next_attempt_at) > now
    return entry.model_copy(
        update={
            "age_seconds": int((now - as_utc(entry.created_at)).total_seconds()),
            "lease_owner": entry.lease_owner if leased else None,
        }
    )


@router.get(
    "",
    response_model=Page[OutboxEntry],
    summary="撤回授权通知的送达情况",
    description=(
        "市民撤回授权后，本服务通知各服务删除其绑定，直到对方以 2xx 确认。"
        "`state=pending`（默认）列出尚未确认送达的通知，最早的在前；"
        "`state=delivered` 列出已送达的，最新的在前。除市民编号外不含个人信息。"
        "需要 `registry_admin` 角色：未登录 401，角色不符 403。"
    ),
    dependencies=[Depends(registry_admin)],
)
def list_outbox(
    session: SessionDep,
    page: PageDep,
    now: NowDep,
    state: Annotated[
        Literal["pending", "delivered"], Query(description="pending 未送达 | delivered 已送达")
    ] = "pending",
) -> Page[OutboxEntry]:
    """Outbox messages in one state, a page at a time."""
    query = select(OutboxMessage)
    if state == "pending":
        query = query.where(col(OutboxMessage.delivered_at).is_(None))
        order_by = col(OutboxMessage.id)
    else:
        query = query.where(col(OutboxMessage.delivered_at).is_not(None))
        order_by = col(OutboxMessage.id).desc()
    found = paginate(session, query, page, order_by=order_by, public=OutboxEntry)
    return Page(items=[with_age(e, now) for e in found.items], total=found.total)
