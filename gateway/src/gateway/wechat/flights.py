"""One fetch in flight per key (callers asking while it runs share its result), and the cache of
what chat reads from the services (chat configurations, answer catalogues) built on it."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Coroutine, Hashable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

log = logging.getLogger("gateway.wechat")

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

# After a failed fetch the value kept is used this long (at most the TTL) before asking again.
RETRY_AFTER_FAILURE_SECONDS = 5.0


class Flights(Generic[K, V]):
    """At most one fetch per key at a time; every caller meanwhile awaits that one."""

    def __init__(self) -> None:
        self._inflight: dict[K, asyncio.Task[V]] = {}

    async def join(self, key: K, fetch: Callable[[], Coroutine[Any, Any, V]]) -> V:
        """The result of the fetch of `key` in flight, started with `fetch()` when none is."""
        task = self._inflight.get(key)
        if task is None:
            task = asyncio.create_task(fetch())
            self._inflight[key] = task
            task.add_done_callback(lambda _: self._inflight.pop(key, None))
        # Shielded: a caller running out of time must not cancel the fetch the others wait for.
        return await asyncio.shield(task)


@dataclass(frozen=True)
class _Kept(Generic[V]):
    value: V
    expires: float
    fetched: bool  # False for the fallback's value


@dataclass(eq=False)
class Refreshed(Generic[K, V]):
    """Values fetched per key, reused for `ttl` seconds, one fetch in flight per key.

    When a fetch fails (one of `failures`), the last value fetched serves on, else the
    `fallback`'s, for RETRY_AFTER_FAILURE_SECONDS before the next caller asks again; a fallback of
    None is not kept, so the next caller asks at once (an upstream that is down is spared by its
    circuit breaker). `what` names the values in the log.
    """

    fetch: Callable[[K, float], Awaitable[V]]
    fallback: Callable[[K], V]
    ttl: float
    what: str
    failures: tuple[type[Exception], ...] = (Exception,)
    clock: Callable[[], float] = time.monotonic

    def __post_init__(self) -> None:
        self._kept: dict[K, _Kept[V]] = {}
        self._flights: Flights[K, V] = Flights()

    async def get(self, key: K, *, timeout: float) -> V:
        """The value of `key`: kept, fetched within `timeout` s (once for all callers), or the
        fallback."""
        kept = self._kept.get(key)
        if kept is not None and self.clock() < kept.expires:
            return kept.value
        return await self._flights.join(key, lambda: self._refresh(key, timeout))

    def forget(self, key: K | None = None) -> None:
        """Fetch the value of `key` (of every key when None) again next time."""
        if key is None:
            self._kept.clear()
        else:
            self._kept.pop(key, None)

    async def _refresh(self, key: K, timeout: float) -> V:
        try:
            value = await self.fetch(key, timeout)
        except self.failures as exc:
            previous = self._kept.get(key)
            if previous is not None and previous.fetched:
                value, fetched, source = previous.value, True, "the last one read"
            else:
                value, fetched, source = self.fallback(key), False, "the fallback"
            log.warning(
                "%s of %s unavailable (%s); using %s", self.what, key, type(exc).__name__, source
            )
            if value is not None:
                retry = min(self.ttl, RETRY_AFTER_FAILURE_SECONDS)
                self._kept[key] = _Kept(value, self.clock() + retry, fetched)
            return value
        self._kept[key] = _Kept(value, self.clock() + self.ttl, True)
        return value
