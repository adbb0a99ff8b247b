"""Access tokens as WeChat issues them: `/cgi-bin/token` and `/cgi-bin/stable_token`.

The two kinds are independent of each other, as on the real platform. A newer token of a kind
leaves the previous one valid only for a short overlap; after that it is "not latest" (40001),
which is what a worker refreshing behind another worker's back runs into.
"""

from __future__ import annotations

import re
import secrets
from collections import Counter
from dataclasses import dataclass
from typing import Literal

from sandbox import errcodes
from sandbox.clock import Clock
from sandbox.errcodes import WechatError
from sandbox.settings import SandboxSettings

TokenKind = Literal["token", "stable"]
# Real tokens are 130-odd characters of this alphabet; anything else is malformed (40014).
_TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]{16,512}")


@dataclass
class IssuedToken:
    """One token: whose it is, until when, and whether a newer one replaced it."""

    appid: str
    expires_at: float
    superseded: bool = False


class TokenRegistry:
    """Every token issued, per appid and kind, with the daily limits and fetch counters."""

    def __init__(self, clock: Clock, settings: SandboxSettings) -> None:
        self.clock = clock
        self.settings = settings
        self.tokens: dict[str, IssuedToken] = {}
        self.current: dict[tuple[str, TokenKind], str] = {}
        self.fetches: Counter[str] = Counter()
        self.stable_fetches: Counter[str] = Counter()
        self._per_day: Counter[tuple[str, str, str]] = Counter()

    def fetch(self, appid: str) -> tuple[str, int]:
        """`/cgi-bin/token`: a new token (the previous one lapses after the overlap)."""
        if not self._within_daily(appid, "token", self.settings.token_daily_limit):
            raise WechatError(errcodes.QUOTA_EXCEEDED, "reach max api daily quota limit")
        self.fetches[appid] += 1
        return self._issue(appid, "token"), self.settings.token_ttl_seconds

    def fetch_stable(self, appid: str, *, force_refresh: bool) -> tuple[str, int]:
        """`/cgi-bin/stable_token`: the same token while it is valid, unless forced."""
        now = self.clock.now()
        existing = self.current.get((appid, "stable"), "")
        issued = self.tokens.get(existing)
        if not force_refresh and issued is not None and issued.expires_at > now:
            return existing, int(issued.expires_at - now)
        if force_refresh and not self._within_daily(
            appid, "force_refresh", self.settings.stable_token_force_refresh_daily_limit
        ):
            raise WechatError(errcodes.QUOTA_EXCEEDED, "reach max api daily quota limit")
        self.stable_fetches[appid] += 1
        return self._issue(appid, "stable"), self.settings.token_ttl_seconds

    def appid_of(self, token: str | None) -> str:
        """The appid a platform API call is made for, or WeChat's token error."""
        if not token:
            raise WechatError(errcodes.MISSING_ACCESS_TOKEN, "access_token missing")
        if not _TOKEN_SHAPE.fullmatch(token):
            raise WechatError(errcodes.INVALID_ACCESS_TOKEN, "invalid access_token")
        issued = self.tokens.get(token)
        if issued is None or (issued.superseded and issued.expires_at <= self.clock.now()):
            raise WechatError(
                errcodes.INVALID_CREDENTIAL,
                "invalid credential, access_token is invalid or not latest",
            )
        if issued.expires_at <= self.clock.now():
            raise WechatError(errcodes.ACCESS_TOKEN_EXPIRED, "access_token expired")
        return issued.appid

    def expire(self, appid: str) -> int:
        """Test hook: every token of `appid` expires now (42001 on use); returns how many."""
        now = self.clock.now()
        mine = [t for t in self.tokens.values() if t.appid == appid and t.expires_at > now]
        for issued in mine:
            issued.expires_at = now
        return len(mine)

    def invalidate(self, appid: str) -> int:
        """Test hook: forget every token of `appid` (40001 on use); returns how many."""
        mine = [token for token, t in self.tokens.items() if t.appid == appid]
        for token in mine:
            del self.tokens[token]
        for kind in ("token", "stable"):
            self.current.pop((appid, kind), None)
        return len(mine)

    def _issue(self, appid: str, kind: TokenKind) -> str:
        now = self.clock.now()
        previous = self.tokens.get(self.current.get((appid, kind), ""))
        if previous is not None:
            previous.superseded = True
            previous.expires_at = min(
                previous.expires_at, now + self.settings.token_overlap_seconds
            )
        token = secrets.token_urlsafe(102)
        self.tokens[token] = IssuedToken(
            appid=appid, expires_at=now + self.settings.token_ttl_seconds
        )
        self.current[(appid, kind)] = token
        return token

    def _within_daily(self, appid: str, what: str, limit: int) -> bool:
        key = (appid, what, self.clock.day())
        if self._per_day[key] >= limit:
            return False
        self._per_day[key] += 1
        return True
