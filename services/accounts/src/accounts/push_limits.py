"""When an article may be pushed: WeChat's mass-send quotas and the requested time.

WeChat lets a subscription account mass-send once a day and a service account four times a
month, counted on the Asia/Shanghai calendar (the platform refuses more with 45009). The
registry does not always know an account's kind; such an account gets the subscription
account's stricter quota, which cannot be refused by the platform whichever it is.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from servicekit.clock import SHANGHAI

SUBSCRIPTION_PER_DAY = 1
SERVICE_PER_MONTH = 4
# A time a moment in the past (the editor's clock, the request's way here) still means "now".
PAST_GRACE = timedelta(minutes=1)
# WeChat keeps an uploaded article for 3 days; scheduling far ahead also books the quota early.
MAX_AHEAD = timedelta(days=90)


def quota_refusal(*, kind: str | None, send_at: datetime, booked: Sequence[datetime]) -> str | None:
    """Why a push at `send_at` would exceed the account's quota given the pushes already
    `booked` (their send times), in Chinese; None when it fits."""
    when = send_at.astimezone(SHANGHAI)
    days = [b.astimezone(SHANGHAI) for b in booked]
    if kind == "service":
        same_month = [d for d in days if (d.year, d.month) == (when.year, when.month)]
        if len(same_month) >= SERVICE_PER_MONTH:
            return (
                f"服务号每月最多群发 {SERVICE_PER_MONTH} 次，"
                f"{when.year}年{when.month}月已安排或已发送 {len(same_month)} 次。"
            )
        return None
    same_day = [d for d in days if d.date() == when.date()]
    if len(same_day) >= SUBSCRIPTION_PER_DAY:
        who = "订阅号" if kind == "subscription" else "未登记类型的公众号（按订阅号计）"
        return (
            f"{who}每天最多群发 {SUBSCRIPTION_PER_DAY} 次，"
            f"{when.month}月{when.day}日已安排或已发送群发。"
        )
    return None


def resolve_send_at(requested: datetime | None, *, now: datetime) -> datetime:
    """The push time in UTC, as stored: `requested` (a time without offset is Beijing time) or
    now when unset; ValueError (Chinese) for a time past or too far ahead."""
    if requested is None:
        return now.astimezone(UTC)
    if requested.tzinfo is None:
        requested = requested.replace(tzinfo=SHANGHAI)
    if requested < now - PAST_GRACE:
        raise ValueError("推送时间不能早于现在。")
    if requested > now + MAX_AHEAD:
        raise ValueError(f"推送时间最多提前 {MAX_AHEAD.days} 天安排。")
    return max(requested, now).astimezone(UTC)
