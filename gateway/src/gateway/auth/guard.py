"""Credentials at the edge: guesses counted per client address, and signed-out tokens.

- Each unknown `X-Api-Key`, and each forged, malformed or revoked public bearer token, counts one
  failure against the client address (the rate limits' address, trusted proxies included). Once
  `limit` failures fall within `window_seconds` of the first, every credentialed request from that
  address, the right key or a valid token included, is 429 with `Retry-After` until the window
  ends; a success does not reset the count. Anonymous requests are left to the rate limits.
- A genuine token that has merely expired (its `exp`, or the gateway's TTL counted from `iat`) is
  refused without counting: apps routinely hold one, and behind a carrier NAT many citizens share
  one address, so counting them would lock everyone there out without stopping any guess.
- `POST /api/v1/auth/signout` puts the token's `jti` on a denylist until the token would expire.

Counters and the denylist live in memory (one process) or in Redis (`GATEWAY_REDIS_URL`, shared
by every replica). When Redis fails, failures go uncounted (availability wins, as for the rate
limits) but bearer tokens are refused with 503 and sign-out fails: a signed-out token must never
work again.
"""

from __future__ import annotations

import hashlib
import logging
import math
import time
from abc import abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from typing import NoReturn

import redis.asyncio as redis

from gateway.auth.tokens import PublicToken, TokenExpired, verify_public_token
from gateway.ratelimit import ClientAddress
from gateway.redis_client import RedisBacked
from gateway.staff import Staff, StaffKeys
from gateway.stores import InMemory, Store
from servicekit.errors import Problem, TooManyRequests, Unauthorized, UpstreamUnavailable

log = logging.getLogger("gateway.auth")

REDIS_PREFIX = "gateway:auth:"
TOO_MANY_FAILURES = "登录凭证错误次数过多，请稍后再试。"
CANNOT_CHECK = "暂时无法核验登录凭证，请稍后再试。"
CANNOT_REVOKE = "暂时无法退出登录，请稍后再试。"
_BEARER = {"WWW-Authenticate": "Bearer"}


@dataclass(frozen=True)
class Admission:
    """What the store says of a credentialed request that passed its local checks."""

    retry_after: int | None  # seconds the address stays blocked; None when it is not
    revoked: bool = False


def _seconds_until(end: float, now: float) -> int:
    return max(1, math.ceil(end - now))


def _log_if_blocked(client: str, count: int, limit: int) -> None:
    if count == limit:  # once per window; the address is what a firewall rule would need
        log.warning("credentials blocked after %d failures from %s", limit, client)


def _hashed(client: str) -> str:
    """The address as Redis stores it: no IP address in key names."""
    return hashlib.blake2b(client.encode(), digest_size=12).hexdigest()


class GuardStore(Store):
    """Failure counters per client address and the denylist of signed-out tokens."""

    def __init__(
        self, *, limit: int, window_seconds: int, clock: Callable[[], float] = time.time
    ) -> None:
        self.limit = limit
        self.window_seconds = window_seconds
        self.clock = clock

    @abstractmethod
    async def admit(self, client: str, jti: str | None = None) -> Admission:
        """Whether `client` is blocked and, for a token, whether `jti` is revoked."""

    @abstractmethod
    async def fail(self, client: str) -> int | None:
        """Count one failure of `client`: Retry-After seconds if it was blocked already."""

    @abstractmethod
    async def revoke(self, jti: str, until: int) -> None:
        """Refuse the token `jti` until the epoch second `until`."""


class MemoryGuardStore(InMemory, GuardStore):
    """The state of one process (the default, when no Redis is configured)."""

    def __init__(
        self, *, limit: int, window_seconds: int, clock: Callable[[], float] = time.time
    ) -> None:
        super().__init__(limit=limit, window_seconds=window_seconds, clock=clock)
        self._failures: dict[str, tuple[int, float]] = {}  # client -> (count, window end)
        self._revoked: dict[str, float] = {}  # jti -> until
        self._next_sweep = 0.0

    def _sweep(self, now: float) -> None:
        # Once a window: memory then holds about one window's addresses and the live revocations.
        if now < self._next_sweep:
            return
        self._failures = {c: entry for c, entry in self._failures.items() if entry[1] > now}
        self._revoked = {j: until for j, until in self._revoked.items() if until > now}
        self._next_sweep = now + self.window_seconds

    async def admit(self, client: str, jti: str | None = None) -> Admission:
        """Whether `client` is blocked and, for a token, whether `jti` is revoked."""
        now = self.clock()
        self._sweep(now)
        count, end = self._failures.get(client, (0, now))
        retry_after = _seconds_until(end, now) if count >= self.limit and end > now else None
        revoked = jti is not None and self._revoked.get(jti, now) > now
        return Admission(retry_after=retry_after, revoked=revoked)

    async def fail(self, client: str) -> int | None:
        """Count one failure of `client`: Retry-After seconds if it was blocked already."""
        now = self.clock()
        self._sweep(now)
        count, end = self._failures.get(client, (0, now))
        if end <= now:
            count, end = 0, now + self.window_seconds
        self._failures[client] = (count + 1, end)
        _log_if_blocked(client, count + 1, self.limit)
        return _seconds_until(end, now) if count >= self.limit else None

    async def revoke(self, jti: str, until: int) -> None:
        """Refuse the token `jti` until the epoch second `until`."""
        self._revoked[jti] = until


class RedisGuardStore(RedisBacked, GuardStore):
    """State shared by every gateway replica; each call is one round trip."""

    def __init__(
        self,
        url: str,
        *,
        limit: int,
        window_seconds: int,
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__(limit=limit, window_seconds=window_seconds, clock=clock)
        self._connect_to(url, purpose="credential guard")

    async def admit(self, client: str, jti: str | None = None) -> Admission:
        """Whether `client` is blocked and, for a token, whether `jti` is revoked.

        When Redis fails, a staff key is admitted (logged) and a token is refused with 503.
        """
        key = f"{REDIS_PREFIX}fail:{_hashed(client)}"
        try:
            async with self._client.pipeline(transaction=False) as pipe:
                pipe.get(key).ttl(key)
                if jti is not None:
                    pipe.exists(f"{REDIS_PREFIX}revoked:{jti}")
                replies = await pipe.execute()
        except (redis.RedisError, OSError, TimeoutError) as exc:
            if jti is not None:
                log.error("bearer token not checked, Redis failed: %s", exc)
                raise UpstreamUnavailable(CANNOT_CHECK) from None
            log.warning("credential failures not checked, Redis failed: %s", exc)
            return Admission(retry_after=None)
        count, ttl = int(replies[0] or 0), int(replies[1])
        retry_after = max(1, ttl) if count >= self.limit and ttl != -2 else None
        return Admission(retry_after=retry_after, revoked=jti is not None and bool(replies[2]))

    async def fail(self, client: str) -> int | None:
        """Count one failure of `client`: Retry-After seconds if it was blocked already."""
        key = f"{REDIS_PREFIX}fail:{_hashed(client)}"
        try:
            async with self._client.pipeline(transaction=True) as pipe:
                # The window starts at the first failure; later ones leave its expiry alone.
                pipe.set(key, 0, ex=self.window_seconds, nx=True).incr(key).ttl(key)
                _, count, ttl = await pipe.execute()
        except (redis.RedisError, OSError, TimeoutError) as exc:
            log.warning("credential failure not counted, Redis failed: %s", exc)
            return None
        _log_if_blocked(client, int(count), self.limit)
        return max(1, int(ttl)) if int(count) > self.limit else None

    async def revoke(self, jti: str, until: int) -> None:
        """Refuse the token `jti` until the epoch second `until` (503 when Redis fails)."""
        seconds = _seconds_until(until, self.clock())
        try:
            await self._client.set(f"{REDIS_PREFIX}revoked:{jti}", 1, ex=seconds)
        except (redis.RedisError, OSError, TimeoutError) as exc:
            log.error("token not revoked, Redis failed: %s", exc)
            raise UpstreamUnavailable(CANNOT_REVOKE) from None


def create_guard_store(redis_url: str, *, limit: int, window_seconds: int) -> GuardStore:
    """The Redis store when `redis_url` is set, else the in-memory one."""
    if redis_url:
        return RedisGuardStore(redis_url, limit=limit, window_seconds=window_seconds)
    return MemoryGuardStore(limit=limit, window_seconds=window_seconds)


class Credentials:
    """What the proxy and the sign-out route consult for `X-Api-Key` and bearer tokens."""

    def __init__(
        self,
        store: GuardStore,
        *,
        staff_keys: StaffKeys,
        token_key: str,
        token_ttl: int,
        addresses: ClientAddress,
    ) -> None:
        self.store = store
        self.staff_keys = staff_keys
        self.addresses = addresses
        self._token_key = token_key
        self._token_ttl = token_ttl

    async def staff(self, api_key: str, client: str) -> Staff:
        """The staff member holding `api_key` (401 for an unknown key, 429 while blocked)."""
        staff = self.staff_keys.identify(api_key)
        if staff is None:
            await self._refuse(
                client, Unauthorized("API 密钥无效。", headers={"WWW-Authenticate": "ApiKey"})
            )
        self._admitted(await self.store.admit(client))
        return staff

    async def citizen(self, authorization: str, client: str) -> PublicToken:
        """The public token an `Authorization: Bearer` header carries (401 unless valid and not
        revoked, 429 while blocked)."""
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            await self._refuse(client, Unauthorized("登录凭证无效，请重新登录。", headers=_BEARER))
        try:
            public = verify_public_token(
                token.strip(), key=self._token_key, max_age=self._token_ttl
            )
        except TokenExpired:
            self._admitted(await self.store.admit(client))
            raise
        except Unauthorized as exc:
            await self._refuse(client, exc)
        admission = await self.store.admit(client, public.jti)
        self._admitted(admission)
        if admission.revoked:
            await self._refuse(client, Unauthorized("你已退出登录，请重新登录。", headers=_BEARER))
        return public

    async def revoke(self, token: PublicToken) -> None:
        """Refuse `token` from now until it would have expired."""
        await self.store.revoke(token.jti, token.expires_at)

    async def _refuse(self, client: str, problem: Problem) -> NoReturn:
        """Count a failure of `client` and raise `problem`, or 429 if it was blocked already."""
        retry_after = await self.store.fail(client)
        if retry_after is not None:
            raise TooManyRequests(TOO_MANY_FAILURES, headers={"Retry-After": str(retry_after)})
        raise problem

    def _admitted(self, admission: Admission) -> None:
        if admission.retry_after is not None:
            raise TooManyRequests(
                TOO_MANY_FAILURES, headers={"Retry-After": str(admission.retry_after)}
            )
