"""A citizen's data export (PIPL Art. 45): `GET /api/v1/me/export` gathers what every service
holds on the signed-in citizen into one JSON document, offered as a download.

Each service answers its own `GET /v1/internal/export` (servicekit.export) when called with the
gateway's service token and, in `X-Citizen-Authorization`, the citizen's internal token; it
writes the export to its access log. The gateway calls them all at once within
`BUDGET_SECONDS` and hands the document over only whole: a service that cannot be reached,
answers late, answers anything but 200 with a JSON object makes the export a 503 problem naming
it, never a partial export presented as complete.

An ordinary gateway route listed ahead of the federation proxy, like the sign-in routes, so
that `/api/v1/me/export` is never taken for a service named "me".
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from gateway.auth.citizens import citizen_authorization
from gateway.auth.signout import bearer_token
from gateway.settings import SERVICES
from gateway.state import StateDep
from gateway.upstreams import Upstreams
from servicekit.answers import CITIZEN_HEADER
from servicekit.clock import local, utcnow
from servicekit.errors import Problem, UpstreamUnavailable
from servicekit.identity import service_token
from servicekit.openapi import CITIZEN

log = logging.getLogger("gateway.export")

EXPORT_PATH = "/v1/internal/export"
# A service gathers every record it holds on one citizen: longer than an ordinary call's 5 s,
# well within what a person waits for a download.
BUDGET_SECONDS = 15.0
RETRY_AFTER_SECONDS = "30"

router = APIRouter(prefix="/api/v1/me", tags=["我的数据"])


class ExportRefused(Exception):
    """A service answered its export with something other than 200 and a JSON object."""


async def service_export(
    upstreams: Upstreams, service: str, *, secret: str, citizen_id: str
) -> dict[str, Any]:
    """What `service` holds on the citizen (ExportRefused, UpstreamUnavailable or
    UpstreamTimeout when it does not say)."""
    token = service_token(secret=secret, caller="gateway", audience=service)
    citizen = citizen_authorization(secret=secret, citizen_id=citizen_id, service=service)
    answer = await upstreams.request(
        service,
        "GET",
        EXPORT_PATH,
        headers=[("authorization", f"Bearer {token}"), (CITIZEN_HEADER, citizen)],
        timeout=BUDGET_SECONDS,
    )
    if answer.status != 200:
        raise ExportRefused(f"{service} answered {answer.status}")
    try:
        sections = answer.json()
    except ValueError:
        raise ExportRefused(f"{service} answered no JSON") from None
    if not isinstance(sections, dict):
        raise ExportRefused(f"{service} answered no JSON object")
    return sections


async def gather_export(
    upstreams: Upstreams, *, secret: str, citizen_id: str, services: tuple[str, ...] = SERVICES
) -> dict[str, Any]:
    """The export document of the citizen, every service's section in it; a 503 problem
    naming the services that did not answer (their sections are never left out silently)."""
    results = await asyncio.gather(
        *(service_export(upstreams, s, secret=secret, citizen_id=citizen_id) for s in services),
        return_exceptions=True,
    )
    failed = []
    for service, result in zip(services, results, strict=True):
        if isinstance(result, Problem | ExportRefused):
            log.warning("data export: %s failed: %s", service, result)
            failed.append(service)
        elif isinstance(result, BaseException):
            raise result
    if failed:
        raise UpstreamUnavailable(
            f"暂时无法导出完整的个人数据（{'、'.join(failed)} 未能提供），请稍后再试。",
            headers={"Retry-After": RETRY_AFTER_SECONDS},
        )
    return {
        "citizen_id": citizen_id,
        "generated_at": local(utcnow()).isoformat(),
        "services": dict(zip(services, results, strict=True)),
    }


@router.get(
    "/export",
    operation_id="exportMyData",
    openapi_extra={"security": [{CITIZEN: []}]},
    summary="导出我的个人数据（个人信息保护法第四十五条）",
    description="汇总各服务保存的本人数据（绑定、记录、缴款、授权、访问记录等），未脱敏，"
    "作为 JSON 文件下载；每个服务把本次导出记入本人的访问记录（数据导出）。"
    "需 `Authorization: Bearer <登录令牌>`。任一服务未能提供时返回 503（不提供不完整的导出）。",
    responses={
        200: {"description": "JSON 文件：citizen_id、generated_at、services（各服务一节）"},
        401: {"description": "缺少令牌，或令牌无效、过期、已吊销"},
        429: {"description": "请求过多，见 Retry-After"},
        503: {"description": "有服务未能提供数据，稍后再试（见 Retry-After）"},
    },
)
async def export(request: Request, state: StateDep) -> Response:
    """Everything the suite holds on the signed-in citizen, as one downloadable document."""
    token = await bearer_token(request, state.credentials)
    if state.rate_limits is not None:
        await state.rate_limits.check(f"citizen:{token.citizen_id}", "me", "export")
    document = await gather_export(
        state.upstreams, secret=state.internal_token_secret, citizen_id=token.citizen_id
    )
    day = document["generated_at"][:10].replace("-", "")
    return Response(
        json.dumps(document, ensure_ascii=False, indent=1).encode(),
        media_type="application/json",
        headers={
            "Content-Disposition": f'attachment; filename="guanwei-personal-data-{day}.json"',
            "Cache-Control": "no-store",
        },
    )
