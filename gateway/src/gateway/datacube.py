"""`GET /internal/wechat/{account_code}/datacube/{api}?date=YYYY-MM-DD`: the platform's data APIs
for one day, on behalf of a service (accounts imports its statistics daily).

The gateway owns the account's credentials (DESIGN §1, §7), so it makes the call; the answer is
the platform's own `{"list": [...]}` for that day, by WeChat's field names, which the service
reads. `api` is one of `getarticlesummary` (each mass-sent article read that day, with the day's
reads, shares and favourites), `getarticletotal` (the articles sent that day, with running
totals), `getusersummary` (new and cancelled followers), `getusercumulate` (followers at the end
of the day). Callers as for the other internal routes (`gateway.internal.internal_caller`). A
platform refusal is a 502 problem naming WeChat's errcode, e.g. 61501 for a day not yet over.
"""

from __future__ import annotations

import logging
from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel

from gateway.internal import CallerDep
from gateway.platform import PlatformError
from gateway.state import StateDep
from servicekit.errors import NotFound, Problem

log = logging.getLogger("gateway.datacube")

router = APIRouter(prefix="/internal", include_in_schema=False)

DataApi = Literal["getarticlesummary", "getarticletotal", "getusersummary", "getusercumulate"]


class PlatformRefused(Problem, status=502):
    """The platform refused the data call (its errcode is in the detail)."""


class DatacubeOut(BaseModel):
    """The platform's answer for one day."""

    date: date
    list: list[dict[str, Any]]


@router.get("/wechat/{account_code}/datacube/{api}", response_model=DatacubeOut)
async def datacube(
    account_code: str,
    api: DataApi,
    day: Annotated[date, Query(alias="date", description="the China day, YYYY-MM-DD")],
    caller: CallerDep,
    state: StateDep,
) -> DatacubeOut:
    """The data API `api` of the account for the day `date`."""
    platform = state.platform
    if account_code not in platform.accounts:
        raise NotFound(f"网关未配置公众号 {account_code}。")
    try:
        items = await platform.datacube(account_code, api, day, day)
    except PlatformError as exc:
        log.warning("%s for %s refused: %s %s", api, account_code, exc.errcode, exc.errmsg)
        raise PlatformRefused(
            f"微信平台拒绝了数据查询：errcode {exc.errcode}（{exc.errmsg}）"
        ) from None
    log.info("%s for %s on %s by %s: %d items", api, account_code, day, caller.issuer, len(items))
    return DatacubeOut(date=day, list=[item for item in items if isinstance(item, dict)])
