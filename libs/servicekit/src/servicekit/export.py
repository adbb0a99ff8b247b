"""A citizen's data export (PIPL Art. 45): what a service holds on them, unmasked, for them alone.

The gateway's `GET /api/v1/me/export` calls every service's `GET /v1/internal/export` with its
service token and, in `X-Citizen-Authorization`, the signed-in citizen's internal token (as for
chat answers, servicekit.answers). The service answers `PersonalData`: named sections, each a
list of records as stored (identifiers in full, times in Asia/Shanghai), all about the citizen
of that token and no one else; a service holding nothing personal answers `{}`. The read is
written to the service's access log as 数据导出 before the records are gathered, so the export
holds its own row. A service mounts it with::

    router = export_router(personal_data, access_log=ACCESS_LOG)
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from sqlalchemy import inspect as sa_inspect
from sqlmodel import Session, SQLModel, select

from servicekit.access_log import (
    CITIZEN_READER,
    EXPORT_RESOURCE,
    AccessLogTable,
    Reading,
    request_id_of,
)
from servicekit.answers import ChatCitizenDep, GatewayCaller
from servicekit.clock import NowDep, local
from servicekit.deps import SessionDep
from servicekit.errors import Unauthorized

PersonalData = dict[str, list[dict[str, Any]]]
Collect = Callable[[Session, str], PersonalData]


def exported(rows: Iterable[SQLModel]) -> list[dict[str, Any]]:
    """Rows as records of every column, times in Asia/Shanghai."""
    return [
        {k: local(v) if isinstance(v, datetime) else v for k, v in row.model_dump().items()}
        for row in rows
    ]


def records(session: Session, table: type[SQLModel], *where: Any) -> list[dict[str, Any]]:
    """The rows of `table` matching every condition of `where`, in key order, as records."""
    key = list(sa_inspect(table).primary_key)
    return exported(session.exec(select(table).where(*where).order_by(*key)).all())


def export_reading(
    request: Request, _: GatewayCaller, citizen: ChatCitizenDep, now: NowDep
) -> Reading:
    """FastAPI dependency: the citizen whose data the gateway exports, reading it themself."""
    if citizen is None:
        raise Unauthorized("导出个人数据需要市民本人的身份令牌。")
    return Reading(citizen.subject, CITIZEN_READER, request_id_of(request), now)


ExportReadingDep = Annotated[Reading, Depends(export_reading)]


def nothing_personal(session: Session, citizen_id: str) -> PersonalData:
    """What a service that keeps no record of any citizen holds on one: nothing."""
    return {}


def export_router(collect: Collect, *, access_log: AccessLogTable | None) -> APIRouter:
    """`GET /v1/internal/export`: `collect(session, citizen_id)`, the export logged in
    `access_log` (None: the service holds nothing personal, so it logs nothing)."""
    router = APIRouter(prefix="/v1/internal/export", tags=["internal"])

    @router.get(
        "",
        summary="导出市民本人的个人数据（仅网关调用）",
        responses={
            401: {"description": "缺少或无效的服务令牌、市民令牌"},
            403: {"description": "调用方不是网关，或市民令牌不是市民本人的"},
        },
    )
    def export(reading: ExportReadingDep, session: SessionDep) -> PersonalData:
        """Everything this service holds on the citizen of `X-Citizen-Authorization`, unmasked,
        as named lists of records; the read is access-logged as 数据导出."""
        if access_log is not None:
            access_log.record(session, reading, EXPORT_RESOURCE)
        return collect(session, reading.citizen_id)

    return router
