"""The mobile home screen: `GET /api/v1/me/overview` reads every service for the signed-in
citizen at once (DESIGN §9) and answers within one budget (`overview_budget_ms`).

The one read of each section (`overview_sections.SECTIONS`) starts together through the pooled
upstream clients, as the citizen (one internal token per service, as the proxy sends); a read
not answered when the budget runs out is cancelled and its section says `timeout`, a service
that cannot be reached says `unavailable`, and the others are complete: always a 200, with
`complete` false when a section is missing. Counted against the citizen's rate limit once.

An ordinary gateway route listed ahead of the federation proxy, like the data export, so that
`/api/v1/me/overview` is never taken for a service named "me".
"""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from gateway.auth.citizens import citizen_authorization
from gateway.auth.signout import bearer_token
from gateway.overview_sections import (
    CITY,
    SECTIONS,
    Failed,
    Outcome,
    Read,
    SectionStatus,
    read_outcome,
    section_result,
)
from gateway.state import StateDep
from gateway.upstreams import Upstreams
from servicekit.errors import UpstreamTimeout, UpstreamUnavailable
from servicekit.identity import WechatUser
from servicekit.openapi import CITIZEN

router = APIRouter(prefix="/api/v1/me", tags=["我的数据"])

Town = Annotated[
    str,
    Query(
        pattern=r"^[a-z]{2,32}$",
        description="天气所用镇街代码，如 dalang（见 /api/v1/weather/locations）；"
        "默认 dongguan（全市）",
    ),
]


class Section(BaseModel):
    """One service's part of the screen."""

    status: SectionStatus = Field(
        description="ok 已取得 | unavailable 服务不可用 | timeout 未在时限内答复"
    )
    data: dict[str, Any] | None = Field(
        default=None, description="该服务的答复（由服务脱敏）；不可用、超时或无可显示内容时为空"
    )
    detail: str | None = Field(
        default=None, description="给市民的说明：服务不可用或超时，或为何没有内容（如尚未绑定）"
    )


EXAMPLE: dict[str, Any] = {
    "complete": False,
    "town": "dalang",
    "traffic": {
        "status": "ok",
        "data": {
            "violations": {"items": [], "total": 1, "on": "2026-06-15", "amount_due_fen": 20000},
            "licence": None,
            "licence_detail": "您尚未绑定驾驶证，请先在“我的绑定”中用驾驶证号和档案编号绑定。",
        },
        "detail": None,
    },
    "socialsec": {"status": "timeout", "data": None, "detail": "社保服务响应超时，请稍后刷新。"},
    "weather": {
        "status": "ok",
        "data": {
            "location": {"code": "dalang", "name": "大朗镇"},
            "warnings": [],
            "issued_at": "2026-06-15T16:00:00+08:00",
            "today": {"date": "2026-06-15", "text": "多云转雷阵雨"},
        },
        "detail": None,
    },
    "accounts": {
        "status": "ok",
        "data": {"items": [{"code": "dgtq", "name": "东莞天气"}], "total": 1},
        "detail": None,
    },
    "inspection": {
        "status": "unavailable",
        "data": None,
        "detail": "特检服务暂时不可用，请稍后刷新。",
    },
}


class Overview(BaseModel):
    """The home screen: one section per service and whether every one of them came back."""

    model_config = ConfigDict(json_schema_extra={"examples": [EXAMPLE]})

    complete: bool = Field(description="true：每个部分都已取得（status 均为 ok）")
    town: str = Field(description="天气部分的镇街代码")
    traffic: Section = Field(
        description="交通违法（violations：最近 5 条与今日应缴合计）与驾驶证记分（licence）"
    )
    socialsec: Section = Field(
        description="社保卡状态（card）与最近一次已缴费（last_contribution）"
    )
    weather: Section = Field(description="本镇街今日天气（today）与生效中的预警信号（warnings）")
    accounts: Section = Field(description="关注的公众号（分页，最多 20 个）")
    inspection: Section = Field(description="未办结的报检申请（分页，最近 5 条）")


async def _read(
    upstreams: Upstreams,
    service: str,
    read: Read,
    *,
    town: str,
    authorization: str,
    deadline: float,
) -> Outcome:
    """The read of one section, given up at `deadline` (event-loop time)."""
    headers = [("authorization", authorization)] if read.personal else []
    remaining = deadline - asyncio.get_running_loop().time()
    try:
        # The upstream's own timeout lets its circuit breaker learn of a slow service; the
        # outer one holds the budget whatever the client library does.
        async with asyncio.timeout_at(deadline):
            answer = await upstreams.request(
                service,
                "GET",
                read.target(town),
                query=read.query,
                headers=headers,
                timeout=max(remaining, 0.001),
            )
    except (TimeoutError, UpstreamTimeout):
        return Failed("timeout")
    except UpstreamUnavailable:  # a circuit open included
        return Failed("unavailable")
    try:
        document = answer.json()
    except ValueError:
        document = None
    return read_outcome(read, answer.status, document)


async def gather_overview(
    upstreams: Upstreams,
    *,
    secret: str,
    citizen_id: str,
    wechat: WechatUser | None,
    town: str,
    budget_seconds: float,
) -> Overview:
    """Every section for the citizen, within `budget_seconds` in all."""
    deadline = asyncio.get_running_loop().time() + budget_seconds
    outcomes = await asyncio.gather(
        *(
            _read(
                upstreams,
                service,
                read,
                town=town,
                authorization=citizen_authorization(
                    secret=secret, citizen_id=citizen_id, service=service, wechat=wechat
                ),
                deadline=deadline,
            )
            for service, read in SECTIONS.items()
        )
    )
    sections = {
        service: Section(**vars(section_result(service, outcome)))
        for service, outcome in zip(SECTIONS, outcomes, strict=True)
    }
    return Overview(
        complete=all(s.status == "ok" for s in sections.values()), town=town, **sections
    )


@router.get(
    "/overview",
    operation_id="getOverview",
    response_model=Overview,
    openapi_extra={"security": [{CITIZEN: []}]},
    summary="首页概览：各服务的本人信息一次取回",
    description="同时读取各服务：交通违法应缴与驾驶证记分、社保卡状态与最近一次缴费、所选镇街今日"
    "天气与预警信号、关注的公众号、未办结的报检申请。各部分共用一个时限"
    "（GATEWAY_OVERVIEW_BUDGET_MS）：某服务不可用或超时，该部分标明 unavailable 或 timeout，"
    "其余部分照常返回（HTTP 200，complete 为 false）。需 `Authorization: Bearer <登录令牌>`。",
    responses={
        401: {"description": "缺少令牌，或令牌无效、过期、已吊销"},
        422: {"description": "town 不是镇街代码"},
        429: {"description": "请求过多，见 Retry-After"},
    },
)
async def overview(request: Request, state: StateDep, town: Town = CITY) -> Response:
    """The signed-in citizen's home screen."""
    token = await bearer_token(request, state.credentials)
    if state.rate_limits is not None:
        await state.rate_limits.check(f"citizen:{token.citizen_id}", "me", "overview")
    document = await gather_overview(
        state.upstreams,
        secret=state.internal_token_secret,
        citizen_id=token.citizen_id,
        wechat=token.wechat,
        town=town,
        budget_seconds=state.settings.overview_budget_ms / 1000,
    )
    # Serialised once by pydantic-core, not validated again on the way out.
    return Response(
        document.model_dump_json(),
        media_type="application/json",
        headers={"Cache-Control": "no-store"},
    )
