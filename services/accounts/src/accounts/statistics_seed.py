"""Deterministic synthetic article statistics and follower counts for the demo. Idempotent.

For every active account, the last SEED_DAYS days up to today (Asia/Shanghai): subscription
accounts push about once a day (1-4 articles, the first one the headline), service accounts on
at most 4 days a month (WeChat's limit), 东莞天气 one bulletin every day at about 16:00, 荔香大朗
about 3 times a week, and 东莞特检 never (it serves through its menu). Reads scale with the
account's followers; likes are 0.3-1% of reads. Each day's articles come from a random generator
seeded by (account code, day), so a day always gets the same articles whenever the seed runs,
and rows are upserted by url.

Also the source article's own December 2014 figures: 荔香大朗's 2014-12-18 push (13075 reads,
40 likes) and its 2094 reads the next day, and 东莞天气's daily bulletins of about 4000 reads with
a best of 7029 that week; the other December pushes have ordinary synthetic figures. 在看 did
not exist in 2014 and shares were not published, so those stay 0.
"""

from __future__ import annotations

import hashlib
import math
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from accounts.models import Account, Article, FollowerCount
from servicekit.clock import today, utcnow

SEED_DAYS = 180
# Registry follower figures are taken as the followers on this day; growth runs from it.
FOLLOWERS_ANCHOR = date(2026, 1, 1)
TEN_THOUSAND_PLUS = 100001
BEIJING_OFFSET = timedelta(hours=8)
URL_PREFIX = "https://mp.weixin.qq.com/s/demo-"
MENU_ONLY = frozenset({"dgtj"})  # 东莞特检: a service account with menus and no push history
DAILY_BULLETIN = frozenset({"dgtq"})  # 东莞天气: one forecast every day at about 16:00
THREE_A_WEEK = frozenset({"lxdl"})  # 荔香大朗: one operator, about 3 pushes a week

TOPICS = ("便民提醒", "政策解读", "办事指南", "通知公告", "工作动态", "安全提示", "民生关注")
SUBJECTS = {
    "traffic": ("节假日出行路况提示", "交通违法处理指南", "驾驶证业务网上办", "电动自行车新规"),
    "weather": ("冷空气来袭注意保暖", "强对流天气防御指引", "回南天防潮小贴士", "台风最新动态"),
    "social_security": ("社保卡办理流程", "医保报销问答", "养老保险缴费须知", "参保证明打印"),
    "town": ("镇内道路施工通告", "社区文化活动预告", "便民服务点地址电话", "企业招聘信息汇总"),
}
GENERIC_SUBJECTS = ("便民服务事项一览", "最新政策问答", "本周重要信息汇总", "市民关心的热点问题")


def _rng(*parts: object) -> random.Random:
    digest = hashlib.sha256(":".join(map(str, parts)).encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


@dataclass(frozen=True)
class Profile:
    """How big an account is and how its audience behaves."""

    code: str
    kind: str | None
    category: str
    followers: int  # on FOLLOWERS_ANCHOR
    growth: float  # per day
    open_rate: float  # headline reads per follower


def profile_of(*, code: str, kind: str | None, category: str, followers: int | None) -> Profile:
    """The account's deterministic profile; unknown follower numbers are drawn by category."""
    rng = _rng("profile", code)
    if followers is None:
        low, high = (5_000, 40_000) if category == "town" else (10_000, 150_000)
        followers = round(math.exp(rng.uniform(math.log(low), math.log(high))))
    # Service pushes are rare and reach every follower's chat list, so more of them are read.
    open_rate = rng.uniform(0.05, 0.15) if kind == "service" else rng.uniform(0.03, 0.10)
    if code in DAILY_BULLETIN:
        open_rate = 0.11  # 东莞天气: about 4000 reads from 36000 followers
    return Profile(
        code=code,
        kind=kind,
        category=category,
        followers=followers,
        growth=rng.uniform(0.0002, 0.0012),
        open_rate=open_rate,
    )


def followers_on_day(profile: Profile, day: date) -> int:
    """The account's followers at the end of `day` (steady growth from the anchor)."""
    return max(
        0, round(profile.followers * math.exp(profile.growth * (day - FOLLOWERS_ANCHOR).days))
    )


def _service_push_days(code: str, day: date) -> frozenset[date]:
    """The 1-4 days of `day`'s month on which a service account pushes (WeChat allows 4)."""
    return _month_push_days(code, day.replace(day=1))


@cache
def _month_push_days(code: str, first: date) -> frozenset[date]:
    length = ((first + timedelta(days=32)).replace(day=1) - first).days
    rng = _rng("service-month", code, first.isoformat())
    return frozenset(
        first + timedelta(days=n) for n in rng.sample(range(length), rng.randint(1, 4))
    )


def _pushes_on(profile: Profile, day: date, rng: random.Random) -> bool:
    if profile.code in MENU_ONLY:
        return False
    if profile.code in DAILY_BULLETIN:
        return True
    if profile.code in THREE_A_WEEK:
        return rng.random() < 3 / 7
    if profile.kind == "service":
        return day in _service_push_days(profile.code, day)
    return rng.random() < 0.85


def _counts(reads: int, rng: random.Random) -> dict[str, int]:
    reads = TEN_THOUSAND_PLUS if reads > 100_000 else reads
    return {
        "reads": reads,
        "likes": round(reads * rng.uniform(0.003, 0.01)),
        "wows": round(reads * rng.uniform(0.001, 0.004)),
        "shares": round(reads * rng.uniform(0.01, 0.04)),
    }


def _title(profile: Profile, day: date, rng: random.Random) -> str:
    if profile.code in DAILY_BULLETIN:
        return f"东莞天气：{day.month}月{day.day}日天气预报及未来5天天气趋势"
    subject = rng.choice(SUBJECTS.get(profile.category, GENERIC_SUBJECTS))
    return f"【{rng.choice(TOPICS)}】{subject}"


def _row(
    code: str, day: date, at: time, index: int, title: str, headline: bool, counts: dict[str, int]
) -> dict[str, Any]:
    return {
        "account_code": code,
        # Asia/Shanghai has been UTC+8 all year round since 1991 (and is cheaper as a constant).
        "published_at": datetime.combine(day, at, UTC) - BEIJING_OFFSET,
        "title": title,
        "url": f"{URL_PREFIX}{code}-{day:%Y%m%d}-{index}",
        "is_headline": headline,
        **counts,
    }


def day_articles(profile: Profile, day: date) -> list[dict[str, Any]]:
    """The articles (as Article column values) the account published on `day`."""
    rng = _rng("day", profile.code, day.isoformat())
    if not _pushes_on(profile, day, rng):
        return []
    if profile.code in DAILY_BULLETIN:
        at, count = time(16, rng.randint(0, 20)), 1
    else:
        at = time(rng.randint(8, 20), rng.choice((0, 15, 30, 45)))
        sizes = (
            ((1, 2, 3), (50, 30, 20))
            if profile.kind == "service"
            else ((1, 2, 3, 4), (35, 30, 20, 15))
        )
        count = rng.choices(*sizes)[0]
    reach = followers_on_day(profile, day) * profile.open_rate
    rows = []
    for index in range(count):
        reads = reach * math.exp(rng.gauss(0, 0.25 if profile.code in DAILY_BULLETIN else 0.35))
        if index:
            reads *= rng.uniform(0.15, 0.5)  # articles below the headline are read less
        if rng.random() < 0.005:
            reads *= rng.uniform(4, 15)  # now and then a post spreads in Moments
        counts = _counts(round(reads), rng)
        rows.append(
            _row(profile.code, day, at, index, _title(profile, day, rng), not index, counts)
        )
    return rows


# The source article's figures (reads, likes); titles as quoted there.
LXDL_2014 = {
    date(2014, 12, 18): ("为大朗大井头6岁小男孩寻找a型rh阳性血!转起~", 13075, 40),
    date(2014, 12, 19): (
        "小辉辉最新情况:暂时有合适血小板,接下来还需要~a型血且愿意捐的亲,"
        "请给其家人留下联系方式!扩散~",
        2094,
        None,
    ),
}
LXDL_2014_TITLES = (
    "【牙烟!】我市一连发生三起煤气中毒事件,呢几个安全用气注意事项真系要牢记咯~",
    "大朗周刊：本周镇内大事小事一文睇晒",
    "冬至将至，大朗这些便民服务时间有调整",
    "毛织交易会最新消息，大朗人快来围观~",
)
DGTQ_2014_BEST = (date(2014, 12, 20), 7029)


def december_2014_articles() -> list[dict[str, Any]]:
    """荔香大朗's and 东莞天气's articles of December 2014 (the source article's month)."""
    rows = []
    for n in range(31):
        day = date(2014, 12, 1) + timedelta(days=n)
        rng = _rng("2014", "dgtq", day.isoformat())
        reads = DGTQ_2014_BEST[1] if day == DGTQ_2014_BEST[0] else round(rng.uniform(3300, 4700))
        title = f"东莞天气：{day.month}月{day.day}日天气预报及未来5天天气趋势"
        counts = {"reads": reads, "likes": round(reads * rng.uniform(0.002, 0.005))}
        rows.append(_row("dgtq", day, time(16, rng.randint(0, 20)), 0, title, True, counts))

        rng = _rng("2014", "lxdl", day.isoformat())
        if day in LXDL_2014:
            title, reads, likes = LXDL_2014[day]
            likes = likes if likes is not None else round(reads * rng.uniform(0.003, 0.006))
        elif rng.random() < 3 / 7:
            title = LXDL_2014_TITLES[rng.randrange(len(LXDL_2014_TITLES))]
            reads = round(rng.uniform(300, 1200))
            likes = round(reads * rng.uniform(0.003, 0.008))
        else:
            continue
        at = time(rng.randint(9, 18), rng.choice((0, 30)))
        rows.append(_row("lxdl", day, at, 0, title, True, {"reads": reads, "likes": likes}))
    return [{"wows": 0, "shares": 0} | row for row in rows]


@cache
def _generated(
    accounts: tuple[tuple[str, str | None, str, int | None], ...], until: date
) -> tuple[tuple[dict[str, Any], ...], tuple[dict[str, Any], ...]]:
    """Articles and follower counts of `accounts` over the SEED_DAYS days up to `until`.

    Cached: tests seed a fresh database per test, and the rows depend only on these arguments.
    """
    days = [until - timedelta(days=n) for n in range(SEED_DAYS - 1, -1, -1)]
    articles: list[dict[str, Any]] = []
    followers: list[dict[str, Any]] = []
    for code, kind, category, registered in accounts:
        profile = profile_of(code=code, kind=kind, category=category, followers=registered)
        for day in days:
            articles += day_articles(profile, day)
            followers.append(
                {"account_code": code, "day": day, "followers": followers_on_day(profile, day)}
            )
    codes = {code for code, *_ in accounts}
    articles += [a for a in december_2014_articles() if a["account_code"] in codes]
    return tuple(articles), tuple(followers)


def _insert(session: Session) -> Any:
    """The dialect's INSERT, which has ON CONFLICT (SQLite and PostgreSQL alike)."""
    return postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert


def _chunks(rows: list[dict[str, Any]], size: int = 5000) -> Iterator[list[dict[str, Any]]]:
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


def seed_statistics(*, session: Session, until: date | None = None) -> str:
    """Upsert the synthetic statistics of every active account up to `until` (default today)."""
    until = until or today()
    now = utcnow()
    accounts = tuple(
        tuple(row)
        for row in session.execute(
            select(Account.code, Account.kind, Account.category, Account.followers)
            .where(Account.status == "active")
            .order_by(Account.code)
        ).all()
    )
    generated, followers = _generated(accounts, until)
    articles = [a for a in generated if a["published_at"] <= now]  # nothing from the future

    insert = _insert(session)
    upsert = insert(Article.__table__)
    upsert = upsert.on_conflict_do_update(
        index_elements=["account_code", "url"],
        set_={
            c: upsert.excluded[c]
            for c in ("published_at", "title", "is_headline", "reads", "likes", "wows", "shares")
        },
    )
    for chunk in _chunks(articles):
        session.execute(upsert, chunk)
    # Counts already there may come from real follow events: keep them.
    keep = insert(FollowerCount.__table__).on_conflict_do_nothing(
        index_elements=["account_code", "day"]
    )
    for chunk in _chunks(list(followers)):
        session.execute(keep, chunk)
    session.commit()
    return (
        f"statistics: {len(articles)} articles and {len(followers)} follower counts "
        f"for {len(accounts)} active accounts ({SEED_DAYS} days to {until}, and December 2014)"
    )
