"""Cross-origin calls from browser apps (issue 18): an allowlist of origins, credentials off.

H5 pages served from the city's own domains call the public API with `fetch`. Only origins in
`GATEWAY_CORS_ORIGINS` may read the answers; any other origin gets no `Access-Control-*` header
at all, so the browser keeps the answer from its page. Credentials are off: the API takes bearer
tokens in `Authorization`, never cookies, so no `Access-Control-Allow-Credentials` is sent and
`fetch(..., {credentials: "include"})` is refused by the browser.

`X-Api-Key` is not among the headers a page may send: staff keys are long-lived secrets, and one
in a web page's JavaScript is readable by whoever uses the page. Staff tools call from a server,
or from the gateway's own `/docs` (same origin: CORS does not apply).

Pure ASGI rather than Starlette's CORSMiddleware, which answers a refused origin's preflight with
its Access-Control-Allow-Methods, -Headers and -Max-Age all the same. Here the gateway alone
speaks CORS: Access-Control-* headers an upstream set are dropped. Every answer varies by Origin
(`Vary: Origin`), so that a shared cache never serves one origin's answer to another.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple
from urllib.parse import urlsplit

from starlette.middleware import Middleware
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from servicekit.errors import Forbidden

ALLOWED_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
# W3C Trace Context lets a page's own tracing join the gateway's trace (servicekit.tracing).
ALLOWED_HEADERS = (
    "Authorization",
    "Content-Type",
    "Idempotency-Key",
    "X-Request-Id",
    "traceparent",
    "tracestate",
)
EXPOSED_HEADERS = (
    "X-Request-Id",
    "Retry-After",
    "Location",
    "X-Report-Code",
    "X-Certificate-Code",
    "Content-Disposition",
)
ANY_PORT = ":*"
DEFAULT_PORTS = {"http": 80, "https": 443}
_ACCESS_CONTROL = b"access-control-"


class OriginKey(NamedTuple):
    """An origin as compared: scheme, host (lower case) and port (None: any port)."""

    scheme: str
    host: str
    port: int | None


def _key(origin: str) -> OriginKey:
    """`origin` (scheme://host[:port], nothing else) as compared; ValueError if it is not one."""
    if any(ord(ch) <= 0x20 or ch == "\\" for ch in origin):
        raise ValueError("has spaces, control characters or a backslash")
    parts = urlsplit(origin)
    if parts.scheme not in DEFAULT_PORTS or not parts.hostname:
        raise ValueError("not an http(s) origin")
    if parts.username is not None or parts.password is not None:
        raise ValueError("has credentials")
    if parts.path or parts.query or parts.fragment or origin.endswith(("?", "#")):
        raise ValueError("has a path, query or fragment")
    if "*" in parts.netloc:
        raise ValueError("has a wildcard")
    port = parts.port  # ValueError when not a port number
    if port == 0:
        raise ValueError("port 0")
    return OriginKey(parts.scheme, parts.hostname, port or DEFAULT_PORTS[parts.scheme])


def allowed_origin(entry: str) -> OriginKey:
    """The origin an allowlist entry names; ValueError (saying why) if it is not one.

    Entries are `scheme://host[:port]` (`https://h5.dg.gov.cn`); `:*` allows every port of
    that scheme and host (`http://127.0.0.1:*`).
    """
    any_port = entry.endswith(ANY_PORT)
    try:
        key = _key(entry.removesuffix(ANY_PORT) if any_port else entry)
    except ValueError as exc:
        raise ValueError(f"{entry!r} is not an origin scheme://host[:port] ({exc})") from None
    if entry != entry.lower():
        # Browsers send origins in lower case: a mixed-case entry is a typo waiting to bite.
        raise ValueError(f"{entry!r}: write origins in lower case")
    return key._replace(port=None) if any_port else key


class OriginAllowlist:
    """Origins whose pages may read the API's answers across origins."""

    def __init__(self, entries: Iterable[str]) -> None:
        keys = [allowed_origin(entry) for entry in entries]
        self.exact = frozenset(k for k in keys if k.port is not None)
        self.any_port = frozenset((k.scheme, k.host) for k in keys if k.port is None)

    def allows(self, origin: str) -> bool:
        """True when the `Origin` a browser sent is on the list (`null` and junk never are)."""
        try:
            key = _key(origin)
        except ValueError:
            return False
        return key in self.exact or (key.scheme, key.host) in self.any_port


def _with_vary_origin(headers: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    """`headers` with `Origin` added to their `Vary` (one header, others' values kept)."""
    for index, (name, value) in enumerate(headers):
        if name.lower() == b"vary":
            listed = {v.strip().lower() for v in value.split(b",")}
            if b"origin" not in listed and b"*" not in listed:
                headers[index] = (name, value + b", Origin")
            return headers
    headers.append((b"vary", b"Origin"))
    return headers


def _header(scope: Scope, name: bytes) -> bytes | None:
    for key, value in scope["headers"]:
        if key == name:
            return bytes(value)
    return None


class CorsMiddleware:
    """Answer preflights and mark answers readable for the allowlist's origins only."""

    def __init__(self, app: ASGIApp, *, origins: OriginAllowlist, max_age_seconds: int) -> None:
        self.app = app
        self.origins = origins
        self.preflight_headers = {
            "Access-Control-Allow-Methods": ", ".join(ALLOWED_METHODS),
            "Access-Control-Allow-Headers": ", ".join(ALLOWED_HEADERS),
            "Access-Control-Max-Age": str(max_age_seconds),
            "Vary": "Origin",
        }
        self.exposed = ", ".join(EXPOSED_HEADERS).encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        raw_origin = _header(scope, b"origin")
        origin = raw_origin.decode("latin-1") if raw_origin is not None else None
        allowed = origin is not None and self.origins.allows(origin)
        if (
            origin is not None
            and scope["method"] == "OPTIONS"
            and _header(scope, b"access-control-request-method") is not None
        ):
            await self._preflight(origin if allowed else None, scope)(scope, receive, send)
            return

        async def send_with_cors(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [
                    (name, value)
                    for name, value in message.get("headers", [])
                    if not name.lower().startswith(_ACCESS_CONTROL)
                ]
                if allowed and raw_origin is not None:
                    headers.append((b"access-control-allow-origin", raw_origin))
                    headers.append((b"access-control-expose-headers", self.exposed))
                message["headers"] = _with_vary_origin(headers)
            await send(message)

        await self.app(scope, receive, send_with_cors)

    def _preflight(self, origin: str | None, scope: Scope) -> Response:
        """The answer to a preflight from `origin` (None: an origin not on the list)."""
        if origin is None:
            refused = Forbidden("此网页的来源不在允许跨域调用接口之列。").response(scope["path"])
            refused.headers["Vary"] = "Origin"
            return refused
        headers = {"Access-Control-Allow-Origin": origin, **self.preflight_headers}
        return Response(status_code=204, headers=headers)


def cors_middleware(origins: list[str], *, max_age_seconds: int) -> Middleware:
    """The CORS middleware for these allowed origins (none: every preflight is refused)."""
    return Middleware(
        CorsMiddleware, origins=OriginAllowlist(origins), max_age_seconds=max_age_seconds
    )
