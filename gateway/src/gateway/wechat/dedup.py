"""De-duplication of WeChat's retries: each message is handled once, every delivery gets its reply.

WeChat retries a callback it got no answer to within 5 s (3 attempts in all, same message). The
first delivery of a message claims its key and handles it; a retry after that gets the stored
response, and a retry arriving while the first is still being handled waits for it. So a handler
(and its side effects) runs at most once per message, and all deliveries get the same answer.

What is stored is the final response body (`success`, the reply XML, or in safe mode the
encrypted envelope), not the reply before encryption: every delivery then gets byte-identical
bytes (WeChat accepts either), a retry costs no crypto, and the store never holds a safe-mode
account's replies in clear. The envelope carries its own TimeStamp, Nonce and MsgSignature, so
it stays valid whatever timestamp and nonce the retry came with.

Keys are per account and hashed, so openids never appear in key names (in Redis or elsewhere).
The in-memory store serves one process; with several workers, the Redis store makes the claim
shared (`SET NX` with a TTL; waiters poll for the stored body).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
from abc import abstractmethod
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from gateway.redis_client import RedisBacked
from gateway.stores import InMemory, Store
from gateway.wechat.messages import EventMessage, InboundMessage
from gateway.wechat.replies import NO_REPLY

REDIS_PREFIX = "gateway:wechat:dedup:"
# Redis value of a claimed key whose handling has not finished; a body never starts with NUL.
_PENDING = b"\x00pending"
REDIS_POLL_SECONDS = 0.05


def dedup_key(account_code: str, message: InboundMessage) -> str:
    """The key that is the same for every delivery of `message` to the account and only for it."""
    parts: list[str | int]
    if isinstance(message, EventMessage):
        event = message.event, message.event_key
        parts = ["event", message.from_user_name, message.create_time, *event]
    elif message.msg_id is not None:
        parts = ["message", message.msg_id, message.from_user_name, message.create_time]
    else:
        # No known message type lacks MsgId; for an unknown one, sender, time and type identify it.
        parts = ["other", message.from_user_name, message.create_time, message.msg_type]
    # JSON keeps the parts apart whatever they contain; the hash keeps openids out of key names.
    digest = hashlib.sha256(json.dumps(parts, ensure_ascii=False).encode()).hexdigest()
    return f"{account_code}:{digest}"


class DedupStore(Store):
    """Claims on message keys, and the response body stored for each, kept for `ttl_seconds`."""

    def __init__(self, ttl_seconds: float) -> None:
        self.ttl_seconds = ttl_seconds

    @abstractmethod
    async def claim(self, key: str) -> bool:
        """True for the first delivery of `key`, which must handle it and then `complete` it."""

    @abstractmethod
    async def complete(self, key: str, body: str) -> None:
        """Store the response body of a claimed key, releasing anyone waiting for it."""

    @abstractmethod
    async def wait(self, key: str, timeout: float) -> str | None:
        """The body stored for `key`, waiting up to `timeout` s; None if none came in time."""


async def handle_once(
    store: DedupStore, key: str, handle: Callable[[], Awaitable[str]], *, wait_seconds: float
) -> str | None:
    """The response body for one delivery: `handle()` on the first, the stored body on retries.

    None when a retry waited `wait_seconds` and the first delivery's body was still not ready.
    """
    if not await store.claim(key):
        return await store.wait(key, wait_seconds)
    body = NO_REPLY
    try:
        body = await handle()
    finally:
        # A failed handling is final too: its side effects may have happened, so retries answer
        # `success` rather than running the handler again.
        await store.complete(key, body)
    return body


@dataclass
class _Entry:
    expires: float
    done: asyncio.Event = field(default_factory=asyncio.Event)
    body: str | None = None


class MemoryDedupStore(InMemory, DedupStore):
    """The store of one process (the default, when no Redis is configured)."""

    def __init__(self, ttl_seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__(ttl_seconds)
        self._clock = clock
        # In order of expiry: every entry gets the same TTL and moves to the end when refreshed.
        self._entries: OrderedDict[str, _Entry] = OrderedDict()

    def _purge(self, now: float) -> None:
        while self._entries:
            first = next(iter(self._entries.values()))
            if first.expires > now:
                break
            self._entries.popitem(last=False)

    async def claim(self, key: str) -> bool:
        """True for the first delivery of `key`, which must handle it and then `complete` it."""
        now = self._clock()
        self._purge(now)
        if key in self._entries:
            return False
        # No await between the check and the insert: the claim is atomic on the event loop.
        self._entries[key] = _Entry(expires=now + self.ttl_seconds)
        return True

    async def complete(self, key: str, body: str) -> None:
        """Store the response body of a claimed key, releasing anyone waiting for it."""
        entry = self._entries.get(key)
        if entry is None:
            return
        entry.body = body
        entry.expires = self._clock() + self.ttl_seconds
        self._entries.move_to_end(key)
        entry.done.set()

    async def wait(self, key: str, timeout: float) -> str | None:
        """The body stored for `key`, waiting up to `timeout` s; None if none came in time."""
        entry = self._entries.get(key)
        if entry is None:
            return None
        if entry.body is None:
            try:
                async with asyncio.timeout(timeout):
                    await entry.done.wait()
            except TimeoutError:
                return None
        return entry.body


class RedisDedupStore(RedisBacked, DedupStore):
    """The store shared by every gateway worker, in Redis."""

    def __init__(self, url: str, ttl_seconds: float) -> None:
        super().__init__(ttl_seconds)
        self._connect_to(url, purpose="de-duplication store")
        self._ttl_ms = max(1, round(ttl_seconds * 1000))

    async def claim(self, key: str) -> bool:
        """True for the first delivery of `key`, which must handle it and then `complete` it."""
        claimed = await self._client.set(REDIS_PREFIX + key, _PENDING, nx=True, px=self._ttl_ms)
        return bool(claimed)

    async def complete(self, key: str, body: str) -> None:
        """Store the response body of a claimed key, releasing anyone waiting for it."""
        await self._client.set(REDIS_PREFIX + key, body.encode(), px=self._ttl_ms)

    async def wait(self, key: str, timeout: float) -> str | None:
        """The body stored for `key`, waiting up to `timeout` s; None if none came in time."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            value = await self._client.get(REDIS_PREFIX + key)
            if value is None:
                return None  # the claim expired: its holder is gone
            if value != _PENDING:
                return value.decode()
            remaining = deadline - loop.time()
            if remaining <= 0:
                return None
            # Polling: a retry waits at most one handler budget, so a few dozen GETs at most.
            await asyncio.sleep(min(REDIS_POLL_SECONDS, remaining))


def create_dedup_store(redis_url: str, *, ttl_seconds: float) -> DedupStore:
    """The Redis store when `redis_url` is set, else the in-memory one."""
    if redis_url:
        return RedisDedupStore(redis_url, ttl_seconds)
    return MemoryDedupStore(ttl_seconds)
