"""Daily statistics from the platform's data APIs: matching, writing a day (again without double
counting), claiming days, the schedule's ready day, the command line, and the ranking moving."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from accounts.models import Article, ArticleDayStatistic, FollowerCount, StatisticsImport
from accounts.rankings import rank
from accounts.statistics_import import (
    ArticleDay,
    ArticleSent,
    Candidate,
    DatacubeClient,
    FollowerChange,
    FollowerTotal,
    PlatformDay,
    claim_day,
    match_article,
    write_day,
)
from accounts.statistics_schedule import (
    COMMAND,
    StatisticsImporter,
    StatisticsSchedule,
    import_statistics_cli,
    ready_day,
)
from servicekit.clock import SHANGHAI
from servicekit.db import make_engine
from servicekit.identity import verify_token
from servicekit.testing import TEST_SECRET

D = date(2026, 11, 30)
NOW = datetime(2026, 12, 1, 9, tzinfo=SHANGHAI)


# Matching, pure

C = [
    Candidate(id=1, title="莞香花开 周末去哪儿", published_on=date(2026, 11, 24)),
    Candidate(id=2, title="莞香花开 周末去哪儿", published_on=date(2026, 11, 29)),
    Candidate(id=3, title="莞香花开 周末去哪儿", published_on=date(2026, 11, 29)),
    Candidate(id=4, title="可园的秋天", published_on=date(2026, 11, 30)),
]


@pytest.mark.parametrize(
    ("title", "read_on", "sent_on", "candidates", "expected"),
    [
        ("可园的秋天", D, D, C, 4),  # sent that day: the article published that day
        ("可园的秋天", D, date(2026, 11, 29), C, None),  # sent another day than ours
        ("莞香花开 周末去哪儿", D, None, C, 3),  # the latest, then the last written
        ("莞香花开 周末去哪儿", D, None, C[:2], 2),
        ("莞香花开 周末去哪儿", D, None, C[:1], 1),  # the 7th day of its reading week
        ("莞香花开 周末去哪儿", date(2026, 12, 1), None, C[:1], None),  # past its week
        ("莞香花开 周末去哪儿", date(2026, 11, 28), None, C[1:3], None),  # published after
        ("没有的标题", D, None, C, None),
        ("可园的秋天", D, None, [], None),
    ],
)
def test_which_article_the_platform_means(
    title: str,
    read_on: date,
    sent_on: date | None,
    candidates: list[Candidate],
    expected: int | None,
) -> None:
    found = match_article(title=title, read_on=read_on, sent_on=sent_on, candidates=candidates)
    assert found == expected


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (datetime(2026, 12, 1, 8, 0, tzinfo=SHANGHAI), date(2026, 11, 30)),
        (datetime(2026, 12, 1, 7, 59, tzinfo=SHANGHAI), date(2026, 11, 29)),
        (datetime(2026, 12, 1, 0, 30, tzinfo=UTC), date(2026, 11, 30)),  # 08:30 in Dongguan
        (datetime(2026, 11, 30, 23, 0, tzinfo=UTC), date(2026, 11, 29)),  # 07:00 on 12-01
    ],
)
def test_the_latest_day_the_platform_has_ready(now: datetime, expected: date) -> None:
    assert ready_day(now, time(8, 0)) == expected


# Writing a day


@pytest.fixture
def engine(registry_database_url: str) -> Iterator[Engine]:
    """The registry (no seeded statistics) with two 莞香花开 articles and one of 荔香大朗."""
    engine = make_engine(registry_database_url)
    with Session(engine) as session:
        for n, (code, title, at) in enumerate(
            [
                ("gxhk", "可园的秋天", datetime(2026, 11, 30, 9, tzinfo=SHANGHAI)),
                ("gxhk", "莞香花开 周末去哪儿", datetime(2026, 11, 29, 18, tzinfo=SHANGHAI)),
                ("lxdl", "大朗毛织交易会", datetime(2026, 11, 30, 10, tzinfo=SHANGHAI)),
            ]
        ):
            session.add(
                Article(
                    account_code=code,
                    published_at=at,
                    title=title,
                    url=f"https://mp.weixin.qq.com/s/{n}",
                    reads=3 if code == "lxdl" else 0,
                    likes=2,
                )
            )
        session.commit()
    yield engine
    engine.dispose()


def read(msgid: str, title: str, reads: int, shares: int = 1) -> ArticleDay:
    return ArticleDay(
        msgid=msgid,
        title=title,
        int_page_read_user=reads,
        int_page_read_count=reads,
        share_count=shares,
        add_to_fav_count=0,
    )


def day(*read_items: ArticleDay, sent: tuple[str, ...] = (), followers: int = 120) -> PlatformDay:
    return PlatformDay(
        read=list(read_items),
        sent=[ArticleSent(msgid=m, title="") for m in sent],
        changes=[FollowerChange(new_user=5, cancel_user=1)],
        totals=[FollowerTotal(cumulate_user=followers)],
    )


def articles(engine: Engine) -> dict[str, tuple[int, int, int]]:
    with Session(engine) as session:
        rows = session.exec(select(Article).where(Article.account_code == "gxhk")).all()
        return {a.title: (a.reads, a.shares, a.likes) for a in rows}


def claimed(session: Session, code: str, on: date, again: bool = False) -> str:
    return claim_day(session=session, account_code=code, day=on, now=NOW, lease=60, again=again)


def test_a_day_s_reads_become_the_articles_and_followers(engine: Engine) -> None:
    data = day(
        read("1001_1", "可园的秋天", 40, 4),
        read("900_1", "莞香花开 周末去哪儿", 7),
        read("1001_2", "别人的文章", 2),
        sent=("1001_1", "1001_2"),
    )
    with Session(engine) as session:
        assert claimed(session, "gxhk", D) == "claimed"
        row = write_day(session=session, account_code="gxhk", day=D, data=data, now=NOW)
        assert (row.status, row.articles, row.unmatched, row.reads) == ("done", 2, 1, 47)
        assert (row.followers, row.new_followers, row.cancelled_followers) == (120, 5, 1)
        assert session.get(FollowerCount, ("gxhk", D)).followers == 120  # type: ignore[union-attr]
    # Likes are not in the data APIs: they keep what was there.
    assert articles(engine) == {"可园的秋天": (40, 4, 2), "莞香花开 周末去哪儿": (7, 1, 2)}


def test_days_add_up_and_importing_a_day_again_replaces_it(engine: Engine) -> None:
    first = day(read("1001_1", "可园的秋天", 40), sent=("1001_1",))
    with Session(engine) as session:
        write_day(session=session, account_code="gxhk", day=D, data=first, now=NOW)
        # The next day the platform names the article by its msgid: no title needed any more.
        later = day(read("1001_1", "改了标题", 10))
        write_day(session=session, account_code="gxhk", day=D + timedelta(1), data=later, now=NOW)
        assert articles(engine)["可园的秋天"][0] == 50
        again = day(read("1001_1", "可园的秋天", 45), sent=("1001_1",))
        write_day(session=session, account_code="gxhk", day=D, data=again, now=NOW)
        write_day(session=session, account_code="gxhk", day=D, data=again, now=NOW)
        assert articles(engine)["可园的秋天"][0] == 55
        days = session.exec(select(ArticleDayStatistic.day, ArticleDayStatistic.reads)).all()
        assert sorted(days) == [(D, 45), (D + timedelta(1), 10)]
        # A day the platform no longer lists the article for takes its reads away again.
        write_day(session=session, account_code="gxhk", day=D, data=day(), now=NOW)
        assert articles(engine)["可园的秋天"][0] == 10


def test_claiming_a_day(engine: Engine) -> None:
    with Session(engine) as session:
        assert claimed(session, "gxhk", D) == "claimed"
        assert claimed(session, "gxhk", D) == "busy"  # its lease holds
        write_day(session=session, account_code="gxhk", day=D, data=day(), now=NOW)
        assert claimed(session, "gxhk", D) == "done"
        assert claimed(session, "gxhk", D, again=True) == "claimed"
        assert session.get(StatisticsImport, ("gxhk", D)).attempts == 2  # type: ignore[union-attr]
        assert claimed(session, "lxdl", D) == "claimed"  # another account's day is its own
    with Session(engine) as session:
        late = NOW + timedelta(seconds=61)
        claim = claim_day(
            session=session, account_code="lxdl", day=D, now=late, lease=60, again=False
        )
        assert claim == "claimed"  # an expired lease is taken over


# Through the gateway's route (answered here in its place)


def gateway_answering(lists: dict[str, list[dict[str, Any]]], status: int = 200) -> Any:
    calls: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        api = request.url.path.rsplit("/", 1)[1]
        if status != 200:
            return httpx.Response(status, json={"detail": "微信平台拒绝了数据查询：errcode 61501"})
        return httpx.Response(200, json={"date": request.url.params["date"], "list": lists[api]})

    return httpx.MockTransport(answer), calls


def importer(engine: Engine, transport: httpx.BaseTransport) -> StatisticsImporter:
    client = DatacubeClient(
        gateway_url="http://gateway:8010/", secret=TEST_SECRET, timeout=5, transport=transport
    )
    return StatisticsImporter(engine, client, lease=60, clock=lambda: NOW)


LISTS = {
    "getarticlesummary": [
        {"ref_date": "2026-11-30", "user_source": 0, "msgid": "1001_1", "title": "可园的秋天"}
        | {"int_page_read_user": 900, "int_page_read_count": 1000, "share_count": 30}
    ],
    "getarticletotal": [{"ref_date": "2026-11-30", "msgid": "1001_1", "title": "可园的秋天"}],
    "getusersummary": [{"ref_date": "2026-11-30", "user_source": 0, "new_user": 3}],
    "getusercumulate": [{"ref_date": "2026-11-30", "cumulate_user": 5000}],
}


def test_an_import_moves_the_account_in_the_day_s_ranking(engine: Engine) -> None:
    transport, calls = gateway_answering(LISTS)

    def place() -> tuple[int, float]:
        with Session(engine) as session:
            ranking = rank(session=session, period="day", on=D, formula="wci-v13")
        item = next(i for i in ranking.items if i.code == "gxhk")
        return item.rank, item.score

    before = place()
    assert importer(engine, transport).import_all(D, again=False, codes=["gxhk"]) == {
        "gxhk": "imported"
    }
    after = place()
    assert after[0] < before[0] and after[1] > before[1]
    assert articles(engine)["可园的秋天"][:2] == (1000, 30)
    # The gateway's route, with accounts' service token for the gateway, for that day.
    assert [c.url.path for c in calls] == [f"/internal/wechat/gxhk/datacube/{api}" for api in LISTS]
    assert {c.url.params["date"] for c in calls} == {"2026-11-30"}
    token = calls[0].headers["Authorization"].removeprefix("Bearer ")
    identity = verify_token(token, secret=TEST_SECRET, audience="gateway")
    assert (identity.kind, identity.issuer) == ("service", "accounts")
    # Done is done for the schedule; the command line imports again.
    assert importer(engine, transport).import_all(D, again=False, codes=["gxhk"]) == {
        "gxhk": "already"
    }
    assert importer(engine, transport).import_day("gxhk", D, again=True) == "imported"
    assert articles(engine)["可园的秋天"][0] == 1000


def test_a_refused_day_is_recorded_and_tried_again(engine: Engine) -> None:
    refused, _ = gateway_answering(LISTS, status=502)
    assert importer(engine, refused).import_day("gxhk", D, again=False) == "failed"
    with Session(engine) as session:
        row = session.get(StatisticsImport, ("gxhk", D))
        assert row is not None and row.status == "failed" and "502" in (row.error or "")
    malformed, _ = gateway_answering({**LISTS, "getusercumulate": [{"cumulate_user": -1}]})
    assert importer(engine, malformed).import_day("gxhk", D, again=False) == "failed"
    garbage = httpx.MockTransport(lambda _: httpx.Response(200, text="<html>"))
    assert importer(engine, garbage).import_day("gxhk", D, again=False) == "failed"
    fine, _ = gateway_answering(LISTS)
    assert importer(engine, fine).import_day("gxhk", D, again=False) == "imported"


def test_the_imported_accounts_are_the_chat_accounts(engine: Engine) -> None:
    transport, _ = gateway_answering(LISTS)
    assert importer(engine, transport).accounts() == [
        "dgjj",
        "dgsb",
        "dgtj",
        "dgtq",
        "gxhk",
        "lxdl",
    ]


def test_the_schedule_imports_the_ready_day_once(engine: Engine) -> None:
    transport, calls = gateway_answering(LISTS)
    schedule = StatisticsSchedule(
        importer(engine, transport), ready_at=time(8, 0), check_seconds=0.05
    )

    async def run_a_while() -> None:
        async with schedule:
            for _ in range(200):
                await asyncio.sleep(0.05)
                if len(calls) >= 6 * len(LISTS):  # every chat account's day was read
                    break
            await asyncio.sleep(0.2)  # further passes find each day done

    asyncio.run(run_a_while())
    assert schedule.task is not None and schedule.task.done()
    assert len(calls) == 6 * len(LISTS)
    with Session(engine) as session:
        rows = session.exec(select(StatisticsImport)).all()
    assert {(r.day, r.status) for r in rows} == {(D, "done")} and len(rows) == 6


# The command line


def test_the_command_s_options_are_taken_off_before_servicekit_s() -> None:
    argv, command = import_statistics_cli([COMMAND, "--date", "2026-11-30", "--account", "gxhk"])
    assert argv == [COMMAND] and command.help
    assert import_statistics_cli(["serve", "--port", "1"])[0] == ["serve", "--port", "1"]
    with pytest.raises(SystemExit) as exit_:
        import_statistics_cli([COMMAND, "--date", "30.11.2026"])
    assert exit_.value.code == 2


def test_articles_published_before_the_reading_week_are_not_candidates(engine: Engine) -> None:
    old = day(read("7_1", "莞香花开 周末去哪儿", 9))
    with Session(engine) as session:
        late = D + timedelta(days=7)  # the article of 11-29 is read on 12-07: past its week
        row = write_day(session=session, account_code="gxhk", day=late, data=old, now=NOW)
        assert (row.articles, row.unmatched) == (0, 1)
    assert articles(engine)["莞香花开 周末去哪儿"][0] == 0
