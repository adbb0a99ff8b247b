"""The federation proxy's use of the response cache: answer a cacheable GET or HEAD from a fresh
entry, revalidate a stale one with If-None-Match, keep what the service marks cacheable, and
purge a service's entries after a write to it (rules: `cache_rules.py`; storage:
`response_cache.py`)."""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable, Iterable
from typing import Literal

from prometheus_client import Counter

from gateway.cache_rules import (
    RawHeaders,
    current_age,
    etag_matches,
    is_fresh,
    kept_headers,
    request_wants_revalidation,
    revalidated_policy,
    storage_policy,
)
from gateway.response_cache import CachedResponse, ResponseCache, entry_key

Answer = tuple[int, RawHeaders, bytes]
# Sends the request upstream with these headers (the proxy's, or with the entry's validator).
Forward = Callable[[list[tuple[str, str]]], Awaitable[Answer]]
CacheResult = Literal["hit", "miss", "revalidated"]
# A client's own validators are replaced by the entry's when the gateway revalidates.
_CONDITIONAL = frozenset({"if-none-match", "if-modified-since"})
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def _if_none_match(headers: Iterable[tuple[bytes, bytes]]) -> str:
    return ",".join(v.decode("latin-1") for k, v in headers if k == b"if-none-match")


class ProxyCache:
    """The cache in front of the upstreams, for requests `request_may_use_cache` admits."""

    def __init__(self, store: ResponseCache, *, max_entry_bytes: int, counter: Counter) -> None:
        self.store = store
        self.max_entry_bytes = max_entry_bytes
        self.counter = counter

    async def fetch(
        self,
        service: str,
        method: str,
        target: str,
        request_headers: Iterable[tuple[bytes, bytes]],
        upstream_headers: list[tuple[str, str]],
        forward: Forward,
    ) -> Answer:
        """The answer to a cacheable request of `target` (path and query) on `service`."""
        request_headers = tuple(request_headers)
        key = entry_key(service, target)
        entry = await self.store.get(key)
        now = self.store.clock()
        if (
            entry is not None
            and is_fresh(entry.policy, entry.stored_at, now)
            and not request_wants_revalidation(request_headers)
        ):
            return self._hit(service, "hit", entry, method, request_headers)
        if method != "GET":
            # A HEAD is kept by its GET only: its answer has no body to keep.
            return await forward(upstream_headers)
        etag = entry.policy.etag if entry is not None else None
        if entry is not None and etag is not None:
            conditional = [(k, v) for k, v in upstream_headers if k not in _CONDITIONAL]
            status, raw, payload = await forward([*conditional, ("if-none-match", etag)])
            if status == 304:
                renewed = dataclasses.replace(
                    entry, stored_at=now, policy=revalidated_policy(entry.policy, raw)
                )
                await self.store.put(key, renewed)
                return self._hit(service, "revalidated", renewed, method, request_headers)
        else:
            status, raw, payload = await forward(upstream_headers)
        self.counter.labels(service, "miss").inc()
        policy = storage_policy(status, raw)
        if policy is not None and len(payload) <= self.max_entry_bytes:
            kept = CachedResponse(status, kept_headers(raw), payload, now, policy)
            await self.store.put(key, kept)
        return status, raw, payload

    async def written(self, service: str, method: str, status: int) -> None:
        """Forget `service`'s entries after a successful write to it through the gateway."""
        if method not in SAFE_METHODS and status < 400:
            await self.store.purge(service)

    def _hit(
        self,
        service: str,
        result: CacheResult,
        entry: CachedResponse,
        method: str,
        request_headers: tuple[tuple[bytes, bytes], ...],
    ) -> Answer:
        self.counter.labels(service, result).inc()
        age = current_age(entry.policy, entry.stored_at, self.store.clock())
        headers = (*entry.headers, (b"age", str(age).encode()))
        etag = entry.policy.etag
        asked = _if_none_match(request_headers)
        if etag is not None and asked and etag_matches(asked, etag):
            return 304, headers, b""
        return entry.status, headers, b"" if method == "HEAD" else entry.body
