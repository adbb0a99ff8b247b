"""Influence rankings of the active accounts over a period ending on a given day.

Scores: the WCI formulas of `accounts.wci` on the period's totals, or a People's-Daily-style
composite (0-100) of reach, service and interaction. Ties are broken by reads, then by code, so
the same data always gives the same order. The rank change compares with the period of the same
length just before (positive = moved up).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date, timedelta
from math import log
from typing import Literal, get_args

from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import Session

from accounts import openapi_examples as examples
from accounts.statistics import ActiveAccount, Totals, active_accounts, aggregate, followers_on
from accounts.wci import wci_v2, wci_v13, wci_v14_2

Period = Literal["day", "week", "month", "half-year"]
Formula = Literal["wci-v2", "wci-v13", "wci-v14.2", "composite"]
PERIOD_DAYS: dict[str, int] = {"day": 1, "week": 7, "month": 30, "half-year": 182}
FORMULAS: tuple[str, ...] = get_args(Formula)
# Reads below which an account's interaction rate is damped towards zero: a handful of likes on
# a handful of reads must not outrank steady engagement on thousands.
INTERACTION_DAMPING_READS = 100


@dataclass(frozen=True)
class Window:
    """The local days start..end (inclusive) of a period."""

    start: date
    end: date

    @property
    def days(self) -> int:
        """The number of days in the window (d of the WCI formulas)."""
        return (self.end - self.start).days + 1

    def before(self) -> Window:
        """The window of the same length that ends the day before this one starts."""
        return Window(start=self.start - timedelta(days=self.days), end=self.start - timedelta(1))


def period_window(*, period: Period, on: date) -> Window:
    """The period of kind `period` that ends on the day `on`."""
    return Window(start=on - timedelta(days=PERIOD_DAYS[period] - 1), end=on)


@dataclass(frozen=True)
class CompositeWeights:
    """Weights of the composite's three parts; they add up to 1."""

    reach: float = 0.30
    service: float = 0.35
    interaction: float = 0.35


@dataclass(frozen=True)
class CompositeInput:
    """What the composite of one account is computed from."""

    reads: int
    interactions: int
    followers: int
    has_menu: bool
    active_weeks: int


class CompositeParts(BaseModel):
    """The composite's parts, each 0-100."""

    reach: float = Field(description="传播力：日均阅读数与粉丝数（对数），以本期最高者为 100")
    service: float = Field(description="服务力：有自定义菜单 50 分 + 有推送的周数占比 × 50")
    interaction: float = Field(
        description="互动力：每次阅读的点赞 + 在看 + 转发数，以本期最高者为 100"
    )


def composite_scores(
    *, inputs: dict[str, CompositeInput], days: int, weights: CompositeWeights
) -> dict[str, tuple[float, CompositeParts]]:
    """The composite score (0-100) and its parts for every account of `inputs`.

    reach: 0.7 ln(1 + reads per day) + 0.3 ln(1 + followers), scaled so the period's best is 100.
    service: 50 for a usable custom menu + 50 x the share of the period's weeks with a push
    (already on an absolute scale, so not rescaled). interaction: (likes + 在看 + shares) per
    (reads + 100), scaled so the period's best is 100.
    """
    weeks = max(1.0, days / 7)
    reach_raw = {
        code: 0.7 * log(1 + i.reads / days) + 0.3 * log(1 + i.followers)
        for code, i in inputs.items()
    }
    interaction_raw = {
        code: i.interactions / (i.reads + INTERACTION_DAMPING_READS) for code, i in inputs.items()
    }
    best_reach = max(reach_raw.values(), default=0.0)
    best_interaction = max(interaction_raw.values(), default=0.0)
    out: dict[str, tuple[float, CompositeParts]] = {}
    for code, i in inputs.items():
        parts = CompositeParts(
            reach=100 * reach_raw[code] / best_reach if best_reach > 0 else 0.0,
            service=50 * i.has_menu + 50 * min(1.0, i.active_weeks / weeks),
            interaction=(
                100 * interaction_raw[code] / best_interaction if best_interaction > 0 else 0.0
            ),
        )
        score = (
            weights.reach * parts.reach
            + weights.service * parts.service
            + weights.interaction * parts.interaction
        )
        out[code] = (score, parts)
    return out


def _wci_inputs(totals: Totals, **letters: str) -> dict[str, float]:
    """The inputs X, Xt (headlines) and Xmax (best article) of each count letter X names."""
    inputs: dict[str, float] = {}
    for letter, count in letters.items():
        inputs[letter] = getattr(totals, count)
        inputs[f"{letter}t"] = getattr(totals, f"headline_{count}")
        inputs[f"{letter}max"] = getattr(totals, f"max_{count}")
    return inputs


def wci_score(*, formula: str, totals: Totals, days: int) -> float:
    """The WCI of one account's totals over `days` days with the formula named `formula`."""
    t = totals
    if formula == "wci-v2":
        return wci_v2(R=t.reads, n=t.articles, Rmax=t.max_reads, Z=t.likes, Zmax=t.max_likes)
    if formula == "wci-v13":
        return wci_v13(d=days, n=t.articles, **_wci_inputs(t, R="reads", Z="likes"))
    if formula == "wci-v14.2":
        # v14.2's Z is 在看 (wows); likes moved to L.
        counts = _wci_inputs(t, R="reads", Z="wows", L="likes", RE="shares")
        return wci_v14_2(d=days, n=t.articles, **counts)
    raise ValueError(f"unknown formula {formula!r}")


class RankingTotals(BaseModel):
    """The raw totals a score came from (letters as in the WCI formulas)."""

    days: int = Field(description="d：统计天数")
    articles: int = Field(description="n：文章数")
    pushes: int = Field(description="推送（群发）次数")
    reads: int = Field(description="R：总阅读数（10万+ 计为 100001）")
    likes: int = Field(description="Z（v2、v13）/ L（v14.2）：总点赞数")
    wows: int = Field(description="W，v14.2 的 Z：总在看数")
    shares: int = Field(description="RE：总转发数")
    max_reads: int = Field(description="Rmax：单篇最高阅读数")
    max_likes: int = Field(description="Zmax：单篇最高点赞数")
    max_wows: int = Field(description="单篇最高在看数")
    max_shares: int = Field(description="单篇最高转发数")
    headline_reads: int = Field(description="Rt：头条总阅读数")
    headline_likes: int = Field(description="Zt：头条总点赞数")
    headline_wows: int = Field(description="头条总在看数")
    headline_shares: int = Field(description="头条总转发数")
    followers: int | None = Field(description="期末粉丝数（无逐日记录时取名录数）；不详时为空")


class RankedAccount(BaseModel):
    """One account's place in a ranking."""

    model_config = ConfigDict(json_schema_extra={"examples": [examples.RANKED_ACCOUNT]})
    rank: int
    previous_rank: int | None = Field(description="上一期排名；上一期无得分时为空")
    rank_change: int | None = Field(description="名次变化，正数为上升；上一期无得分时为空")
    code: str
    name: str
    kind: str | None
    score: float
    totals: RankingTotals
    components: CompositeParts | None = Field(description="综合指数的三项得分；WCI 时为空")


class Ranking(BaseModel):
    """A ranking of every active account over one period."""

    period: Period
    formula: Formula
    start: date
    end: date
    days: int
    previous_start: date
    previous_end: date
    items: list[RankedAccount]
    total: int


@dataclass(frozen=True)
class _Scored:
    account: ActiveAccount
    score: float
    totals: Totals
    followers: int | None
    parts: CompositeParts | None


def _score_window(
    *,
    session: Session,
    accounts: list[ActiveAccount],
    window: Window,
    formula: str,
    weights: CompositeWeights,
) -> list[_Scored]:
    """Every account scored over `window`, best first (score, then reads, then code)."""
    totals = aggregate(
        session=session, start=window.start, end=window.end, calendar=formula == "composite"
    )
    counted = followers_on(session=session, day=window.end)
    # Before any daily count exists, the registry's figure is the best known.
    followers = {
        a.code: counted.get(a.code, a.registered_followers)
        for a in accounts
        if a.code in counted or a.registered_followers is not None
    }
    empty = Totals()
    composite: dict[str, tuple[float, CompositeParts]] = {}
    if formula == "composite":
        composite = composite_scores(
            inputs={
                a.code: CompositeInput(
                    reads=(t := totals.get(a.code, empty)).reads,
                    interactions=t.likes + t.wows + t.shares,
                    followers=followers.get(a.code, 0),
                    has_menu=a.has_menu,
                    active_weeks=t.active_weeks,
                )
                for a in accounts
            },
            days=window.days,
            weights=weights,
        )
    scored = []
    for a in accounts:
        t = totals.get(a.code, empty)
        if formula == "composite":
            score, parts = composite[a.code]
        else:
            score, parts = wci_score(formula=formula, totals=t, days=window.days), None
        scored.append(
            _Scored(account=a, score=score, totals=t, followers=followers.get(a.code), parts=parts)
        )
    scored.sort(key=lambda s: (-s.score, -s.totals.reads, s.account.code))
    return scored


def rank(
    *,
    session: Session,
    period: Period,
    on: date,
    formula: Formula,
    weights: CompositeWeights | None = None,
) -> Ranking:
    """Rank every active account over the `period` ending on `on` with `formula`."""
    weights = weights or CompositeWeights()
    window = period_window(period=period, on=on)
    previous = window.before()
    accounts = active_accounts(session=session)
    current = _score_window(
        session=session, accounts=accounts, window=window, formula=formula, weights=weights
    )
    earlier = _score_window(
        session=session, accounts=accounts, window=previous, formula=formula, weights=weights
    )
    # Only an account that scored in the previous period had a place worth comparing with.
    previous_rank = {s.account.code: i for i, s in enumerate(earlier, 1) if s.score > 0}
    items = []
    for position, s in enumerate(current, 1):
        before = previous_rank.get(s.account.code)
        items.append(
            RankedAccount(
                rank=position,
                previous_rank=before,
                rank_change=None if before is None else before - position,
                code=s.account.code,
                name=s.account.name,
                kind=s.account.kind,
                score=round(s.score, 4),
                # pydantic ignores the Totals a ranking does not show (push days, active weeks…).
                totals=RankingTotals(**asdict(s.totals), days=window.days, followers=s.followers),
                components=s.parts,
            )
        )
    return Ranking(
        **asdict(window),
        period=period,
        formula=formula,
        days=window.days,
        previous_start=previous.start,
        previous_end=previous.end,
        items=items,
        total=len(items),
    )
