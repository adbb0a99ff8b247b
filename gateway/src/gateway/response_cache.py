"""The gateway's response cache: public answers services mark cacheable, kept in memory (bounded,
least recently used first) or in Redis when configured (shared by replicas).

What is kept and for how long is `cache_rules.py`'s; this module stores entries. An entry
outlives its freshness by `stale_seconds` when it has an ETag, so that the proxy can revalidate
it with If-None-Match rather than fetch it again. A write through the gateway to a service
(a forecaster's new issuance, a new warning signal) purges that service's entries (`purge`), so
it is visible at once; other changes become visible within the max-age the service set. Times
come from the injected `clock` (wall-clock seconds: Redis entries are shared between hosts).
"""

from __future__ import annotations

import json
import logging
import time
from abc import abstractmethod
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

import redis.asyncio as redis

from gateway.cache_rules import Policy, RawHeaders
from gateway.redis_client import RedisBacked
from gateway.stores import InMemory, Store

log = logging.getLogger("gateway.response_cache")

REDIS_PREFIX = "gateway:cache:"
# Per-entry overhead counted against the memory budget beside the body and headers.
_ENTRY_OVERHEAD_BYTES = 256


@dataclass(frozen=True)
class CachedResponse:
    """One kept answer: status, headers (kept_headers), body, when it was kept and its policy."""

    status: int
    headers: RawHeaders
    body: bytes
    stored_at: float
    policy: Policy

    @property
    def size(self) -> int:
        """Bytes it costs the memory budget."""
        return (
            len(self.body) + sum(len(k) + len(v) for k, v in self.headers) + _ENTRY_OVERHEAD_BYTES
        )

    def to_bytes(self) -> bytes:
        """A compact form for Redis: a JSON line of everything but the body, then the body."""
        meta = {
            "s": self.status,
            "h": [[k.decode("latin-1"), v.decode("latin-1")] for k, v in self.headers],
            "t": self.stored_at,
            "m": self.policy.max_age,
            "e": self.policy.etag,
            "a": self.policy.initial_age,
        }
        return json.dumps(meta, separators=(",", ":")).encode() + b"\n" + self.body

    @classmethod
    def from_bytes(cls, data: bytes) -> CachedResponse:
        """The entry `to_bytes` wrote."""
        line, _, body = data.partition(b"\n")
        meta = json.loads(line)
        headers = tuple((k.encode("latin-1"), v.encode("latin-1")) for k, v in meta["h"])
        return cls(meta["s"], headers, body, meta["t"], Policy(meta["m"], meta["e"], meta["a"]))


def entry_key(service: str, target: str) -> str:
    """The key of a GET of `target` (the upstream path and query) on `service`."""
    return f"{service}:{target}"


class ResponseCache(Store):
    """Where kept answers live; every method is best effort (a failing store is a miss)."""

    def __init__(self, *, stale_seconds: float, clock: Callable[[], float]) -> None:
        self.stale_seconds = stale_seconds
        self.clock = clock

    def retention(self, entry: CachedResponse) -> float:
        """Seconds from now an entry is worth keeping: while fresh, then while revalidatable."""
        remaining = entry.policy.max_age - entry.policy.initial_age
        remaining -= self.clock() - entry.stored_at
        if entry.policy.etag is not None:
            remaining += self.stale_seconds
        return remaining

    @abstractmethod
    async def get(self, key: str) -> CachedResponse | None:
        """The entry under `key`, fresh or stale, if any."""

    @abstractmethod
    async def put(self, key: str, entry: CachedResponse) -> None:
        """Keep `entry` under `key` (replacing any)."""

    @abstractmethod
    async def purge(self, service: str) -> None:
        """Forget every entry of `service`."""


class MemoryResponseCache(InMemory, ResponseCache):
    """Entries in this process, least recently used dropped first beyond `max_bytes`."""

    def __init__(
        self,
        *,
        max_bytes: int,
        stale_seconds: float,
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__(stale_seconds=stale_seconds, clock=clock)
        self.max_bytes = max_bytes
        self.bytes = 0
        self._entries: OrderedDict[str, CachedResponse] = OrderedDict()

    async def get(self, key: str) -> CachedResponse | None:
        """The entry under `key` (now the most recently used), unless it is past keeping."""
        entry = self._entries.get(key)
        if entry is None:
            return None
        if self.retention(entry) <= 0:
            self._drop(key)
            return None
        self._entries.move_to_end(key)
        return entry

    async def put(self, key: str, entry: CachedResponse) -> None:
        """Keep `entry`, dropping the least recently used ones to stay within the budget."""
        self._drop(key)
        if entry.size > self.max_bytes:
            return
        self._entries[key] = entry
        self.bytes += entry.size
        while self.bytes > self.max_bytes:
            self._drop(next(iter(self._entries)))

    async def purge(self, service: str) -> None:
        """Forget the service's entries."""
        prefix = entry_key(service, "")
        for key in [k for k in self._entries if k.startswith(prefix)]:
            self._drop(key)

    def _drop(self, key: str) -> None:
        entry = self._entries.pop(key, None)
        if entry is not None:
            self.bytes -= entry.size


class RedisResponseCache(RedisBacked, ResponseCache):
    """Entries in Redis, shared by replicas, each expiring when no longer worth keeping."""

    def __init__(
        self, url: str, *, stale_seconds: float, clock: Callable[[], float] = time.time
    ) -> None:
        super().__init__(stale_seconds=stale_seconds, clock=clock)
        self._connect_to(url, purpose="response cache")

    async def get(self, key: str) -> CachedResponse | None:
        """The entry under `key`; None too when Redis fails (a warning is logged)."""
        try:
            data = await self._client.get(REDIS_PREFIX + key)
        except redis.RedisError as exc:
            log.warning("response cache unavailable, answering uncached: %r", exc)
            return None
        return None if data is None else CachedResponse.from_bytes(data)

    async def put(self, key: str, entry: CachedResponse) -> None:
        """Keep `entry` until it is past keeping (Redis expires it)."""
        keep_ms = int(self.retention(entry) * 1000)
        if keep_ms <= 0:
            return
        try:
            await self._client.set(REDIS_PREFIX + key, entry.to_bytes(), px=keep_ms)
        except redis.RedisError as exc:
            log.warning("response cache unavailable, answer not kept: %r", exc)

    async def purge(self, service: str) -> None:
        """Forget the service's entries (a SCAN of its keys: writes are rare)."""
        try:
            keys = [k async for k in self._client.scan_iter(f"{REDIS_PREFIX}{service}:*")]
            if keys:
                await self._client.delete(*keys)
        except redis.RedisError as exc:
            log.warning("response cache unavailable, %s entries not purged: %r", service, exc)


def create_response_cache(redis_url: str, *, max_bytes: int, stale_seconds: float) -> ResponseCache:
    """Redis-backed when `redis_url` is set, else in memory within `max_bytes`."""
    if redis_url:
        return RedisResponseCache(redis_url, stale_seconds=stale_seconds)
    return MemoryResponseCache(max_bytes=max_bytes, stale_seconds=stale_seconds)
