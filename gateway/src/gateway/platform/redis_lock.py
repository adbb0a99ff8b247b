"""A lock in Redis that one owner holds at a time: `SET key owner NX PX ttl`, owner-only release.

The expiry frees the lock when its holder dies mid-refresh; releasing compares the owner so a
holder that outlived its expiry never deletes the next holder's lock.
"""

from __future__ import annotations

import secrets

from redis.asyncio import Redis

_COMPARE_AND_DELETE = """
if redis.call('get', KEYS[1]) == ARGV[1] then
    return redis.call('del', KEYS[1])
end
return 0
"""


class RedisLock:
    """One attempt at holding `key` for at most `ttl_ms` milliseconds."""

    def __init__(self, redis: Redis, key: str, ttl_ms: int) -> None:
        self.redis = redis
        self.key = key
        self.ttl_ms = ttl_ms
        self.owner = secrets.token_hex(16)

    async def acquire(self) -> bool:
        """Take the lock if nobody holds it; never waits."""
        return bool(await self.redis.set(self.key, self.owner, nx=True, px=self.ttl_ms))

    async def release(self) -> None:
        """Give the lock back if it is still ours."""
        await compare_and_delete(self.redis, self.key, self.owner)


async def compare_and_delete(redis: Redis, key: str, value: str) -> bool:
    """Delete `key` only while it still holds `value` (atomically, in one script)."""
    return bool(await redis.eval(_COMPARE_AND_DELETE, 1, key, value))
