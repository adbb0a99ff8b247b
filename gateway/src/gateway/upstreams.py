"""The one module that talks HTTP to upstream services (so the client library can be swapped).

aiohttp was chosen by measurement (DESIGN §9, `bench/gateway_overhead.py`): one pooled
`ClientSession` per upstream, created in the lifespan, explicit timeouts, no cookie jar. Every
call, proxied or the gateway's own (chat handlers, menus, sign-in), passes its upstream's circuit
breaker (`circuit.py`).
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import aiohttp
from prometheus_client import CollectorRegistry
from yarl import URL

from gateway.circuit import CircuitBreaker, CircuitOpen
from gateway.metrics import UpstreamMetrics
from servicekit.errors import UpstreamTimeout, UpstreamUnavailable
from servicekit.tracing import propagation_headers

log = logging.getLogger("gateway.upstreams")

RawHeaders = tuple[tuple[bytes, bytes], ...]

# A proxy sends what its caller sent: no invented Accept, Accept-Encoding, User-Agent or
# Content-Type (an invented Accept-Encoding would make services compress for clients that
# never asked, since bodies are passed through undecoded).
_NO_AUTO_HEADERS = ("Accept", "Accept-Encoding", "User-Agent", "Content-Type")
# uvicorn drops idle keep-alive connections after 5 s; idling out first means a pooled
# connection is never reused just as the service closes it (a spurious 503 for a POST,
# which aiohttp does not retry).
_KEEPALIVE_SECONDS = 4.0
_POOL_SIZE = 256


@dataclass(frozen=True)
class UpstreamResponse:
    """One upstream answer, read whole, with its headers decoded."""

    status: int
    headers: list[tuple[str, str]]
    body: bytes

    def json(self) -> Any:
        """The body parsed as JSON."""
        return json.loads(self.body)


@dataclass(frozen=True)
class _Outbound:
    """One request on its way to an upstream; `timeout` replaces the upstream's budget."""

    service: str
    method: str
    url: URL
    headers: list[tuple[str, str]]
    body: bytes | None
    timeout: float | None


class Upstreams:
    """Pooled HTTP clients, one per upstream service."""

    def __init__(
        self,
        urls: dict[str, str],
        *,
        connect_timeout: float,
        total_timeout: float,
        timeouts: Mapping[str, float] | None = None,
        failure_threshold: int = 5,
        open_seconds: float = 10.0,
        metrics: UpstreamMetrics | None = None,
    ) -> None:
        self.urls = urls
        # Without the app's metrics (tools, tests), on a registry nobody reads.
        self.metrics = metrics or UpstreamMetrics(CollectorRegistry())
        self.connect_timeout = connect_timeout
        self.breakers = {
            name: CircuitBreaker(
                name, failure_threshold=failure_threshold, open_seconds=open_seconds
            )
            for name in urls
        }
        overrides = timeouts or {}
        self.timeouts = {
            name: aiohttp.ClientTimeout(
                total=overrides.get(name, total_timeout), sock_connect=connect_timeout
            )
            for name in urls
        }
        self.sessions: dict[str, aiohttp.ClientSession] = {}

    async def start(self) -> None:
        """Open one session per upstream (call inside the app's lifespan)."""
        for name in self.urls:
            self.sessions[name] = aiohttp.ClientSession(
                timeout=self.timeouts[name],
                cookie_jar=aiohttp.DummyCookieJar(),
                auto_decompress=False,
                skip_auto_headers=_NO_AUTO_HEADERS,
                connector=aiohttp.TCPConnector(
                    limit=_POOL_SIZE, keepalive_timeout=_KEEPALIVE_SECONDS, ttl_dns_cache=300
                ),
            )

    async def close(self) -> None:
        """Close every session."""
        await asyncio.gather(*(s.close() for s in self.sessions.values()))
        self.sessions.clear()

    async def forward(
        self,
        service: str,
        method: str,
        target: str,
        headers: list[tuple[str, str]],
        body: bytes | None,
        *,
        timeout: float | None = None,
    ) -> tuple[int, RawHeaders, bytes]:
        """Send a proxied request; `target` is the already percent-encoded path and query.

        `timeout` replaces the upstream's budget for this call. Returns the status, the raw
        response headers and the whole body.
        """
        # encoded=True: the caller's encoding is forwarded byte for byte, never re-quoted.
        url = URL(self.urls[service] + target, encoded=True)
        return await self._send(_Outbound(service, method, url, headers, body, timeout))

    async def request(
        self,
        service: str,
        method: str,
        path: str,
        *,
        query: str = "",
        headers: list[tuple[str, str]] | None = None,
        body: bytes | None = None,
        timeout: float | None = None,
        breaker: bool = True,
    ) -> UpstreamResponse:
        """Send one request to `service`; raise UpstreamUnavailable / UpstreamTimeout on failure
        (CircuitOpen at once while its circuit is open, unless `breaker` is False)."""
        url = URL(self.urls[service] + path + (f"?{query}" if query else ""))
        outbound = _Outbound(service, method, url, headers or [], body, timeout)
        status, raw, payload = await self._send(outbound, breaker=breaker)
        decoded = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in raw]
        return UpstreamResponse(status, decoded, payload)

    async def get_json(
        self,
        service: str,
        path: str,
        *,
        query: str = "",
        headers: list[tuple[str, str]] | None = None,
        timeout: float | None = None,
    ) -> tuple[int, Any]:
        """GET a JSON document; returns (status, parsed body)."""
        resp = await self.request(
            service, "GET", path, query=query, headers=headers, timeout=timeout
        )
        return resp.status, resp.json()

    async def _send(
        self, outbound: _Outbound, *, breaker: bool = True
    ) -> tuple[int, RawHeaders, bytes]:
        if not breaker:
            return await self._measured(outbound)
        circuit = self.breakers[outbound.service]
        try:
            trial = circuit.acquire()
        except CircuitOpen:
            self.metrics.failed(outbound.service, "circuit_open")
            raise
        # A deadline shorter than a connection may take says nothing about the upstream's health
        # (chat handlers call with what is left of WeChat's 5 s).
        timeout = outbound.timeout
        telling = timeout is None or timeout >= self.connect_timeout
        try:
            answer = await self._measured(outbound)
        except (UpstreamUnavailable, UpstreamTimeout):
            if telling:
                circuit.failed(trial=trial)
            else:
                circuit.abandoned(trial=trial)
            raise
        except BaseException:  # the caller went away (cancelled): nothing learnt
            circuit.abandoned(trial=trial)
            raise
        circuit.succeeded()
        return answer

    async def _measured(self, outbound: _Outbound) -> tuple[int, RawHeaders, bytes]:
        """`_call`, with its latency observed and its failures counted."""
        service = outbound.service
        started = time.perf_counter()
        try:
            answer = await self._call(outbound)
        except UpstreamTimeout:
            self.metrics.failed(service, "timeout")
            raise
        except UpstreamUnavailable:
            self.metrics.failed(service, "unreachable")
            raise
        finally:
            self.metrics.duration.labels(service).observe(time.perf_counter() - started)
        if answer[0] >= 500:
            self.metrics.failed(service, "status_5xx")
        return answer

    async def _call(self, outbound: _Outbound) -> tuple[int, RawHeaders, bytes]:
        service, timeout = outbound.service, outbound.timeout
        kwargs: dict[str, Any] = {}
        if timeout is not None:
            kwargs["timeout"] = aiohttp.ClientTimeout(
                total=timeout, sock_connect=min(timeout, self.connect_timeout)
            )
        # The service's request continues this one: same trace (its span a child of the
        # gateway's) and same request id in both sides' logs.
        headers = [*outbound.headers, *propagation_headers().items()]
        try:
            async with self.sessions[service].request(
                outbound.method,
                outbound.url,
                headers=headers,
                data=outbound.body,
                allow_redirects=False,
                **kwargs,
            ) as resp:
                payload = await resp.read()
                return resp.status, resp.raw_headers, payload
        # Not reaching the service at all is "unavailable", even when it took too long.
        except (aiohttp.ConnectionTimeoutError, aiohttp.ClientConnectorError) as exc:
            log.warning("upstream %s unreachable: %r", service, exc)
            raise UpstreamUnavailable(f"上游服务 {service} 暂时不可用，请稍后再试。") from exc
        except TimeoutError as exc:
            log.warning(
                "upstream %s timed out on %s %s", service, outbound.method, outbound.url.path
            )
            raise UpstreamTimeout(f"上游服务 {service} 响应超时，请稍后再试。") from exc
        except aiohttp.ClientError as exc:
            log.warning("upstream %s failed: %r", service, exc)
            raise UpstreamUnavailable(f"上游服务 {service} 暂时不可用，请稍后再试。") from exc
