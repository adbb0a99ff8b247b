"""WeChat Communication Index (WCI, 清博指数 gsdata.cn) as pure float functions.

Every count is a total over the evaluated period: R reads, n articles, d days, Rt/Zt/... the
totals of headline (头条) articles, Rmax/Zmax/... the best single article. "10万+" reads count as
100001. A zero divisor (no articles, no days) makes its ratio 0, so an account without articles
scores 0 rather than failing.
"""

from __future__ import annotations

from math import log


def _ratio(numerator: float, denominator: float) -> float:
    """numerator / denominator, or 0 when there is nothing to divide by (n = 0 or d = 0)."""
    return numerator / denominator if denominator > 0 else 0.0


def wci_v2(*, R: float, n: float, Rmax: float, Z: float, Zmax: float) -> float:
    """WCI v2.0 (2015): reads and likes (点赞 Z), each as total, per article and best article.

    read = 0.40 ln(R+1) + 0.45 ln(R/n+1) + 0.15 ln(Rmax+1), like likewise with Z;
    WCI = (0.8 read + 0.2 like)^2 x 10.
    """
    read = 0.40 * log(R + 1) + 0.45 * log(_ratio(R, n) + 1) + 0.15 * log(Rmax + 1)
    like = 0.40 * log(Z + 1) + 0.45 * log(_ratio(Z, n) + 1) + 0.15 * log(Zmax + 1)
    return (0.8 * read + 0.2 * like) ** 2 * 10


def _v13_part(reads: float, likes: float) -> float:
    return 0.85 * log(reads + 1) + 0.15 * log(10 * likes + 1)


def wci_v13(
    *,
    R: float,
    Z: float,
    d: float,
    n: float,
    Rt: float,
    Zt: float,
    Rmax: float,
    Zmax: float,
) -> float:
    """WCI v13 (from July 2017): overall (O), per-article (A), headline (H) and peak (P) reach.

    Z counts likes (点赞). O = .85 ln(R/d+1) + .15 ln(10Z/d+1), A the same per article,
    H the same for headlines per day, P = .85 ln(Rmax+1) + .15 ln(10Zmax+1);
    WCI = (0.3 O + 0.3 A + 0.3 H + 0.1 P)^2 x 10.
    """
    overall = _v13_part(_ratio(R, d), _ratio(Z, d))
    average = _v13_part(_ratio(R, n), _ratio(Z, n))
    headline = _v13_part(_ratio(Rt, d), _ratio(Zt, d))
    peak = _v13_part(Rmax, Zmax)
    return (0.3 * overall + 0.3 * average + 0.3 * headline + 0.1 * peak) ** 2 * 10


def _v14_part(reads: float, wows: float, likes: float, shares: float) -> float:
    return (
        0.70 * log(reads + 1)
        + 0.09 * log(10 * wows + 1)
        + 0.06 * log(10 * likes + 1)
        + 0.15 * log(10 * shares + 1)
    )


def wci_v14_2(
    *,
    R: float,
    Z: float,
    L: float,
    RE: float,
    d: float,
    n: float,
    Rt: float,
    Zt: float,
    Lt: float,
    REt: float,
    Rmax: float,
    Zmax: float,
    Lmax: float,
    REmax: float,
) -> float:
    """WCI v14.2: v13's four dimensions over reads, 在看 (Z), likes 点赞 (L) and shares 转发 (RE).

    Source: gsdata's own description of the index, "微信传播指数WCI(V14.2)" on
    https://www.gsdata.cn/site/usage (read in a stored copy). Each dimension weighs reads 70%,
    在看 9%, likes 6% and shares 15%, e.g. O = 0.70 ln(R/d+1) + 0.09 ln(10Z/d+1)
    + 0.06 ln(10L/d+1) + 0.15 ln(10RE/d+1); A is the same per article (/n), H the same over
    headlines per day (/d), P over the best article's figures; the first-level weights moved to
    60/20/10/10 and the result is scaled by 1.2:
    WCI = (0.6 O + 0.2 A + 0.1 H + 0.1 P)^2 x 1.2 x 10.
    (Blog re-implementations circulate a variant with 0.85/0.09/0.06, no shares and no 1.2;
    gsdata's page is followed here.)
    """
    overall = _v14_part(_ratio(R, d), _ratio(Z, d), _ratio(L, d), _ratio(RE, d))
    average = _v14_part(_ratio(R, n), _ratio(Z, n), _ratio(L, n), _ratio(RE, n))
    headline = _v14_part(_ratio(Rt, d), _ratio(Zt, d), _ratio(Lt, d), _ratio(REt, d))
    peak = _v14_part(Rmax, Zmax, Lmax, REmax)
    return (0.6 * overall + 0.2 * average + 0.1 * headline + 0.1 * peak) ** 2 * 1.2 * 10
