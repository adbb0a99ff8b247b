"""Followers: subscribe/unsubscribe events from the gateway, and public counts per day."""

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from accounts.day_range import DayRange
from accounts.followers import FollowerEventIn, follower_counts, record_follower_event
from servicekit.deps import SessionDep
from servicekit.identity import requires_caller

router = APIRouter(tags=["followers"])
DEFAULT_DAYS = 30
MAX_DAYS = 366
FOLLOWER_RANGE = DayRange(
    default_days=DEFAULT_DAYS,
    max_days=MAX_DAYS,
    too_long=f"查询范围最多 {MAX_DAYS} 天。",
    reversed=("起始日期不能晚于结束日期。", "from 晚于 to"),
    error_type="range",
)
From = Annotated[date | None, Query(alias="from", description="起始日期，默认结束日期前 29 天")]
To = Annotated[date | None, Query(alias="to", description="结束日期，默认今天")]


class FollowerEventResult(BaseModel):
    """Whether the event was new, and what it did."""

    result: Literal["new", "duplicate"]
    follower_changed: bool = Field(
        description="粉丝状态是否因此改变（重复、过期或无效事件为 false）"
    )
    subscribed: bool = Field(description="处理后该 openid 是否关注")
    citizen_id: str | None = Field(description="该 openid 对应的市民 ID；未知时为空")


class FollowerDay(BaseModel):
    """Followers at the end of one Asia/Shanghai day."""

    day: date
    followers: int


class FollowerCounts(BaseModel):
    """Follower counts of one account per day (aggregates only, never openids)."""

    account_code: str
    from_: date = Field(serialization_alias="from")
    to: date
    items: list[FollowerDay]


@router.post(
    "/v1/internal/followers/events",
    summary="关注/取消关注事件",
    tags=["internal"],
    dependencies=[requires_caller("gateway")],
)
def post_follower_event(body: FollowerEventIn, session: SessionDep) -> FollowerEventResult:
    """Apply one event once; the same event delivered again is reported as a duplicate."""
    outcome = record_follower_event(session, body)
    return FollowerEventResult(
        result="duplicate" if outcome.duplicate else "new",
        follower_changed=outcome.follower_changed,
        subscribed=outcome.subscribed,
        citizen_id=outcome.citizen_id,
    )


@router.get("/v1/accounts/{code}/followers", summary="公众号每日粉丝数")
def get_follower_counts(
    code: str, session: SessionDep, start: From = None, end: To = None
) -> FollowerCounts:
    """Followers at the end of each day in the range; days before the first record are left out."""
    start, end = FOLLOWER_RANGE.resolve(start, end)
    days = follower_counts(session, account_code=code, start=start, end=end)
    return FollowerCounts(
        account_code=code,
        from_=start,
        to=end,
        items=[FollowerDay(day=day, followers=followers) for day, followers in days],
    )
