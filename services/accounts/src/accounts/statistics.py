"""Article statistics aggregated per account over a range of local days, in SQL.

Rankings and the operations report both start here: one GROUP BY over the articles of the
range (the (account_code, published_at) index serves it), never a loop over articles in Python.
Times are stored in UTC; days are Asia/Shanghai calendar days.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any

from pydantic import Field
from sqlalchemy import ColumnElement, Integer, and_, case, cast, distinct, extract, func, select
from sqlmodel import Session

from accounts.clock import local
from accounts.models import Account, Article, ChatConfig, FollowerCount
from servicekit.clock import SHANGHAI

DAY = 86_400
WEEK = 7 * DAY

# The counts of an article, or of a range's articles, as public models describe them.
Reads = Annotated[int, Field(description="阅读数（10万+ 计为 100001）")]
Likes = Annotated[int, Field(description="点赞数")]
Wows = Annotated[int, Field(description="在看数")]
Shares = Annotated[int, Field(description="转发数")]


@dataclass(frozen=True)
class Totals:
    """What one account published in a range and how it was received."""

    articles: int = 0
    pushes: int = 0
    push_days: int = 0
    active_weeks: int = 0
    reads: int = 0
    likes: int = 0
    wows: int = 0
    shares: int = 0
    max_reads: int = 0
    max_likes: int = 0
    max_wows: int = 0
    max_shares: int = 0
    headline_reads: int = 0
    headline_likes: int = 0
    headline_wows: int = 0
    headline_shares: int = 0
    last_published_at: datetime | None = None


@dataclass(frozen=True)
class ActiveAccount:
    """An active account as rankings and reports list it."""

    code: str
    name: str
    kind: str | None
    has_menu: bool
    registered_followers: int | None


def day_start(day: date) -> datetime:
    """The UTC moment at which the local (Asia/Shanghai) `day` begins."""
    return datetime.combine(day, time(), SHANGHAI).astimezone(UTC)


def _buckets(dialect: str, start: date, seconds: int) -> ColumnElement[Any]:
    """Which `seconds`-long bucket from the range's local start an article falls in (0 = first).

    Counted on whole seconds since the epoch, so day and week boundaries are exact, and cheaper
    than calendar functions per row (this runs over every article of the range).
    """
    origin = int(day_start(start).timestamp())
    if dialect == "postgresql":
        return func.floor((extract("epoch", Article.published_at) - origin) / seconds)
    # SQLite keeps UTC text; `//` of integers is SQLite's integer division (floor here).
    return (cast(func.strftime("%s", Article.published_at), Integer) - origin) // seconds


def _headline(column: Any) -> ColumnElement[Any]:
    return func.sum(case((Article.is_headline, column), else_=0))


def aggregate(
    *, session: Session, start: date, end: date, calendar: bool = True
) -> dict[str, Totals]:
    """Totals per account code of the articles published on local days start..end (inclusive).

    Without `calendar`, push_days and active_weeks are left 0 (their per-row bucketing is the
    costliest part, and WCI rankings do not need them).
    """
    dialect = session.get_bind().dialect.name
    counted = (
        [
            func.count(distinct(_buckets(dialect, start, DAY))).label("push_days"),
            func.count(distinct(_buckets(dialect, start, WEEK))).label("active_weeks"),
        ]
        if calendar
        else []
    )
    query = (
        select(
            Article.account_code,
            func.count().label("articles"),
            func.count(distinct(Article.published_at)).label("pushes"),
            *counted,
            func.sum(Article.reads).label("reads"),
            func.sum(Article.likes).label("likes"),
            func.sum(Article.wows).label("wows"),
            func.sum(Article.shares).label("shares"),
            func.max(Article.reads).label("max_reads"),
            func.max(Article.likes).label("max_likes"),
            func.max(Article.wows).label("max_wows"),
            func.max(Article.shares).label("max_shares"),
            _headline(Article.reads).label("headline_reads"),
            _headline(Article.likes).label("headline_likes"),
            _headline(Article.wows).label("headline_wows"),
            _headline(Article.shares).label("headline_shares"),
            func.max(Article.published_at).label("last_published_at"),
        )
        .where(
            Article.published_at >= day_start(start),
            Article.published_at < day_start(end + timedelta(days=1)),
        )
        .group_by(Article.account_code)
    )
    out: dict[str, Totals] = {}
    for row in session.execute(query).mappings():
        values = {
            k: int(v) for k, v in row.items() if k not in ("account_code", "last_published_at")
        }
        out[row["account_code"]] = Totals(
            **values, last_published_at=local(row["last_published_at"])
        )
    return out


def followers_on(*, session: Session, day: date) -> dict[str, int]:
    """Followers per account at the end of `day`: its latest FollowerCount on or before it."""
    # One index seek per account on the (account_code, day) key, rather than grouping every
    # count of every account up to that day.
    latest = (
        select(FollowerCount.followers)
        .where(FollowerCount.account_code == Account.code, FollowerCount.day <= day)
        .order_by(FollowerCount.day.desc())
        .limit(1)
        .correlate(Account)
        .scalar_subquery()
    )
    rows = session.execute(select(Account.code, latest)).all()
    return {code: followers for code, followers in rows if followers is not None}


def first_followers_between(*, session: Session, start: date, end: date) -> dict[str, int]:
    """Followers per account on its earliest FollowerCount day within start..end."""
    first = (
        select(FollowerCount.account_code, func.min(FollowerCount.day).label("day"))
        .where(FollowerCount.day >= start, FollowerCount.day <= end)
        .group_by(FollowerCount.account_code)
        .subquery()
    )
    query = select(FollowerCount.account_code, FollowerCount.followers).join(
        first,
        and_(FollowerCount.account_code == first.c.account_code, FollowerCount.day == first.c.day),
    )
    return {code: followers for code, followers in session.execute(query).all()}


def menu_available(*, kind: str | None, configured: bool, menu: Any) -> bool:
    """Whether citizens can use the account through its custom menu.

    A configured chat menu decides. Without any chat configuration, a service account is taken
    to work through its menu (服务号 offer menus and APIs; the source article's 东莞特检 works
    only that way) and a subscription account not.
    """
    if not configured:
        return kind == "service"
    buttons = menu.get("button") if isinstance(menu, Mapping) else menu
    return bool(buttons)


def active_accounts(*, session: Session) -> list[ActiveAccount]:
    """Every active account, by code, with whether it offers a custom menu."""
    menus = dict(session.execute(select(ChatConfig.account_code, ChatConfig.menu)).all())
    rows = session.execute(
        select(Account.code, Account.name, Account.kind, Account.followers)
        .where(Account.status == "active")
        .order_by(Account.code)
    ).all()
    return [
        ActiveAccount(
            code=code,
            name=name,
            kind=kind,
            has_menu=menu_available(kind=kind, configured=code in menus, menu=menus.get(code)),
            registered_followers=followers,
        )
        for code, name, kind, followers in rows
    ]
