"""One fetch in flight per key: callers asking while it runs share its result."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine, Hashable
from typing import Any, Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


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
