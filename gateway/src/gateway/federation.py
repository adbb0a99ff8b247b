"""REST federation: `/api/v1/<service>/<path>` is forwarded to that service's `/v1/<path>`.

The proxy is a raw ASGI endpoint rather than a FastAPI handler, and `create_app` puts its route
ahead of all others: it is on the hot path of every mobile call, so it does no dependency
injection, request parsing or response validation and does not try every other route first
(DESIGN §9, `bench/gateway_overhead.py`). Bodies are buffered whole (capped by
`max_body_bytes`): API bodies are small, and one write each way is cheaper than streaming.
Citizen and anonymous requests are counted against the rate limits (`ratelimit.py`: one dict
lookup, or one Redis round trip) before their body is read; staff calls are not. Credentials are
checked by `auth/guard.py`, which also counts failed ones per client address. A few routes
have a budget of their own (`RouteTimeouts`), longer than the service's calls to its providers.
Public GETs a service marks cacheable are answered through the response cache (`proxy_cache.py`),
after the rate limits: a hit is counted like any request.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import quote, quote_from_bytes

from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from gateway.auth.citizens import citizen_authorization
from gateway.cache_rules import RawHeaders, request_may_use_cache
from gateway.ratelimit import StrictPaths
from gateway.settings import SERVICES
from gateway.staff import staff_authorization
from gateway.state import GatewayState
from gateway.wechat.body import PayloadTooLarge
from servicekit.errors import NotFound

PROXY_PATH = "/api/v1/{service}/{path:path}"

# RFC 9110 §7.6.1: meaningful for one connection only, never forwarded either way.
HOP_BY_HOP = frozenset(
    {
        b"connection",
        b"keep-alive",
        b"proxy-authenticate",
        b"proxy-authorization",
        b"proxy-connection",
        b"te",
        b"trailer",
        b"transfer-encoding",
        b"upgrade",
    }
)
# Also dropped on the way in: Host and Content-Length are the client library's to set for the
# upstream; Authorization from the public is never trusted (services accept only the gateway's
# internal token); Expect would cost a round trip for a body that is already buffered; the
# request id, trace context and forwarding headers are replaced by the gateway's own values
# (the upstream client adds the first two).
REQUEST_DROPPED = HOP_BY_HOP | {
    b"host",
    b"content-length",
    b"authorization",
    b"expect",
    b"x-request-id",
    b"traceparent",
    b"tracestate",
    b"x-forwarded-for",
    b"x-forwarded-host",
    b"x-forwarded-proto",
    b"x-api-key",
}
# On the way out the body is re-framed by the gateway's server (its own Content-Length and
# Date; a forwarded Date would be duplicated).
RESPONSE_DROPPED = HOP_BY_HOP | {b"content-length", b"date", b"server"}
# Responses that carry no body, hence no Content-Length of the gateway's own.
_BODYLESS_STATUSES = frozenset({204, 304})
# Characters left as they are when percent-encoding a query string that holds raw bytes.
_QUERY_SAFE = "/?:@!$&'()*+,;=%"


@dataclass(frozen=True)
class RouteLabel:
    """What metrics and the access log record as the route of a proxied request."""

    path: str


class RouteTimeouts:
    """Whole-request budgets of particular routes, keyed `METHOD service path` (settings)."""

    def __init__(self, table: Mapping[str, float]) -> None:
        self._routes: list[tuple[str, StrictPaths, float]] = []
        for route, seconds in table.items():
            method, service, pattern = route.split()
            self._routes.append((method, StrictPaths({service: [pattern]}), seconds))

    def budget(self, method: str, service: str, path: str) -> float | None:
        """The budget of `method` on `path` (relative to the service's /v1/), if it has one."""
        for route_method, pattern, seconds in self._routes:
            if route_method == method and pattern.match(service, path):
                return seconds
        return None


def _connection_tokens(value: bytes) -> set[bytes]:
    return {token.strip().lower() for token in value.split(b",")} - {b""}


def _is_internal(path: str) -> bool:
    """True when `path` (relative to /v1/) resolves under internal/, or climbs above /v1/."""
    segments: list[str] = []
    for segment in path.split("/"):
        if segment in ("", "."):
            continue
        if segment == "..":
            if not segments:
                return True
            segments.pop()
        else:
            segments.append(segment)
    # Case-insensitive although services route case-sensitively: refusing too much is harmless.
    return bool(segments) and segments[0].lower() == "internal"


async def _read_body(receive: Receive, limit: int) -> bytes | None:
    """The whole request body, or None if the client went away first."""
    message = await receive()
    if message["type"] == "http.disconnect":
        return None
    body: bytes = message.get("body", b"")
    if not message.get("more_body", False):
        if len(body) > limit:
            raise PayloadTooLarge(f"请求体过大，不能超过 {limit} 字节。")
        return body
    chunks = [body]
    size = len(body)
    while message.get("more_body", False):
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(f"请求体过大，不能超过 {limit} 字节。")
        chunks.append(chunk)
    return b"".join(chunks)


def _public_problem(
    raw_headers: tuple[tuple[bytes, bytes], ...], payload: bytes, public_path: str
) -> bytes:
    """A service's problem document with `instance` naming the path the caller used."""
    content_type = next((v for k, v in raw_headers if k.lower() == b"content-type"), b"")
    if not content_type.startswith(b"application/problem+json"):
        return payload
    try:
        problem = json.loads(payload)
    except ValueError:
        return payload
    if not isinstance(problem, dict) or "instance" not in problem:
        return payload
    problem["instance"] = public_path
    return json.dumps(problem, ensure_ascii=False, separators=(",", ":")).encode()


class FederationProxy:
    """The raw ASGI endpoint behind `PROXY_PATH`, on the gateway's `state`."""

    def __init__(self, state: GatewayState, services: tuple[str, ...] = SERVICES) -> None:
        self.state = state
        self.route_timeouts = RouteTimeouts(state.settings.route_timeouts)
        self.services = frozenset(services)
        self.raw_prefixes = {name: f"/api/v1/{name}/".encode() for name in services}
        self.labels = {name: RouteLabel(f"/api/v1/{name}/{{path}}") for name in services}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Forward one request to its service and relay the answer."""
        params = scope["path_params"]
        service: str = params["service"]
        if service not in self.services:
            raise NotFound(f"未找到服务 {service}。")
        # servicekit's middleware labels metrics and the access log with scope["route"].path.
        scope["route"] = self.labels[service]
        path: str = params["path"]
        if _is_internal(path):
            raise NotFound("未找到请求的资源。")
        state = self.state
        settings = state.settings
        method: str = scope["method"]

        headers, content_length, api_key, bearer, forwarded_for = self._request_headers(scope)
        rate_limits = state.rate_limits
        client_key: str | None = None
        credentials = state.credentials
        if api_key is not None or bearer is not None:
            client = scope.get("client")
            address = credentials.addresses.resolve(client[0] if client else "", forwarded_for)
        if api_key is not None:
            # A staff call: the key never travels upstream, an internal staff token does.
            staff = await credentials.staff(api_key, address)
            headers.append(
                (
                    "authorization",
                    staff_authorization(
                        staff=staff, secret=state.internal_token_secret, service=service
                    ),
                )
            )
        elif bearer is not None:
            # A signed-in citizen: the public token never travels upstream, an internal one does.
            citizen = await credentials.citizen(bearer, address)
            client_key = f"citizen:{citizen.citizen_id}"
            headers.append(
                (
                    "authorization",
                    citizen_authorization(
                        secret=state.internal_token_secret,
                        citizen_id=citizen.citizen_id,
                        service=service,
                        wechat=citizen.wechat,
                    ),
                )
            )
        if rate_limits is not None and api_key is None:
            if client_key is None:
                client = scope.get("client")
                peer = client[0] if client else ""
                client_key = f"ip:{rate_limits.addresses.resolve(peer, forwarded_for)}"
            # Before the body is read: a refused request costs no upload and never goes upstream.
            await rate_limits.check(client_key, service, path)
        if content_length is not None and content_length > settings.max_body_bytes:
            raise PayloadTooLarge(f"请求体过大，不能超过 {settings.max_body_bytes} 字节。")
        body = await _read_body(receive, settings.max_body_bytes)
        if body is None:
            return

        target = self._target(scope, service, path)
        timeout = self.route_timeouts.budget(method, service, path)

        async def forward(outbound: list[tuple[str, str]]) -> tuple[int, RawHeaders, bytes]:
            return await state.upstreams.forward(
                service, method, target, outbound, body or None, timeout=timeout
            )

        cache = state.response_cache
        if cache is not None and request_may_use_cache(method, scope["headers"]):
            status, raw_headers, payload = await cache.fetch(
                service, method, target, scope["headers"], headers, forward
            )
        else:
            status, raw_headers, payload = await forward(headers)
            if cache is not None:
                await cache.written(service, method, status)
        if status >= 400:
            payload = _public_problem(raw_headers, payload, scope["path"])
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": self._response_headers(raw_headers, status, method, len(payload)),
            }
        )
        await send({"type": "http.response.body", "body": payload})

    def _target(self, scope: Scope, service: str, path: str) -> str:
        """The upstream path and query, percent-encoded exactly as the client sent them."""
        raw: bytes = scope.get("raw_path") or b""
        prefix = self.raw_prefixes[service]
        if raw.startswith(prefix) and raw.isascii():
            rest = raw[len(prefix) :].decode("ascii")
        else:  # an encoded prefix or raw non-ASCII bytes: re-encode the decoded path
            rest = quote(path)
        query: bytes = scope["query_string"]
        if not query:
            return f"/v1/{rest}"
        if query.isascii():
            return f"/v1/{rest}?{query.decode('ascii')}"
        return f"/v1/{rest}?{quote_from_bytes(query, safe=_QUERY_SAFE)}"

    @staticmethod
    def _request_headers(
        scope: Scope,
    ) -> tuple[list[tuple[str, str]], int | None, str | None, str | None, str | None]:
        """Headers to forward, the declared Content-Length, the staff API key, Authorization and
        the client's X-Forwarded-For (for the rate limits; it is never forwarded)."""
        headers: list[tuple[str, str]] = []
        content_length: int | None = None
        api_key: str | None = None
        authorization: str | None = None
        forwarded_for: str | None = None
        host = ""
        extra_hop: set[bytes] = set()
        for name, value in scope["headers"]:
            if name in REQUEST_DROPPED:
                if name == b"connection":
                    extra_hop |= _connection_tokens(value)
                elif name == b"content-length" and value.isdigit():
                    content_length = int(value)
                elif name == b"host":
                    host = value.decode("latin-1")
                elif name == b"x-api-key":
                    api_key = value.decode("latin-1")
                elif name == b"authorization":
                    authorization = value.decode("latin-1")
                elif name == b"x-forwarded-for":
                    # Several headers are one list (RFC 9110 §5.3).
                    text = value.decode("latin-1")
                    forwarded_for = f"{forwarded_for},{text}" if forwarded_for else text
                continue
            headers.append((name.decode("latin-1"), value.decode("latin-1")))
        if extra_hop - REQUEST_DROPPED:
            dropped = {token.decode("latin-1") for token in extra_hop}
            headers = [(k, v) for k, v in headers if k not in dropped]
        client = scope.get("client")
        if client:
            # The gateway is the edge: uvicorn has already resolved trusted proxies into
            # scope["client"], so a client-supplied X-Forwarded-For is replaced, not extended.
            headers.append(("x-forwarded-for", client[0]))
        headers.append(("x-forwarded-proto", scope["scheme"]))
        if host:
            headers.append(("x-forwarded-host", host))
        return headers, content_length, api_key, authorization, forwarded_for

    @staticmethod
    def _response_headers(
        raw: tuple[tuple[bytes, bytes], ...], status: int, method: str, size: int
    ) -> list[tuple[bytes, bytes]]:
        """The upstream's headers minus hop-by-hop ones, re-framed for the gateway's body."""
        headers: list[tuple[bytes, bytes]] = []
        extra_hop: set[bytes] = set()
        upstream_length = b""
        for name, value in raw:
            lower = name.lower()
            if lower in RESPONSE_DROPPED:
                if lower == b"connection":
                    extra_hop |= _connection_tokens(value)
                elif lower == b"content-length":
                    upstream_length = value
                continue
            headers.append((lower, value))
        if extra_hop - RESPONSE_DROPPED:
            headers = [(k, v) for k, v in headers if k not in extra_hop]
        if method == "HEAD":
            # No body came back, but the length describes the GET the client asked about.
            if upstream_length:
                headers.append((b"content-length", upstream_length))
        elif status not in _BODYLESS_STATUSES:
            headers.append((b"content-length", str(size).encode()))
        return headers


def proxy_route(state: GatewayState) -> Route:
    """The proxy's route, forwarding through the upstreams and checks of `state`."""
    return Route(PROXY_PATH, endpoint=FederationProxy(state), include_in_schema=False)
