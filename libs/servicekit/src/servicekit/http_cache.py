"""HTTP caching of public GETs: `Cache-Control: public` marks them, the middleware adds a strong
ETag, answers `If-None-Match` with 304 and keeps each answer in memory for up to a second.

A route marks its answer cacheable with `dependencies=[public_cache(max_age)]` (or by setting
`Cache-Control: public, max-age=N` itself); never a personal or authenticated one. The gateway's
cache and clients then keep it `max_age` seconds. The service itself keeps it at most
`ServiceSettings.response_cache_seconds` (and never past max-age): a hot read is answered
without touching the database, routing or serialisation, while a write made elsewhere (another
worker or replica, a command, a background job) shows within that second. Any unsafe request
this process serves empties it at once; a request sending `Cache-Control: no-cache` skips it.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from fastapi import Depends, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# Reference data (codes, guides, offices, FAQ, fees) changes only with a release of its seed.
REFERENCE_MAX_AGE = 3600
# Data that changes with the day's work (registrations, inspections, road snapshots).
LIVE_MAX_AGE = 60
# The documented 304 of a cached GET.
NOT_MODIFIED: dict[int | str, dict[str, Any]] = {304: {"description": "内容未变"}}
# A bound on distinct URLs kept: arbitrary query strings must not grow memory without limit.
MAX_ENTRIES = 2048
_MAX_AGE = re.compile(r"(?:^|,)\s*max-age=(\d+)")
# Headers a 304 leaves out: it has no body (RFC 9110 §15.4.5).
_BODY_HEADERS = {b"content-length", b"content-type"}
Clock = Callable[[], float]
# GETs are answered from the cache; the unsafe methods empty it (HEAD, OPTIONS pass through).
_CACHING_METHODS = {"GET", "POST", "PUT", "PATCH", "DELETE"}


def etag_of(content: bytes) -> str:
    """A strong entity tag for `content`: the same bytes always get the same tag, on every
    replica."""
    return '"' + hashlib.sha256(content).hexdigest()[:32] + '"'


def etag_matches(if_none_match: str | None, etag: str) -> bool:
    """True when an If-None-Match header names `etag` (weak comparison, as RFC 9110 asks)."""
    if not if_none_match:
        return False
    if if_none_match.strip() == "*":
        return True
    tags = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
    return etag.removeprefix("W/") in tags


def public_max_age(cache_control: str | None) -> int | None:
    """The max-age of a `Cache-Control: public` answer; None when it is not public (private,
    no-store, no-cache or no max-age)."""
    if not cache_control:
        return None
    directives = {d.strip().split("=", 1)[0].lower() for d in cache_control.split(",")}
    if "public" not in directives or directives & {"private", "no-store", "no-cache"}:
        return None
    match = _MAX_AGE.search(cache_control.lower())
    return int(match.group(1)) if match else None


def public_cache(max_age: int) -> Any:
    """A route dependency marking its answer `Cache-Control: public, max-age=<max_age>`."""
    header = f"public, max-age={max_age}"

    # async: setting a header needs no threadpool hop.
    async def mark(response: Response) -> None:
        response.headers["Cache-Control"] = header

    return Depends(mark)


@dataclass(frozen=True)
class Entry:
    """One kept answer: its headers (ETag included), body, expiry and the route that made it."""

    headers: list[tuple[bytes, bytes]]
    body: bytes
    etag: str
    expires: float
    route: Any


Key = tuple[str, bytes]


@dataclass
class ResponseCache:
    """Answers kept per URL for at most `seconds` (0 keeps none).

    An expired answer stays known until replaced: its URL is known to be cacheable, so the
    requests arriving while one of them renews it wait for that one instead of all reading the
    database at once."""

    seconds: float
    clock: Clock = time.monotonic
    entries: dict[Key, Entry] = field(default_factory=dict)
    # The renewal under way per URL, resolved with the new entry (None when none was kept).
    renewals: dict[Key, asyncio.Future[Entry | None]] = field(default_factory=dict)
    # Bumped by every write: a read that began before it must not keep what it read.
    generation: int = 0

    def get(self, key: Key) -> tuple[Entry | None, bool]:
        """The entry of `key`, if any, and whether it is still fresh."""
        entry = self.entries.get(key)
        return entry, entry is not None and entry.expires > self.clock()

    def put(self, key: Key, entry: Entry) -> None:
        """Keep `entry`, dropping the expired (or else the oldest) when full."""
        if len(self.entries) >= MAX_ENTRIES and key not in self.entries:
            now = self.clock()
            self.entries = {k: e for k, e in self.entries.items() if e.expires > now}
            while len(self.entries) >= MAX_ENTRIES:
                del self.entries[next(iter(self.entries))]
        self.entries[key] = entry

    def invalidate(self) -> None:
        """Forget every answer (a write may have changed any of them)."""
        self.generation += 1
        self.entries.clear()


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key == name:
            return str(value.decode("latin-1"))
    return None


def _not_modified(headers: list[tuple[bytes, bytes]]) -> Message:
    return {
        "type": "http.response.start",
        "status": 304,
        "headers": [(k, v) for k, v in headers if k not in _BODY_HEADERS],
    }


async def _answer(entry: Entry, if_none_match: str | None, send: Send) -> None:
    if etag_matches(if_none_match, entry.etag):
        await send(_not_modified(entry.headers))
        await send({"type": "http.response.body", "body": b""})
        return
    await send({"type": "http.response.start", "status": 200, "headers": entry.headers})
    await send({"type": "http.response.body", "body": entry.body})


class HttpCacheMiddleware:
    """ETag and 304 for every `Cache-Control: public` 200 answer to a GET, served from
    `cache` while it is fresh there."""

    def __init__(self, app: ASGIApp, cache: ResponseCache) -> None:
        self.app = app
        self.cache = cache

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in _CACHING_METHODS:
            await self.app(scope, receive, send)
            return
        cache = self.cache
        if scope["method"] != "GET":
            cache.invalidate()
            try:
                await self.app(scope, receive, send)
            finally:
                cache.invalidate()
            return
        key: Key = (scope["path"], scope["query_string"])
        if_none_match = _header(scope, b"if-none-match")
        entry: Entry | None = None
        if "no-cache" not in (_header(scope, b"cache-control") or ""):
            entry, fresh = cache.get(key)
            if entry is not None and not fresh:
                entry = await _renewed(cache, key)
        if entry is not None:
            scope["route"] = entry.route  # named in the access line and metrics as on a miss
            await _answer(entry, if_none_match, send)
            return
        await self._read(scope, receive, send, key, if_none_match)

    async def _read(
        self, scope: Scope, receive: Receive, send: Send, key: Key, if_none_match: str | None
    ) -> None:
        """Serve the request from the app, keeping a public answer."""
        cache = self.cache
        generation = cache.generation
        renewal: asyncio.Future[Entry | None] = asyncio.get_running_loop().create_future()
        cache.renewals.setdefault(key, renewal)
        kept: Entry | None = None
        start: Message | None = None
        max_age = 0
        chunks: list[bytes] = []

        async def keep(message: Message) -> None:
            nonlocal start, max_age, kept
            if message["type"] == "http.response.start":
                age = _cacheable_age(message["status"], message.get("headers", []))
                if age is None:
                    await send(message)
                    return
                start, max_age = message, age
                return
            if start is None:
                await send(message)
                return
            chunks.append(message.get("body", b""))
            if message.get("more_body", False):
                return
            body = b"".join(chunks)
            headers = list(start.get("headers", []))
            etag = _etag_in(headers)
            if etag is None:
                etag = etag_of(body)
                headers.append((b"etag", etag.encode()))
            seconds = min(cache.seconds, max_age)
            entry = Entry(headers, body, etag, cache.clock() + seconds, scope.get("route"))
            if seconds > 0 and generation == cache.generation:
                cache.put(key, entry)
                kept = entry
            await _answer(entry, if_none_match, send)

        try:
            await self.app(scope, receive, keep)
        finally:
            if cache.renewals.get(key) is renewal:
                del cache.renewals[key]
            renewal.set_result(kept)


async def _renewed(cache: ResponseCache, key: Key) -> Entry | None:
    """The entry another request is renewing for `key` once it has (None when it kept none,
    or when no request is renewing it: then this one does)."""
    renewal = cache.renewals.get(key)
    if renewal is None or renewal.get_loop() is not asyncio.get_running_loop():
        return None
    return await asyncio.shield(renewal)


def _cacheable_age(status: int, headers: list[tuple[bytes, bytes]]) -> int | None:
    """The max-age of a public 200 answer that does not vary by request; None otherwise."""
    if status != 200:
        return None
    cache_control = None
    for key, value in headers:
        if key == b"vary":
            return None
        if key == b"cache-control":
            cache_control = value.decode("latin-1")
    return public_max_age(cache_control)


def _etag_in(headers: list[tuple[bytes, bytes]]) -> str | None:
    for key, value in headers:
        if key == b"etag":
            return str(value.decode("latin-1"))
    return None
