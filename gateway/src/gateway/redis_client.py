"""The Redis side of the gateway's stores shared by replicas (de-duplication, replay bindings,
rate limits, failed credentials).

A store mixes in `RedisBacked`: its client is created by `start` in the event loop that will use
it (redis-py binds its connections to a loop), closed with the app, and has short timeouts so
that a slow Redis costs a request at most a second.
"""

from __future__ import annotations

import redis.asyncio as redis

TIMEOUT_SECONDS = 1.0


class RedisBacked:
    """A lazily created Redis client with the gateway's timeouts, and the store's lifecycle."""

    def _connect_to(self, url: str, *, purpose: str) -> None:
        self._redis_url = url
        self._redis_purpose = purpose
        self._redis: redis.Redis | None = None

    @property
    def _client(self) -> redis.Redis:
        if self._redis is None:
            raise RuntimeError(f"the {self._redis_purpose} is not started")
        return self._redis

    async def start(self) -> None:
        """Create the client (it connects on first use, in this event loop)."""
        self._redis = redis.Redis.from_url(
            self._redis_url,
            socket_connect_timeout=TIMEOUT_SECONDS,
            socket_timeout=TIMEOUT_SECONDS,
        )

    async def close(self) -> None:
        """Close the client's connections."""
        if self._redis is not None:
            await self._redis.aclose()
            self._redis = None
