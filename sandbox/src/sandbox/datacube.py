"""The platform's data APIs (`/datacube/...`): statistics of mass-sent articles and of followers.

As on WeChat, each is a POST with `?access_token=` and `{"begin_date", "end_date"}` (YYYY-MM-DD,
China's days) and answers `{"list": [...]}`:
- `getarticlesummary` (span 1 day): every mass-sent article read that day, with the day's reads
  (图文页 int_page_read_*, 原文页 ori_page_read_*), shares and favourites; `msgid` is
  `<msg_data_id>_<index>` (index from 1);
- `getarticletotal` (span 1 day): the articles mass-sent that day, each with `details` per day
  from the send day on (at most 7, up to yesterday), each detail the totals up to that day and
  `target_user` (followers reached);
- `getusersummary` (span 7 days): new and cancelled followers per day (`user_source` 0);
- `getusercumulate` (span 7 days): followers at the end of each day.
A malformed date is 61500; an end before the start, a span beyond the API's, or an end that is
not yet past (WeChat serves yesterday at the latest) is 61501.

The reads are simulated, deterministically: each article of a send gets an open rate and a
decay drawn from a generator seeded by (msg_id, index), so the same send always has the same
figures on the same day. Readers are the followers the send reached, most of them on the send
day and fewer each day after (none after the 7th); a reader may read twice, some share and some
keep the article. Where the sandbox differs from WeChat: it lists an article even when fewer
than 3 people acted on it that day, and it remembers only the follows that stand, so someone who
unfollowed is counted neither as new nor as cancelled.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from fastapi import APIRouter, Request

from sandbox.errcodes import WechatError
from sandbox.platform_api import CallerDep, StateDep, json_body
from sandbox.state import Account, MassSend, SandboxState

router = APIRouter(prefix="/datacube", tags=["微信公众平台接口（模拟）"])

DATE_FORMAT_ERROR = 61500
DATE_RANGE_ERROR = 61501
# Days of reading a send gets; getarticletotal details stop after as many.
READING_DAYS = 7
# How many of the day-0 readers each later day keeps: readers fall off quickly after a push.
DECAY_RANGE = (0.25, 0.45)
OPEN_RATE_RANGE = (0.55, 0.95)


# What the readers of an article did, by WeChat's field names: read the article page (图文页) and
# the source page (原文页, 阅读原文), shared it, kept it (收藏); people, then times.
COUNT_FIELDS = (
    "int_page_read_user",
    "int_page_read_count",
    "ori_page_read_user",
    "ori_page_read_count",
    "share_user",
    "share_count",
    "add_to_fav_user",
    "add_to_fav_count",
)
Counts = dict[str, int]
NO_COUNTS: Counts = dict.fromkeys(COUNT_FIELDS, 0)


def added(first: Counts, second: Counts) -> Counts:
    """The two days' counts together."""
    return {name: first[name] + second[name] for name in COUNT_FIELDS}


def _rng(*parts: object) -> random.Random:
    digest = hashlib.sha256(":".join(map(str, parts)).encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


def readers_by(reach: int, open_rate: float, decay: float, day: int) -> int:
    """Distinct readers from the send day up to day `day` after it (0 = the send day).

    The cumulative share of `reach` is open_rate (1 - decay^(day+1)): it grows by less each day
    and never passes open_rate x reach, so readers never outnumber the followers reached.
    """
    if day < 0:
        return 0
    day = min(day, READING_DAYS - 1)
    return round(reach * open_rate * (1 - decay ** (day + 1)))


def day_counts(*, msg_id: int, index: int, reach: int, day: int, has_source: bool) -> Counts:
    """What the readers of article `index` (from 1) of send `msg_id` did on day `day` after it."""
    rng = _rng("article", msg_id, index)
    open_rate, decay = rng.uniform(*OPEN_RATE_RANGE), rng.uniform(*DECAY_RANGE)
    readers = readers_by(reach, open_rate, decay, day) - readers_by(
        reach, open_rate, decay, day - 1
    )
    if readers <= 0 or day >= READING_DAYS:
        return dict(NO_COUNTS)
    today = _rng("day", msg_id, index, day)
    sharers = round(readers * today.uniform(0.05, 0.3))
    keepers = round(readers * today.uniform(0.0, 0.15))
    source = round(readers * today.uniform(0.05, 0.2)) if has_source else 0
    # People, then times: a reader may come back, a sharer share twice.
    reads = readers + round(readers * today.uniform(0.0, 0.4))
    shares = sharers + round(sharers * today.uniform(0.0, 0.5))
    values = (readers, reads, source, source, sharers, shares, keepers, keepers)
    return dict(zip(COUNT_FIELDS, values, strict=True))


@dataclass(frozen=True)
class SentArticle:
    """One article of an accepted news mass send."""

    send: MassSend
    index: int
    title: str
    has_source: bool

    @property
    def msgid(self) -> str:
        """WeChat's article id in the data APIs: `<msg_data_id>_<index>`."""
        return f"{self.send.msg_id}_{self.index}"

    def counts(self, state: SandboxState, day: date) -> Counts:
        """What its readers did on `day`."""
        after = (day - state.clock.local(self.send.at).date()).days
        return day_counts(
            msg_id=self.send.msg_id,
            index=self.index,
            reach=self.send.recipients,
            day=after,
            has_source=self.has_source,
        )


def sent_articles(state: SandboxState, account: Account) -> list[SentArticle]:
    """The articles of every news mass send of `account`, in send order."""
    return [
        SentArticle(
            send=send,
            index=index,
            title=article["title"],
            has_source=bool(article.get("content_source_url")),
        )
        for send in state.mass_sends
        if send.account == account.code and send.msgtype == "mpnews"
        for index, article in enumerate(send.content.get("articles") or [], 1)
    ]


def _day(value: Any) -> date:
    if not isinstance(value, str):
        raise WechatError(DATE_FORMAT_ERROR, "invalid date format")
    try:
        return datetime.strptime(value, "%Y-%m-%d").date()
    except ValueError:
        raise WechatError(DATE_FORMAT_ERROR, "invalid date format") from None


async def date_range(request: Request, state: SandboxState, span: int) -> list[date]:
    """The days `begin_date`..`end_date` of the body, checked against the API's `span`."""
    body = await json_body(request)
    begin, end = _day(body.get("begin_date")), _day(body.get("end_date"))
    yesterday = state.clock.local().date() - timedelta(days=1)
    if end < begin or (end - begin).days >= span or end > yesterday:
        raise WechatError(DATE_RANGE_ERROR, "invalid date range")
    return [begin + timedelta(days=n) for n in range((end - begin).days + 1)]


@router.post("/getarticlesummary", summary="获取图文群发每日数据")
async def article_summary(
    request: Request, state: StateDep, account: CallerDep
) -> dict[str, list[dict[str, Any]]]:
    """Every mass-sent article read on the day, with that day's figures."""
    items = []
    for day in await date_range(request, state, 1):
        for article in sent_articles(state, account):
            counts = article.counts(state, day)
            if counts["int_page_read_user"]:
                named = {"msgid": article.msgid, "title": article.title}
                items.append({"ref_date": day.isoformat(), "user_source": 0, **named, **counts})
    return {"list": items}


@router.post("/getarticletotal", summary="获取图文群发总数据")
async def article_total(
    request: Request, state: StateDep, account: CallerDep
) -> dict[str, list[dict[str, Any]]]:
    """The articles mass-sent on the day, with their totals at the end of each day since."""
    items = []
    yesterday = state.clock.local().date() - timedelta(days=1)
    for day in await date_range(request, state, 1):
        for article in sent_articles(state, account):
            if state.clock.local(article.send.at).date() != day:
                continue
            details, total = [], NO_COUNTS
            for n in range(READING_DAYS):
                stat_date = day + timedelta(days=n)
                if stat_date > yesterday:
                    break
                total = added(total, article.counts(state, stat_date))
                reached = {"target_user": article.send.recipients}
                details.append({"stat_date": stat_date.isoformat(), **reached, **total})
            items.append(
                {
                    "ref_date": day.isoformat(),
                    "msgid": article.msgid,
                    "title": article.title,
                    "details": details,
                }
            )
    return {"list": items}


async def _followers_per_day(
    request: Request,
    state: SandboxState,
    account: Account,
    of_day: Callable[[date, list[date]], Any],
) -> dict[str, list[dict[str, Any]]]:
    """A user API's answer: each day of the range (span 7) with what `of_day` says of it, given
    the day each standing follow of `account` began."""
    follows = [
        state.clock.local(at).date()
        for (appid, _), at in state.follows.items()
        if appid == account.appid
    ]
    days = await date_range(request, state, 7)
    return {"list": [{"ref_date": day.isoformat(), **of_day(day, follows)} for day in days]}


@router.post("/getusersummary", summary="获取用户增减数据")
async def user_summary(
    request: Request, state: StateDep, account: CallerDep
) -> dict[str, list[dict[str, Any]]]:
    """New and cancelled followers of each day (one user source: 0, other)."""

    def changes(day: date, follows: list[date]) -> dict[str, int]:
        return {"user_source": 0, "new_user": follows.count(day), "cancel_user": 0}

    return await _followers_per_day(request, state, account, changes)


@router.post("/getusercumulate", summary="获取累计用户数据")
async def user_cumulate(
    request: Request, state: StateDep, account: CallerDep
) -> dict[str, list[dict[str, Any]]]:
    """Followers at the end of each day."""

    def cumulated(day: date, follows: list[date]) -> dict[str, int]:
        return {"cumulate_user": sum(began <= day for began in follows)}

    return await _followers_per_day(request, state, account, cumulated)
