"""`/v1/audit`: the trail of staff writes, for forecasters."""

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, field_validator
from sqlmodel import col, select

from servicekit.clock import local
from servicekit.deps import Page, PageDep, SessionDep, paginate
from weather.models import AuditEntry
from weather.staff import forecaster

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
        "工作人员（及系统导入）写操作的记录，最新的在前；`changes` 为 {字段: [旧值, 新值]}。"
        "需要 `forecaster` 角色：未登录 401，角色不符 403。"
    ),
    dependencies=[Depends(forecaster)],
)
def list_audit(
    session: SessionDep,
    page: PageDep,
    entity: Annotated[str | None, Query(description="issuance | warning | bulletin")] = None,
    entity_id: Annotated[str | None, Query(description="记录的标识，如发布编号或日期")] = None,
) -> Page[AuditEntryPublic]:
    """Audit entries, optionally of one entity or record, newest first."""
    query = select(AuditEntry)
    if entity:
        query = query.where(AuditEntry.entity == entity)
    if entity_id:
        query = query.where(AuditEntry.entity_id == entity_id)
    return paginate(
        session, query, page, order_by=col(AuditEntry.id).desc(), public=AuditEntryPublic
    )
