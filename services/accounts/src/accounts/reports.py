"""The operations report: what every active account did over a range of days, and its exports.

Flags: `no_push_30d` when an account pushed nothing in the last 30 days of the range;
`menu_driven` instead when it is a service account with a usable menu and no push at all in the
range (like 东莞特检, which serves through its menu and is not dormant).
"""

from __future__ import annotations

import csv
import io
from dataclasses import asdict
from datetime import date, datetime, timedelta
from typing import Literal

from pydantic import BaseModel, Field
from sqlmodel import Session

from accounts.statistics import (
    Likes,
    Reads,
    Shares,
    Totals,
    Wows,
    active_accounts,
    aggregate,
    first_followers_between,
    followers_on,
)

Flag = Literal["no_push_30d", "menu_driven"]
QUIET_DAYS = 30
FLAG_LABELS: dict[str, str] = {"no_push_30d": "近30天未推送", "menu_driven": "菜单服务型（无推送）"}
KIND_LABELS: dict[str | None, str] = {"subscription": "订阅号", "service": "服务号", None: "未知"}
BOM = "\ufeff"  # lets Excel recognise UTF-8 rather than guess a legacy code page


class OperationsRow(BaseModel):
    """One account's operations over the report's range."""

    code: str
    name: str
    kind: str | None
    pushes: int = Field(description="推送（群发）次数")
    push_days: int = Field(description="有推送的天数")
    articles: int = Field(description="文章数")
    reads: Reads
    likes: Likes
    wows: Wows
    shares: Shares
    followers_start: int | None = Field(description="期初粉丝数")
    followers_end: int | None = Field(description="期末粉丝数")
    follower_growth: int | None = Field(description="粉丝增长（期末 - 期初）")
    pushes_per_week: float = Field(description="周均推送次数")
    last_push_at: datetime | None = Field(description="范围内最近一次推送时间（北京时间）")
    flags: list[Flag] = Field(description="no_push_30d 近30天未推送；menu_driven 菜单服务型")


class OperationsReport(BaseModel):
    """Every active account's operations over start..end, most read first."""

    start: date
    end: date
    days: int
    items: list[OperationsRow]
    total: int


def flags_of(
    *, kind: str | None, has_menu: bool, pushes: int, last_push: date | None, end: date
) -> list[Flag]:
    """The flags of one account whose range ends on `end`."""
    if pushes == 0 and kind == "service" and has_menu:
        return ["menu_driven"]
    if last_push is None or last_push <= end - timedelta(days=QUIET_DAYS):
        return ["no_push_30d"]
    return []


def operations_report(*, session: Session, start: date, end: date) -> OperationsReport:
    """The operations of every active account over the local days start..end (inclusive)."""
    days = (end - start).days + 1
    totals = aggregate(session=session, start=start, end=end)
    at_end = followers_on(session=session, day=end)
    # The count at the start is the latest on or before it; an account counted only later in
    # the range starts from its first count.
    at_start = first_followers_between(session=session, start=start, end=end) | followers_on(
        session=session, day=start
    )
    rows = []
    for account in active_accounts(session=session):
        t = totals.get(account.code, Totals())
        first, last = at_start.get(account.code), at_end.get(account.code)
        last_push = t.last_published_at.date() if t.last_published_at else None
        flags = flags_of(
            kind=account.kind,
            has_menu=account.has_menu,
            pushes=t.pushes,
            last_push=last_push,
            end=end,
        )
        rows.append(
            OperationsRow(
                # The account's code, name and kind and the counts of `t`; pydantic ignores the
                # fields of both that a row does not show (menu, per-article bests, headlines).
                **asdict(account),
                **asdict(t),
                followers_start=first,
                followers_end=last,
                follower_growth=None if first is None or last is None else last - first,
                pushes_per_week=round(t.pushes * 7 / days, 2),
                last_push_at=t.last_published_at,
                flags=flags,
            )
        )
    rows.sort(key=lambda r: (-r.reads, r.code))
    return OperationsReport(start=start, end=end, days=days, items=rows, total=len(rows))


CSV_HEADER = (
    "账号代码",
    "公众号",
    "类型",
    "推送次数",
    "推送天数",
    "文章数",
    "阅读数",
    "点赞数",
    "在看数",
    "转发数",
    "期初粉丝数",
    "期末粉丝数",
    "粉丝增长",
    "周均推送次数",
    "最近推送时间",
    "标记",
)


def _cell(text: str) -> str:
    """A text cell that a spreadsheet shows as text, never runs as a formula."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _number(value: int | float | None) -> str:
    return "" if value is None else str(value)


def report_csv(report: OperationsReport) -> str:
    """The report as CSV text for spreadsheets: BOM, Chinese header, one row per account."""
    out = io.StringIO()
    out.write(BOM)
    writer = csv.writer(out)  # \r\n line ends, as spreadsheet software expects
    writer.writerow(CSV_HEADER)
    for r in report.items:
        writer.writerow(
            [
                _cell(r.code),
                _cell(r.name),
                KIND_LABELS.get(r.kind, r.kind or ""),
                *(_number(v) for v in (r.pushes, r.push_days, r.articles, r.reads, r.likes)),
                *(_number(v) for v in (r.wows, r.shares, r.followers_start, r.followers_end)),
                _number(r.follower_growth),
                _number(r.pushes_per_week),
                r.last_push_at.strftime("%Y-%m-%d %H:%M") if r.last_push_at else "",
                "；".join(FLAG_LABELS[f] for f in r.flags),
            ]
        )
    return out.getvalue()
