"""Replay protection: a callback signature carries the message it was first seen with, and no other.

In plain and compatible mode the URL signature covers (token, timestamp, nonce) only, never the
body, and query strings end up in proxy and load-balancer logs. So within the timestamp window a
signature seen once could sign any body: another citizen's openid, another menu click. Each
signature used is remembered, bound to the identity of its message (`dedup_key`: sender with
MsgId, or CreateTime with the event), until its timestamp can no longer pass the window check:

- WeChat retries the same message with the same query: the binding matches, and de-duplication
  answers the stored reply;
- the same signature with another message is a replay: refused (403) and logged as an alert.

A replay of the very same message (same sender, MsgId or CreateTime and event) is not caught here:
in plain mode its body is unauthenticated, which is why plain accounts give no personal answers
outside development (citizens.py). In safe and compatible mode, msg_signature authenticates
Encrypt, so a replayed query can only carry the message it was signed with.

Keys are hashed, so neither nonces nor signatures appear as key names (in Redis or elsewhere). The
in-memory guard serves one process; with several workers, the Redis guard is shared (`SET NX`
with a TTL, the value being the message's key).
"""

from __future__ import annotations

import hashlib
import json
import time
from abc import abstractmethod
from collections import OrderedDict
from collections.abc import Callable

from gateway.redis_client import RedisBacked
from gateway.stores import InMemory, Store

REDIS_PREFIX = "gateway:wechat:replay:"
# The `alert` field of the chat's alert log lines (replays, personal answers refused): someone
# must look.
ALERT = "wechat_alert"


def signature_key(account_code: str, timestamp: str, nonce: str, signature: str) -> str:
    """The key of one signed callback query of an account."""
    parts = [account_code, timestamp, nonce, signature]
    digest = hashlib.sha256(json.dumps(parts, ensure_ascii=False).encode()).hexdigest()
    return f"{account_code}:{digest}"


def replay_ttl_seconds(window_seconds: int) -> float:
    """How long a signature must be remembered: a timestamp passes the window check from
    `window` s before it to `window` s after it, so for at most twice the window after its first
    use."""
    return float(2 * max(1, window_seconds))


class ReplayGuard(Store):
    """The message each signature was first used for, kept for `ttl_seconds`."""

    def __init__(self, ttl_seconds: float) -> None:
        self.ttl_seconds = ttl_seconds

    @abstractmethod
    async def bind(self, signature: str, message: str) -> bool:
        """Bind `signature` to `message` on its first use; False when it carried another one."""


class MemoryReplayGuard(InMemory, ReplayGuard):
    """The guard of one process (the default, when no Redis is configured)."""

    def __init__(self, ttl_seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__(ttl_seconds)
        self._clock = clock
        # In order of expiry: every binding gets the same TTL and is never refreshed.
        self._bindings: OrderedDict[str, tuple[float, str]] = OrderedDict()

    def _purge(self, now: float) -> None:
        while self._bindings:
            expires, _ = next(iter(self._bindings.values()))
            if expires > now:
                break
            self._bindings.popitem(last=False)

    async def bind(self, signature: str, message: str) -> bool:
        """Bind `signature` to `message` on its first use; False when it carried another one."""
        now = self._clock()
        self._purge(now)
        bound = self._bindings.get(signature)
        if bound is not None:
            return bound[1] == message
        # No await between the check and the insert: the binding is atomic on the event loop.
        self._bindings[signature] = (now + self.ttl_seconds, message)
        return True


class RedisReplayGuard(RedisBacked, ReplayGuard):
    """The guard shared by every gateway worker, in Redis."""

    def __init__(self, url: str, ttl_seconds: float) -> None:
        super().__init__(ttl_seconds)
        self._connect_to(url, purpose="replay guard")
        self._ttl_ms = max(1, round(ttl_seconds * 1000))

    async def bind(self, signature: str, message: str) -> bool:
        """Bind `signature` to `message` on its first use; False when it carried another one."""
        key = REDIS_PREFIX + signature
        value = message.encode()
        # SET NX GET (Redis 7) would be one round trip; two keep Redis 6 working.
        if await self._client.set(key, value, nx=True, px=self._ttl_ms):
            return True
        bound = await self._client.get(key)
        # Gone in between: it expired, and its timestamp no longer passes the window check.
        return bound is None or bound == value


def create_replay_guard(redis_url: str, *, window_seconds: int) -> ReplayGuard:
    """The Redis guard when `redis_url` is set, else the in-memory one, remembering signatures
    for as long as the timestamp window `window_seconds` lets them pass."""
    ttl = replay_ttl_seconds(window_seconds)
    if redis_url:
        return RedisReplayGuard(redis_url, ttl)
    return MemoryReplayGuard(ttl)
