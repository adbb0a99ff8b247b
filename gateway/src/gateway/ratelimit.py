"""Rate limits of the federation path: fixed-window counters per client, in memory or in Redis.

Every `/api/v1/...` request a citizen or an anonymous caller makes counts against the general
tier; a request for a sensitive public lookup (the `strict_paths` of each service, e.g. traffic's
`violations?plate=&vin6=`, which would otherwise let the VIN be enumerated) also counts against
the strict tier. The client is the signed-in citizen, else the client's IP address. Staff calls
(`X-Api-Key`) and WeChat's callbacks are not limited.

Windows are fixed and aligned on the epoch, so a counter is one INCR and all replicas agree on
the window without talking to each other. The in-memory limiter serves one process; with
`GATEWAY_REDIS_URL` set, counters live in Redis and are shared by every replica. When Redis
fails, requests are let through (and a warning logged): availability wins over strictness.
"""

from __future__ import annotations

import hashlib
import ipaddress
import logging
import math
import time
from abc import abstractmethod
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

import redis.asyncio as redis
from prometheus_client import Counter

from gateway.redis_client import RedisBacked
from gateway.stores import InMemory, Store
from servicekit.errors import TooManyRequests

log = logging.getLogger("gateway.ratelimit")

REDIS_PREFIX = "gateway:ratelimit:"
TOO_MANY_DETAIL = "请求过于频繁，请稍后再试。"


@dataclass(frozen=True)
class Tier:
    """At most `limit` requests per client in each window of `window_seconds`."""

    name: str
    limit: int
    window_seconds: int


def window_of(now: float, window_seconds: int) -> tuple[int, int]:
    """The window `now` falls in (its number since the epoch) and the whole seconds to its end."""
    number = int(now // window_seconds)
    retry_after = max(1, math.ceil((number + 1) * window_seconds - now))
    return number, retry_after


def verdict(count: int, tier: Tier, retry_after: int) -> int | None:
    """None when the `count`-th request of a window is allowed, else the seconds to wait."""
    return None if count <= tier.limit else retry_after


# -- which requests are strict -----------------------------------------------------------------


def _segments(path: str) -> tuple[str, ...]:
    """`path` split into segments with empty and dot segments resolved, lower-cased."""
    out: list[str] = []
    for segment in path.split("/"):
        if segment in ("", "."):
            continue
        if segment == "..":
            if out:
                out.pop()
        else:
            out.append(segment.lower())
    return tuple(out)


class StrictPaths:
    """Path patterns per service, relative to the service's `/v1/`; `*` is any one segment.

    Matching is on the decoded path with dot segments resolved and case ignored, so `Violations/`
    or `./violations` count as `violations` (refusing too much is harmless).
    """

    def __init__(self, patterns: Mapping[str, Iterable[str]]) -> None:
        self._patterns = {
            service: tuple(_segments(p) for p in paths) for service, paths in patterns.items()
        }

    def match(self, service: str, path: str) -> bool:
        """True when `path` of `service` is a sensitive lookup."""
        patterns = self._patterns.get(service)
        if not patterns:
            return False
        segments = _segments(path)
        for pattern in patterns:
            if len(pattern) == len(segments) and all(
                p == "*" or p == s for p, s in zip(pattern, segments, strict=True)
            ):
                return True
        return False


class ClientAddress:
    """The client's IP address: the ASGI peer, or from `X-Forwarded-For` behind trusted proxies.

    Behind trusted proxies the address is the right-most one in `X-Forwarded-For` that is not a
    trusted proxy itself (what a client writes to the left of that is not to be believed).
    """

    def __init__(self, trusted_proxies: Iterable[str]) -> None:
        self._networks = tuple(ipaddress.ip_network(p, strict=False) for p in trusted_proxies)

    def _trusted(self, address: str) -> bool:
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(ip in network for network in self._networks)

    def resolve(self, peer: str, forwarded_for: str | None) -> str:
        """The client address of a request from `peer` that carried `forwarded_for`."""
        if not self._networks or not forwarded_for or not self._trusted(peer):
            return peer
        hops = [hop.strip() for hop in forwarded_for.split(",") if hop.strip()]
        for hop in reversed(hops):
            if not self._trusted(hop):
                return hop
        return hops[0] if hops else peer


# -- limiters ----------------------------------------------------------------------------------


class RateLimiter(Store):
    """Counts requests per client and tier; `hit` says whether one more is allowed."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self.clock = clock

    @abstractmethod
    async def hit(self, client: str, tiers: tuple[Tier, ...]) -> int | None:
        """Count one request of `client` in each tier: None if allowed, else Retry-After seconds."""


class MemoryRateLimiter(InMemory, RateLimiter):
    """The counters of one process (the default, when no Redis is configured).

    Each tier keeps the counters of its current window only: they are all dropped when the
    window moves on, so memory holds one window's clients at most.
    """

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        super().__init__(clock)
        self._windows: dict[str, int] = {}
        self._counts: dict[str, dict[str, int]] = {}

    async def hit(self, client: str, tiers: tuple[Tier, ...]) -> int | None:
        """Count one request of `client` in each tier: None if allowed, else Retry-After seconds."""
        now = self.clock()
        wait: int | None = None
        for tier in tiers:
            number, retry_after = window_of(now, tier.window_seconds)
            counts = self._counts.get(tier.name)
            if counts is None or self._windows[tier.name] != number:
                counts = self._counts[tier.name] = {}
                self._windows[tier.name] = number
            count = counts[client] = counts.get(client, 0) + 1
            over = verdict(count, tier, retry_after)
            if over is not None:
                wait = max(wait or 0, over)
        return wait


def _hashed(client: str) -> str:
    """The client key as Redis stores it: no IP address or citizen id in key names."""
    return hashlib.blake2b(client.encode(), digest_size=12).hexdigest()


class RedisRateLimiter(RedisBacked, RateLimiter):
    """Counters shared by every gateway replica: INCR and EXPIRE in one MULTI/EXEC round trip."""

    def __init__(self, url: str, clock: Callable[[], float] = time.time) -> None:
        super().__init__(clock)
        self._connect_to(url, purpose="rate limiter")

    async def hit(self, client: str, tiers: tuple[Tier, ...]) -> int | None:
        """Count one request of `client` in each tier: None if allowed, else Retry-After seconds.

        None as well when Redis cannot be reached in time (logged): the request goes through.
        """
        now = self.clock()
        digest = _hashed(client)
        windows = [window_of(now, tier.window_seconds) for tier in tiers]
        try:
            async with self._client.pipeline(transaction=True) as pipe:
                for tier, (number, _) in zip(tiers, windows, strict=True):
                    key = f"{REDIS_PREFIX}{tier.name}:{number}:{digest}"
                    # The key names its window, so the TTL only has to outlive it.
                    pipe.incr(key).expire(key, tier.window_seconds + 1)
                replies = await pipe.execute()
        except (redis.RedisError, OSError, TimeoutError) as exc:
            log.warning("rate limit not checked, Redis failed: %s", exc)
            return None
        wait: int | None = None
        for index, (tier, (_, retry_after)) in enumerate(zip(tiers, windows, strict=True)):
            over = verdict(int(replies[2 * index]), tier, retry_after)
            if over is not None:
                wait = max(wait or 0, over)
        return wait


def create_rate_limiter(redis_url: str) -> RateLimiter:
    """The Redis limiter when `redis_url` is set, else the in-memory one."""
    if redis_url:
        return RedisRateLimiter(redis_url)
    return MemoryRateLimiter()


class RateLimits:
    """What the proxy consults: the limiter, the two tiers, the strict paths, client addresses."""

    def __init__(
        self,
        limiter: RateLimiter,
        *,
        general: Tier,
        strict: Tier,
        strict_paths: StrictPaths,
        addresses: ClientAddress,
        refused: Counter,
    ) -> None:
        self.limiter = limiter
        # gateway_rate_limited_total, labelled by bucket.
        self.refused = refused
        self._general = (general,)
        self._both = (general, strict)
        self.strict_paths = strict_paths
        self.addresses = addresses

    async def check(self, client: str, service: str, path: str) -> None:
        """Count the request; raise 429 with Retry-After when `client` is over a limit."""
        strict = self.strict_paths.match(service, path)
        wait = await self.limiter.hit(client, self._both if strict else self._general)
        if wait is not None:
            self.refused.labels("strict" if strict else "general").inc()
            raise TooManyRequests(TOO_MANY_DETAIL, headers={"Retry-After": str(wait)})
