"""One access-token owner per account (DESIGN §7).

WeChat keeps one token per account current: every fetch replaces the previous token after a short
overlap, so workers fetching on their own invalidate each other (the classic cause of 40001).
Here a process refreshes each account's token at most once at a time (an asyncio lock: concurrent
callers wait for that one fetch), and with Redis the token is shared by every worker and refreshed
under a Redis lock, the other workers polling for the token it stores.
"""

from __future__ import annotations

import asyncio
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import KW_ONLY, dataclass
from typing import Protocol

from redis.asyncio import Redis
from redis.exceptions import RedisError

from gateway.platform.errors import PlatformUnavailable
from gateway.platform.redis_lock import RedisLock, compare_and_delete

# Fetches one new token for an appid: (token, expires_in seconds).
Fetch = Callable[[], Awaitable[tuple[str, int]]]

# A token is dropped from the cache this long before WeChat says it expires, so a call never
# leaves with a token that lapses on the way (bounded to half the lifetime for short-lived ones).
DEFAULT_MARGIN_SECONDS = 300.0


def cache_seconds(expires_in: int, margin: float) -> float:
    """How long to keep a token WeChat says lives `expires_in` seconds."""
    return max(expires_in - min(margin, expires_in / 2), 1.0)


class TokenCache(Protocol):
    """Where current tokens live: this process's memory, or Redis shared by all workers."""

    async def get(self, appid: str) -> str | None:
        """The cached token, if any and still fresh."""
        ...

    async def discard(self, appid: str, token: str) -> None:
        """Forget `token` if it is still the cached one (a fresher one is kept)."""
        ...

    async def refresh(self, appid: str, fetch: Fetch) -> str:
        """Fetch and cache a new token, unless another owner just did; return the current one."""
        ...


class MemoryTokenCache:
    """Tokens in this process only (no Redis: a single replica)."""

    def __init__(self, margin: float = DEFAULT_MARGIN_SECONDS) -> None:
        self.margin = margin
        self._tokens: dict[str, tuple[str, float]] = {}

    async def get(self, appid: str) -> str | None:
        """The cached token, if any and still fresh."""
        cached = self._tokens.get(appid)
        if cached is None or cached[1] <= time.monotonic():
            return None
        return cached[0]

    async def discard(self, appid: str, token: str) -> None:
        """Forget `token` if it is still the cached one."""
        if self._tokens.get(appid, ("", 0.0))[0] == token:
            del self._tokens[appid]

    async def refresh(self, appid: str, fetch: Fetch) -> str:
        """Fetch and cache a new token."""
        token, expires_in = await fetch()
        self._tokens[appid] = (token, time.monotonic() + cache_seconds(expires_in, self.margin))
        return token


@dataclass(eq=False)
class RedisTokenCache:
    """Tokens in Redis, shared by every worker; refreshed by one worker at a time."""

    redis: Redis
    _: KW_ONLY
    margin: float = DEFAULT_MARGIN_SECONDS
    # Longer than one fetch may take, so the lock outlives its holder only if it died.
    lock_seconds: float = 15.0
    poll_seconds: float = 0.05
    prefix: str = "guanwei:wechat"

    def _key(self, appid: str) -> str:
        return f"{self.prefix}:access_token:{appid}"

    async def get(self, appid: str) -> str | None:
        """The shared token, if any (Redis expires it ahead of WeChat)."""
        value = await self.redis.get(self._key(appid))
        return value.decode() if isinstance(value, bytes) else value

    async def discard(self, appid: str, token: str) -> None:
        """Delete `token` only if it is still the shared one (compare-and-delete in Redis)."""
        await compare_and_delete(self.redis, self._key(appid), token)

    async def refresh(self, appid: str, fetch: Fetch) -> str:
        """Fetch under the Redis lock, or wait for the worker holding it to store its token."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 2 * self.lock_seconds
        while True:
            lock = RedisLock(
                self.redis,
                f"{self.prefix}:access_token_lock:{appid}",
                int(self.lock_seconds * 1000),
            )
            if await lock.acquire():
                try:
                    # Another worker may have stored a token between our miss and our lock.
                    token = await self.get(appid)
                    if token is None:
                        token, expires_in = await fetch()
                        ttl_ms = int(cache_seconds(expires_in, self.margin) * 1000)
                        await self.redis.set(self._key(appid), token, px=ttl_ms)
                    return token
                finally:
                    await lock.release()
            await asyncio.sleep(self.poll_seconds)
            token = await self.get(appid)
            if token is not None:
                return token
            if loop.time() > deadline:
                raise PlatformUnavailable("timed out waiting for another worker's token refresh")


class AccessTokens:
    """The owner of every account's access token in this process."""

    def __init__(self, cache: TokenCache) -> None:
        self.cache = cache
        self._locks: defaultdict[str, asyncio.Lock] = defaultdict(asyncio.Lock)

    async def get(self, appid: str, fetch: Fetch) -> str:
        """The current token; at most one fetch per appid runs in this process at a time."""
        try:
            token = await self.cache.get(appid)
            if token is not None:
                return token
            async with self._locks[appid]:
                # Whoever held the lock before us has probably just refreshed it.
                token = await self.cache.get(appid)
                if token is not None:
                    return token
                return await self.cache.refresh(appid, fetch)
        except RedisError as exc:
            raise PlatformUnavailable(f"token cache unavailable: {exc!r}") from exc

    async def invalidate(self, appid: str, token: str) -> None:
        """The platform refused `token`: drop it unless a newer one already replaced it."""
        try:
            await self.cache.discard(appid, token)
        except RedisError as exc:
            raise PlatformUnavailable(f"token cache unavailable: {exc!r}") from exc
