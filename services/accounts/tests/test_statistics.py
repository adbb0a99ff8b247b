"""Aggregation in SQL: local days, push days and active weeks counted exactly at boundaries."""

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import insert
from sqlmodel import Session

from accounts.models import Account, Article, ChatConfig
from accounts.statistics import active_accounts, aggregate, day_start, menu_available
from servicekit.db import make_engine

BEIJING = timedelta(hours=8)


def article(code: str, local: str, n: int, reads: int, headline: bool = True) -> dict:
    moment = datetime.fromisoformat(local).replace(tzinfo=UTC) - BEIJING
    return {
        "account_code": code,
        "published_at": moment,
        "title": "标题",
        "url": f"https://x.cn/{code}/{n}",
        "is_headline": headline,
        "reads": reads,
        "likes": reads // 100,
        "wows": reads // 200,
        "shares": reads // 50,
    }


def test_day_start_is_beijing_midnight_in_utc() -> None:
    assert day_start(date(2014, 12, 18)) == datetime(2014, 12, 17, 16, tzinfo=UTC)


@pytest.mark.slow
def test_aggregate_counts_local_days_and_weeks_exactly(migrated_database_url: str) -> None:
    engine = make_engine(migrated_database_url)
    with Session(engine) as session:
        session.add(Account(code="a", name="甲", category="x", description=""))
        session.add(Account(code="b", name="乙", category="x", description=""))
        session.commit()
        rows = [
            article("a", "2025-02-28 23:59:59", 0, 999),  # the day before: outside
            article("a", "2025-03-01 00:00:00", 1, 100),
            article("a", "2025-03-01 00:00:00", 2, 50, headline=False),  # same push
            article("a", "2025-03-01 23:59:59", 3, 200),
            article("a", "2025-03-07 23:59:59", 4, 300),  # last second of week 1
            article("a", "2025-03-08 00:00:00", 5, 400),  # first second of week 2
            article("a", "2025-03-14 23:59:59", 6, 500),  # last second of the range
            article("a", "2025-03-15 00:00:00", 7, 999),  # the day after: outside
            article("b", "2025-03-10 16:00:00", 8, 4000),
        ]
        session.execute(insert(Article), rows)
        session.commit()
        totals = aggregate(session=session, start=date(2025, 3, 1), end=date(2025, 3, 14))
        quick = aggregate(
            session=session, start=date(2025, 3, 1), end=date(2025, 3, 14), calendar=False
        )
    engine.dispose()
    a = totals["a"]
    assert (a.articles, a.pushes, a.push_days, a.active_weeks) == (6, 5, 4, 2)
    assert (a.reads, a.max_reads, a.headline_reads) == (1550, 500, 1500)
    assert (a.likes, a.wows, a.shares) == (15, 6, 31)
    assert a.last_published_at == datetime.fromisoformat("2025-03-14T23:59:59+08:00")
    assert (totals["b"].push_days, totals["b"].active_weeks) == (1, 1)
    assert (quick["a"].push_days, quick["a"].active_weeks, quick["a"].reads) == (0, 0, 1550)


def test_menu_availability() -> None:
    menu = {"button": [{"type": "click", "name": "业务查询", "key": "Q"}]}
    assert menu_available(kind="service", configured=True, menu=menu)
    assert menu_available(kind="subscription", configured=True, menu=menu)
    assert not menu_available(kind="service", configured=True, menu=None)
    assert not menu_available(kind="service", configured=True, menu={"button": []})
    # Without any chat configuration, service accounts are taken to work through a menu.
    assert menu_available(kind="service", configured=False, menu=None)
    assert not menu_available(kind="subscription", configured=False, menu=None)
    assert not menu_available(kind=None, configured=False, menu=None)


def test_active_accounts_leave_retired_ones_out(migrated_database_url: str) -> None:
    engine = make_engine(migrated_database_url)
    with Session(engine) as session:
        session.add(Account(code="a", name="甲", kind="service", category="x", description=""))
        session.add(Account(code="r", name="丙", category="x", description="", status="retired"))
        session.add(Account(code="s", name="乙", kind="service", category="x", description=""))
        session.commit()
        session.add(ChatConfig(account_code="s", menu=None))
        session.commit()
        accounts = active_accounts(session=session)
    engine.dispose()
    assert [(a.code, a.has_menu) for a in accounts] == [("a", True), ("s", False)]
