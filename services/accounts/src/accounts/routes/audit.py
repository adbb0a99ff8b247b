"""`/v1/audit`: the trail of staff writes, for registry admins."""

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, field_validator
from sqlmodel import col, select

from accounts.clock import local
from accounts.models import AuditEntry
from accounts.staff import registry_admin
from servicekit.deps import Page, PageDep, SessionDep, paginate

router = APIRouter(prefix="/v1/audit", tags=["audit"])


class AuditEntryPublic(BaseModel):
    """One staff write."""

    id: int
    at: datetime
    actor: str
    action: str
    entity: str
    entity_id: str
    request_id: str
    changes: dict[str, Any]

    @field_validator("at")
    @classmethod
    def _local(cls, value: datetime) -> datetime:
        return local(value)


@router.get(
    "",
    response_model=Page[AuditEntryPublic],
    summary="审计日志",
    description=(
        "工作人员写操作的记录，最新的在前；`changes` 为 {字段: [旧值, 新值]}。"
        "需要 `registry_admin` 角色：未登录 401，角色不符 403。"
    ),
    dependencies=[Depends(registry_admin)],
)
def list_audit(
    session: SessionDep,
    page: PageDep,
    entity: Annotated[
        str | None, Query(description="account | menu | keyword_rules | welcome")
    ] = None,
    entity_id: Annotated[str | None, Query(description="记录的标识，如账号代码 dgjj")] = None,
) -> Page[AuditEntryPublic]:
    """Audit entries, optionally for one entity or record, newest first."""
    query = select(AuditEntry)
    if entity:
        query = query.where(AuditEntry.entity == entity)
    if entity_id:
        query = query.where(AuditEntry.entity_id == entity_id)
    return paginate(
        session, query, page, order_by=col(AuditEntry.id).desc(), public=AuditEntryPublic
    )
