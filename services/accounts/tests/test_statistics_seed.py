"""The synthetic statistics: deterministic, realistic per kind of account, idempotent."""

from collections import Counter
from datetime import UTC, date, timedelta

import pytest
from sqlalchemy import func, select
from sqlmodel import Session

from accounts.models import Article, FollowerCount
from accounts.registry_seed import seed_registry
from accounts.statistics_seed import (
    SEED_DAYS,
    day_articles,
    december_2014_articles,
    followers_on_day,
    profile_of,
    seed_statistics,
)
from servicekit.db import make_engine

DAYS = [date(2025, 1, 1) + timedelta(days=n) for n in range(365)]


def year_of(code: str, kind: str | None, category: str = "misc", followers: int | None = None):  # type: ignore[no-untyped-def]
    profile = profile_of(code=code, kind=kind, category=category, followers=followers)
    return [a for day in DAYS for a in day_articles(profile, day)]


def local_days(articles: list[dict]) -> list[date]:
    return [(a["published_at"] + timedelta(hours=8)).date() for a in articles]


def test_the_same_day_always_gets_the_same_articles() -> None:
    profile = profile_of(code="dgfb", kind="subscription", category="news", followers=None)
    assert day_articles(profile, date(2025, 3, 1)) == day_articles(profile, date(2025, 3, 1))
    assert profile == profile_of(code="dgfb", kind="subscription", category="news", followers=None)


def test_subscription_accounts_push_about_daily_with_one_headline() -> None:
    articles = year_of("dgfb", "subscription", followers=50_000)
    per_day = Counter(local_days(articles))
    assert 0.75 * 365 <= len(per_day) <= 0.95 * 365
    assert max(per_day.values()) <= 4
    headlines = Counter(
        d for d, a in zip(local_days(articles), articles, strict=True) if a["is_headline"]
    )
    assert headlines == Counter(dict.fromkeys(per_day, 1))


def test_service_accounts_push_at_most_four_days_a_month() -> None:
    per_month = Counter((d.year, d.month) for d in set(local_days(year_of("dggaj", "service"))))
    assert len(per_month) == 12 and max(per_month.values()) <= 4


def test_the_menu_only_account_never_pushes() -> None:
    assert year_of("dgtj", "service") == []


def test_the_weather_account_pushes_one_bulletin_a_day_at_four() -> None:
    articles = year_of("dgtq", "subscription", "weather", 36_000)
    assert len(articles) == 365 and len(set(local_days(articles))) == 365
    assert {(a["published_at"] + timedelta(hours=8)).hour for a in articles} == {16}
    median = sorted(a["reads"] for a in articles)[182]
    assert 3000 <= median <= 5500  # "一般的阅读量也在4000左右", growing a little


def test_the_town_account_pushes_about_three_times_a_week() -> None:
    weeks = len(set(local_days(year_of("lxdl", "subscription", "town", 7000)))) / 52
    assert 2.5 <= weeks <= 3.5


def test_figures_scale_with_followers_and_likes_are_a_small_share_of_reads() -> None:
    small = year_of("a", "subscription", followers=5_000)
    big = year_of("a", "subscription", followers=500_000)
    assert sum(a["reads"] for a in big) > 50 * sum(a["reads"] for a in small)
    for a in big:
        assert a["reads"] <= 100001
        assert round(a["reads"] * 0.003) <= a["likes"] <= round(a["reads"] * 0.01)


def test_followers_grow_steadily() -> None:
    profile = profile_of(code="dgjj", kind="service", category="traffic", followers=320_000)
    assert followers_on_day(profile, date(2026, 1, 1)) == 320_000
    assert followers_on_day(profile, date(2026, 6, 1)) > 320_000


def test_the_article_of_december_2014() -> None:
    rows = december_2014_articles()
    lxdl = {
        (a["published_at"] + timedelta(hours=8)).date(): a
        for a in rows
        if a["account_code"] == "lxdl"
    }
    assert (lxdl[date(2014, 12, 18)]["reads"], lxdl[date(2014, 12, 18)]["likes"]) == (13075, 40)
    assert lxdl[date(2014, 12, 19)]["reads"] == 2094
    assert 10 <= len(lxdl) <= 17  # about three a week
    weather = [a for a in rows if a["account_code"] == "dgtq"]
    assert len(weather) == 31 and max(a["reads"] for a in weather) == 7029
    assert all(3300 <= a["reads"] <= 4700 for a in weather if a["reads"] != 7029)
    assert all(a["published_at"].tzinfo is UTC for a in rows)


@pytest.mark.slow
def test_seeding_twice_changes_nothing(migrated_database_url: str) -> None:
    engine = make_engine(migrated_database_url)
    until = date(2025, 6, 30)
    with Session(engine) as session:
        seed_registry(session=session)
        first = seed_statistics(session=session, until=until)

        def snapshot() -> tuple[int, int, int]:
            articles = session.execute(select(func.count(), func.sum(Article.reads))).one()
            counts = session.execute(select(func.count()).select_from(FollowerCount)).scalar_one()
            return (articles[0], articles[1], counts)

        before = snapshot()
        assert seed_statistics(session=session, until=until) == first
        assert snapshot() == before
        dgtj = session.execute(select(func.count()).where(Article.account_code == "dgtj"))
        assert dgtj.scalar_one() == 0
        days = session.execute(
            select(func.min(FollowerCount.day), func.max(FollowerCount.day))
        ).one()
        assert tuple(days) == (until - timedelta(days=SEED_DAYS - 1), until)
    engine.dispose()
