"""Ranking bench: a month ranking over 100 accounts with 3 articles a day for a year.

Builds its own temporary SQLite database (migrated like the service's), bulk-inserts 100 active
accounts, 3 articles per account per day for 365 days (109,500 articles) and daily follower
counts, then times a month ranking — the current and the previous 30 days, every active account
— through the domain function the endpoint calls (`accounts.rankings.rank`) and through the HTTP
app in process (FastAPI TestClient: routing, validation, JSON), for each formula. Prints the
median over `--repeat` runs and its ratio to the 200 ms target; never asserts (DESIGN §9).

    .venv/bin/python bench/ranking.py [--repeat 15] [--accounts 100] [--days 365]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import insert
from sqlmodel import Session

from accounts.main import create_app
from accounts.models import Account, Article, FollowerCount
from accounts.rankings import FORMULAS, rank
from accounts.settings import AccountsSettings
from servicekit.db import make_engine, upgrade
from servicekit.settings import SharedSettings

TARGET_MS = 200.0
ARTICLES_PER_DAY = 3
END = date(2026, 6, 30)


def build(url: str, *, accounts: int, days: int) -> int:
    """Migrate and fill the database; return the number of articles."""
    upgrade("accounts", url)
    rng = random.Random(20141218)
    engine = make_engine(url)
    first = END - timedelta(days=days - 1)
    with Session(engine) as session:
        codes = [f"acct{n:03d}" for n in range(accounts)]
        session.execute(
            insert(Account),
            [
                {
                    "code": code,
                    "name": f"测试公众号{n}",
                    "kind": "service" if n % 5 == 0 else "subscription",
                    "category": "bench",
                    "description": "bench",
                    "status": "active",
                }
                for n, code in enumerate(codes)
            ],
        )
        rows = []
        for code in codes:
            for d in range(days):
                day = first + timedelta(days=d)
                at = datetime(day.year, day.month, day.day, 2, tzinfo=UTC)  # 10:00 Beijing time
                for i in range(ARTICLES_PER_DAY):
                    reads = rng.randint(100, 20000)
                    rows.append(
                        {
                            "account_code": code,
                            "published_at": at,
                            "title": "标题",
                            "url": f"https://mp.weixin.qq.com/s/{code}-{day:%Y%m%d}-{i}",
                            "is_headline": i == 0,
                            "reads": reads,
                            "likes": reads // 150,
                            "wows": reads // 400,
                            "shares": reads // 40,
                        }
                    )
        for start in range(0, len(rows), 20000):
            session.execute(insert(Article), rows[start : start + 20000])
        session.execute(
            insert(FollowerCount),
            [
                {"account_code": code, "day": first + timedelta(days=d), "followers": 10000 + d}
                for code in codes
                for d in range(days)
            ],
        )
        session.commit()
    engine.dispose()
    return len(rows)


def median_ms(run: Callable[[], object], repeat: int) -> float:
    """Median wall time of `run` in milliseconds, after one warm-up run."""
    run()
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def main() -> None:
    """Build the database, time the month ranking, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--accounts", type=int, default=100)
    parser.add_argument("--days", type=int, default=365)
    args = parser.parse_args()
    os.environ.setdefault("ENV", "dev")

    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'bench.db'}"
        started = time.perf_counter()
        articles = build(url, accounts=args.accounts, days=args.days)
        print(
            f"built {args.accounts} accounts x {ARTICLES_PER_DAY} articles/day x {args.days} days"
            f" = {articles} articles in {time.perf_counter() - started:.1f} s (SQLite)"
        )
        print(
            f"month ranking ending {END}, median of {args.repeat} runs, target {TARGET_MS:.0f} ms"
        )
        print(f"{'formula':<10} {'path':<8} {'median ms':>10} {'x target':>9}")
        engine = make_engine(url)
        settings = AccountsSettings(
            database_url=url, log_level="WARNING", shared=SharedSettings(env="dev")
        )
        with TestClient(create_app(settings)) as client:
            for formula in FORMULAS:

                def domain(formula: str = formula) -> object:
                    with Session(engine) as session:
                        ranking = rank(session=session, period="month", on=END, formula=formula)
                    assert ranking.total == args.accounts
                    return ranking

                def http(formula: str = formula) -> object:
                    params = {"period": "month", "date": END.isoformat(), "formula": formula}
                    response = client.get("/v1/rankings", params=params)
                    assert response.status_code == 200, response.text
                    return response

                for path, run in (("domain", domain), ("http", http)):
                    ms = median_ms(run, args.repeat)
                    print(f"{formula:<10} {path:<8} {ms:>10.1f} {ms / TARGET_MS:>9.2f}")
        engine.dispose()


if __name__ == "__main__":
    sys.exit(main())
