"""Daily statistics from the platform's data APIs, imported into the statistics rankings read.

For one account and one China day D (over by the time it is imported; WeChat has the previous
day ready by 08:00), the gateway's internal listener relays the platform's answers for D
(`GET /internal/wechat/{code}/datacube/{api}?date=D`):
- `getarticlesummary`: each mass-sent article read on D with that day's reads and shares;
- `getarticletotal`: the articles sent on D (which ties a platform `msgid` to its send day);
- `getusersummary` / `getusercumulate`: new and cancelled followers, and followers at D's end.

Each article read is matched to one of our `Article` rows (`match_article`), and its day is kept
as an `ArticleDayStatistic` row; the article's `reads` and `shares` become the sum of its days,
so a pushed article's reads count in the period of its publication day, as rankings read them.
Followers at D's end become D's `FollowerCount`. Importing D again replaces D's rows and sums
again: nothing is counted twice. 点赞 and 在看 are not in the platform's data APIs, so `likes`
and `wows` keep what an export brought.

Each (account, D) has one `StatisticsImport` row, claimed by one runner at a time (a lease):
the scheduler imports a day once (`done` is left alone), `import-statistics` imports it again.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Literal

import httpx
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy import and_, delete, func, or_, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from accounts.articles import COUNTS
from accounts.models import (
    Article,
    ArticleDayStatistic,
    ArticleSnapshot,
    FollowerCount,
    StatisticsImport,
)
from accounts.statistics import day_start
from servicekit.clock import as_utc, local_day
from servicekit.identity import service_token
from servicekit.tracing import propagation_headers

log = logging.getLogger("accounts.statistics_import")

# An article is read for about a week after its push (getarticletotal counts 7 days).
READING_DAYS = 7
ERROR_CHARS = 500
# Our columns of an article's day, from the platform's fields (getarticlesummary).
DAY_FIELDS = {
    "reads": "int_page_read_count",
    "read_users": "int_page_read_user",
    "shares": "share_count",
    "favourites": "add_to_fav_count",
}
DATA_APIS = ("getarticlesummary", "getarticletotal", "getusersummary", "getusercumulate")


class _Platform(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class ArticleDay(_Platform):
    """One article read on the day (getarticlesummary), by WeChat's field names."""

    msgid: str = Field(min_length=1, max_length=40)
    title: str = Field(max_length=200)
    int_page_read_user: int = Field(default=0, ge=0)
    int_page_read_count: int = Field(default=0, ge=0)
    share_count: int = Field(default=0, ge=0)
    add_to_fav_count: int = Field(default=0, ge=0)


class ArticleSent(_Platform):
    """One article sent on the day (getarticletotal); its details are not needed here."""

    msgid: str = Field(min_length=1, max_length=40)
    title: str = Field(max_length=200)


class FollowerChange(_Platform):
    """New and cancelled followers of one source on the day (getusersummary)."""

    new_user: int = Field(default=0, ge=0)
    cancel_user: int = Field(default=0, ge=0)


class FollowerTotal(_Platform):
    """Followers at the day's end (getusercumulate)."""

    cumulate_user: int = Field(ge=0)


@dataclass(frozen=True)
class PlatformDay:
    """What the platform said of one account's day."""

    read: list[ArticleDay]
    sent: list[ArticleSent]
    changes: list[FollowerChange]
    totals: list[FollowerTotal]


class ImportFailed(Exception):
    """The day could not be read from the gateway; the message says why (no personal data)."""


@dataclass(frozen=True)
class Candidate:
    """One of the account's articles a platform article may be."""

    id: int
    title: str
    published_on: date


def match_article(
    *, title: str, read_on: date, sent_on: date | None, candidates: list[Candidate]
) -> int | None:
    """Which of `candidates` the platform's article `title`, read on `read_on`, is.

    The same title, published on its send day when the platform said which (`sent_on`), else
    within the reading week up to `read_on`; of several, the latest published (then the highest
    id, the last written). None when no article fits.
    """
    if sent_on is not None:
        first, last = sent_on, sent_on
    else:
        first, last = read_on - timedelta(days=READING_DAYS - 1), read_on
    fitting = [c for c in candidates if c.title == title and first <= c.published_on <= last]
    if not fitting:
        return None
    return max(fitting, key=lambda c: (c.published_on, c.id)).id


class DatacubeClient:
    """The gateway's internal datacube route, called with accounts' service token."""

    def __init__(
        self,
        *,
        gateway_url: str,
        secret: str,
        timeout: float,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.base = gateway_url.rstrip("/")
        self.secret = secret
        self.timeout = timeout
        self.transport = transport  # tests answer in place of the gateway

    def day(self, account_code: str, day: date) -> PlatformDay:
        """The platform's four answers for the account's day; ImportFailed when any failed."""
        with httpx.Client(timeout=self.timeout, transport=self.transport) as client:
            lists = {api: self._list(client, account_code, api, day) for api in DATA_APIS}
        try:
            return PlatformDay(
                read=[ArticleDay.model_validate(i) for i in lists["getarticlesummary"]],
                sent=[ArticleSent.model_validate(i) for i in lists["getarticletotal"]],
                changes=[FollowerChange.model_validate(i) for i in lists["getusersummary"]],
                totals=[FollowerTotal.model_validate(i) for i in lists["getusercumulate"]],
            )
        except ValidationError as exc:
            count = exc.error_count()
            raise ImportFailed(f"the platform's answer is malformed ({count} errors)") from None

    def _list(self, client: httpx.Client, code: str, api: str, day: date) -> list[Any]:
        token = service_token(secret=self.secret, caller="accounts", audience="gateway")
        url = f"{self.base}/internal/wechat/{code}/datacube/{api}"
        headers = {**propagation_headers(), "Authorization": f"Bearer {token}"}
        try:
            response = client.get(url, params={"date": day.isoformat()}, headers=headers)
        except httpx.HTTPError as exc:
            raise ImportFailed(f"{api}: gateway unreachable ({type(exc).__name__})") from None
        if response.status_code != 200:
            detail = _detail(response)
            raise ImportFailed(f"{api}: gateway answered {response.status_code} {detail}")
        try:
            items = response.json().get("list")
        except (ValueError, AttributeError):  # not JSON, or not an object
            items = None
        if not isinstance(items, list):
            raise ImportFailed(f"{api}: the gateway's answer has no list")
        return items


def _detail(response: httpx.Response) -> str:
    try:
        return str(response.json().get("detail", ""))[:200]
    except (ValueError, AttributeError):
        return ""


# -- claiming a day ---------------------------------------------------------------------------

Claim = Literal["claimed", "done", "busy"]


def claim_day(
    *, session: Session, account_code: str, day: date, now: datetime, lease: float, again: bool
) -> Claim:
    """Take the import of the account's day: `done` when it was imported and not `again`,
    `busy` while another runner's lease holds it; commits the claim."""
    until = now + timedelta(seconds=lease)
    if session.get(StatisticsImport, (account_code, day)) is None:
        session.add(
            StatisticsImport(
                account_code=account_code, day=day, status="running", attempts=1, lease_until=until
            )
        )
        try:
            session.commit()
            return "claimed"
        except IntegrityError:  # another runner inserted it first
            session.rollback()
            return "busy"
    free = or_(col(StatisticsImport.status) != "running", col(StatisticsImport.lease_until) < now)
    if not again:
        free = and_(free, col(StatisticsImport.status) != "done")
    taken = session.execute(
        update(StatisticsImport)
        .where(
            col(StatisticsImport.account_code) == account_code,
            col(StatisticsImport.day) == day,
            free,
        )
        .values(status="running", lease_until=until, attempts=col(StatisticsImport.attempts) + 1)
    )
    session.commit()
    if taken.rowcount == 1:
        return "claimed"
    row = session.get(StatisticsImport, (account_code, day))
    return "done" if row is not None and row.status == "done" else "busy"


def fail_day(*, session: Session, account_code: str, day: date, error: str) -> None:
    """Record that the claimed import failed (a later run tries again); commits."""
    row = session.get(StatisticsImport, (account_code, day))
    if row is not None:
        row.status, row.lease_until, row.error = "failed", None, error[:ERROR_CHARS]
        session.add(row)
        session.commit()


# -- writing a day ----------------------------------------------------------------------------


def _candidates(session: Session, account_code: str, day: date) -> list[Candidate]:
    """The account's articles published in the reading week up to the end of `day`."""
    start = day - timedelta(days=READING_DAYS - 1)
    rows = session.exec(
        select(Article.id, Article.title, Article.published_at).where(
            Article.account_code == account_code,
            col(Article.published_at) >= day_start(start),
            col(Article.published_at) < day_start(day + timedelta(days=1)),
        )
    ).all()
    return [Candidate(id=i, title=t, published_on=local_day(as_utc(p))) for i, t, p in rows if i]


def _known_msgids(session: Session, account_code: str, msgids: list[str]) -> dict[str, int]:
    """The articles earlier imports tied to these platform msgids."""
    if not msgids:
        return {}
    rows = session.exec(
        select(ArticleDayStatistic.msgid, ArticleDayStatistic.article_id).where(
            ArticleDayStatistic.account_code == account_code,
            col(ArticleDayStatistic.msgid).in_(msgids),
        )
    ).all()
    return dict(rows)


def _resolve(
    session: Session, account_code: str, day: date, data: PlatformDay
) -> dict[str, int | None]:
    """Our article id for each msgid read on `day` (None when we have none)."""
    known = _known_msgids(session, account_code, [a.msgid for a in data.read])
    candidates = _candidates(session, account_code, day)
    sent_today = {a.msgid for a in data.sent}
    out: dict[str, int | None] = {}
    for article in data.read:
        if article.msgid in known:
            out[article.msgid] = known[article.msgid]
            continue
        # An article is one platform msgid: one taken already is not another's.
        taken = set(known.values()) | {i for i in out.values() if i is not None}
        out[article.msgid] = match_article(
            title=article.title,
            read_on=day,
            sent_on=day if article.msgid in sent_today else None,
            candidates=[c for c in candidates if c.id not in taken],
        )
    return out


def _resum(session: Session, article_ids: set[int], now: datetime) -> None:
    """Set each article's reads and shares to the sum of its days, and snapshot it."""
    for article_id in sorted(article_ids):
        reads, shares = session.execute(
            select(
                func.coalesce(func.sum(ArticleDayStatistic.reads), 0),
                func.coalesce(func.sum(ArticleDayStatistic.shares), 0),
            ).where(ArticleDayStatistic.article_id == article_id)
        ).one()
        article = session.get(Article, article_id)
        if article is None:
            continue
        article.reads, article.shares = int(reads), int(shares)
        session.add(article)
        counts = {count: getattr(article, count) for count in COUNTS}
        session.add(ArticleSnapshot(article_id=article_id, captured_at=now, **counts))


def write_day(
    *, session: Session, account_code: str, day: date, data: PlatformDay, now: datetime
) -> StatisticsImport:
    """Replace the account's day with `data` and mark the claimed import done; commits."""
    ids = _resolve(session, account_code, day, data)
    before = set(
        session.exec(
            select(ArticleDayStatistic.article_id).where(
                ArticleDayStatistic.account_code == account_code, ArticleDayStatistic.day == day
            )
        ).all()
    )
    session.execute(
        delete(ArticleDayStatistic).where(
            col(ArticleDayStatistic.account_code) == account_code,
            col(ArticleDayStatistic.day) == day,
        )
    )
    matched = [(a, ids[a.msgid]) for a in data.read if ids[a.msgid] is not None]
    for article, article_id in matched:
        counts = {ours: getattr(article, theirs) for ours, theirs in DAY_FIELDS.items()}
        key = {"article_id": article_id, "day": day, "account_code": account_code}
        session.add(ArticleDayStatistic(**key, msgid=article.msgid, **counts))
    session.flush()
    _resum(session, before | {i for _, i in matched if i is not None}, now)
    followers = data.totals[-1].cumulate_user if data.totals else None
    if followers is not None:
        session.merge(FollowerCount(account_code=account_code, day=day, followers=followers))
    row = session.get(StatisticsImport, (account_code, day)) or StatisticsImport(
        account_code=account_code, day=day, status="running"
    )
    row.status, row.lease_until, row.finished_at, row.error = "done", None, now, None
    row.articles, row.unmatched = len(matched), len(data.read) - len(matched)
    row.reads = sum(a.int_page_read_count for a, _ in matched)
    row.followers = followers
    row.new_followers = sum(c.new_user for c in data.changes)
    row.cancelled_followers = sum(c.cancel_user for c in data.changes)
    session.add(row)
    session.commit()
    if row.unmatched:
        log.warning(
            "platform articles without a registry article",
            extra={"account": account_code, "day": day.isoformat(), "unmatched": row.unmatched},
        )
    return row
