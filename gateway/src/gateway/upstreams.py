"""The one module that talks HTTP to upstream services (so the client library can be swapped).

aiohttp was chosen by measurement (DESIGN §9, `bench/gateway_overhead.py`): one pooled
`ClientSession` per upstream, created in the lifespan, explicit timeouts, no cookie jar.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

import aiohttp

from servicekit.errors import UpstreamTimeout, UpstreamUnavailable


@dataclass(frozen=True)
class UpstreamResponse:
    status: int
    headers: list[tuple[str, str]]
    body: bytes

    def json(self) -> Any:
        """The body parsed as JSON."""
        import json

        return json.loads(self.body)


class Upstreams:
    """Pooled HTTP clients, one per upstream service."""

    def __init__(
        self, urls: dict[str, str], *, connect_timeout: float, total_timeout: float
    ) -> None:
        self.urls = urls
        self.timeout = aiohttp.ClientTimeout(total=total_timeout, sock_connect=connect_timeout)
        self.sessions: dict[str, aiohttp.ClientSession] = {}

    async def start(self) -> None:
        """Open one session per upstream (call inside the app's lifespan)."""
        for name, url in self.urls.items():
            self.sessions[name] = aiohttp.ClientSession(
                base_url=url,
                timeout=self.timeout,
                cookie_jar=aiohttp.DummyCookieJar(),
                auto_decompress=False,
                connector=aiohttp.TCPConnector(limit=256, ttl_dns_cache=300),
            )

    async def close(self) -> None:
        """Close every session."""
        await asyncio.gather(*(s.close() for s in self.sessions.values()))
        self.sessions.clear()

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
    ) -> UpstreamResponse:
        """Send one request to `service`; raise UpstreamUnavailable / UpstreamTimeout on failure."""
        session = self.sessions[service]
        url = f"{path}?{query}" if query else path
        kwargs: dict[str, Any] = {}
        if timeout is not None:
            kwargs["timeout"] = aiohttp.ClientTimeout(
                total=timeout, sock_connect=self.timeout.sock_connect
            )
        try:
            async with session.request(
                method, url, headers=headers, data=body, allow_redirects=False, **kwargs
            ) as resp:
                payload = await resp.read()
                headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in resp.raw_headers]
                return UpstreamResponse(resp.status, headers, payload)
        except TimeoutError as exc:
            raise UpstreamTimeout(f"上游服务 {service} 响应超时，请稍后再试。") from exc
        except aiohttp.ClientError as exc:
            raise UpstreamUnavailable(f"上游服务 {service} 暂时不可用，请稍后再试。") from exc

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
