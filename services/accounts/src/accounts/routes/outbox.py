"""`/v1/outbox`: the deletions other services have not acknowledged yet, for registry admins."""

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query

from accounts.outbox import outbox_page
from accounts.public import OutboxEntry
from accounts.staff import registry_admin
from servicekit.clock import NowDep
from servicekit.deps import Page, PageDep, SessionDep

# Registry admins only: the list shows which citizens withdrew consent.
router = APIRouter(prefix="/v1/outbox", tags=["outbox"], dependencies=[Depends(registry_admin)])


@router.get(
    "",
    summary="撤回授权通知的送达情况",
    description=(
        "市民撤回授权后，本服务通知各服务删除其绑定，直到对方以 2xx 确认。"
        "`state=pending`（默认）列出尚未确认送达的通知，最早的在前；"
        "`state=delivered` 列出已送达的，最新的在前。除市民编号外不含个人信息。"
        "需要 `registry_admin` 角色：未登录 401，角色不符 403。"
    ),
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
    return outbox_page(session, page=page, state=state, now=now)
