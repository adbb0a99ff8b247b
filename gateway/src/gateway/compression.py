"""Response compression on the public listener: brotli or gzip for clients that accept it.

A pure ASGI middleware (on the hot path, like servicekit's) rather than Starlette's
GZipMiddleware, which has no brotli and compresses any media type, PNG included. The rules:
- The coding is negotiated from Accept-Encoding with its q-values; br wins a tie with gzip
  (smaller output at a similar cost, `bench/compression.py`). No header, or identity only: none.
- Only a whole body (one ASGI message: the proxy and every JSON answer send one) of at least
  `minimum_size` bytes of a textual media type is compressed; never a body that already has a
  Content-Encoding, a partial (206) one, or one marked `Cache-Control: no-transform`. A streamed
  body (server-sent events) passes as it comes: buffering it would hold back every event.
- Every textual answer says `Vary: Accept-Encoding`, compressed or not (the same URL may be
  larger tomorrow), so that no cache serves gzip to a client that did not ask for it.
- A compressed body's strong ETag becomes weak (RFC 9110 §8.8.3: its bytes are not the
  upstream's); services compare If-None-Match weakly, so revalidation still gets its 304.
- HEAD answers keep the headers of the uncompressed GET (Vary added); 204 and 304 pass as they
  are.
"""

from __future__ import annotations

import re
import zlib
from typing import Literal

import brotli
from starlette.datastructures import MutableHeaders
from starlette.middleware import Middleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

Coding = Literal["br", "gzip"]
# Preference on equal q-values.
CODINGS: tuple[Coding, ...] = ("br", "gzip")
# Levels for bodies compressed per request (bench/compression.py, the week's ranking): brotli 5
# costs what gzip 6 (zlib's default) does and is 14% smaller; brotli's default 11 would be 22%
# smaller still but cost ~70x the CPU (40 ms a ranking).
BROTLI_QUALITY = 5
GZIP_LEVEL = 6
# RFC 9110 §12.4.2: qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] )
_QVALUE = re.compile(r"(?:0(?:\.\d{0,3})?|1(?:\.0{0,3})?)")
# Textual types beyond text/* and the +json / +xml suffixes (RFC 6839).
_COMPRESSIBLE = frozenset(
    {
        "application/json",
        "application/xml",
        "application/javascript",
        "application/x-ndjson",
        "application/yaml",
    }
)
# Streamed event by event: never held back to be compressed, and no Vary to promise it.
_STREAMED = frozenset({"text/event-stream"})
# Partial content would be compressed per range (not what Content-Range counts); 204 and 304
# have no body.
_UNCOMPRESSED_STATUSES = frozenset({204, 206, 304})


def _quality(params: str) -> float | None:
    """The q of an Accept-Encoding entry's parameters (1 without one); None when malformed."""
    for param in params.split(";"):
        name, _, value = param.partition("=")
        if name.strip().lower() == "q":
            value = value.strip()
            return float(value) if _QVALUE.fullmatch(value) else None
    return 1.0


def negotiate(accept_encoding: str) -> Coding | None:
    """The coding to answer an Accept-Encoding value with: the acceptable one of highest q
    (br on a tie), None when neither is acceptable (q=0, or not named and no `*`)."""
    named: dict[str, float] = {}
    for entry in accept_encoding.split(","):
        token, _, params = entry.partition(";")
        token = token.strip().lower()
        q = _quality(params)
        if token and q is not None:
            # RFC 9110 §8.4.1.3: x-gzip is gzip.
            named.setdefault("gzip" if token == "x-gzip" else token, q)
    anything = named.get("*", 0.0)
    chosen: Coding | None = None
    best = 0.0
    for coding in CODINGS:
        q = named.get(coding, anything)
        if q > best:
            chosen, best = coding, q
    return chosen


def compressible(content_type: str) -> bool:
    """Whether a body of this Content-Type is text worth compressing (PNG, PDF, ZIP are not)."""
    media = content_type.partition(";")[0].strip().lower()
    if media in _STREAMED:
        return False
    return media.startswith("text/") or media in _COMPRESSIBLE or media.endswith(("+json", "+xml"))


def encode(body: bytes, coding: Coding) -> bytes:
    """`body` compressed with `coding` (gzip framing for gzip)."""
    if coding == "br":
        return bytes(brotli.compress(body, quality=BROTLI_QUALITY))
    return zlib.compress(body, GZIP_LEVEL, wbits=31)


def _accept_encoding(scope: Scope) -> str:
    """The request's Accept-Encoding, several headers joined as one list."""
    values = [v.decode("latin-1") for k, v in scope["headers"] if k == b"accept-encoding"]
    return ",".join(values)


def _add_vary(headers: MutableHeaders) -> None:
    """Add Accept-Encoding to Vary unless it is there already (or Vary is `*`)."""
    fields = [f.strip() for value in headers.getlist("vary") for f in value.split(",")]
    fields = [f for f in fields if f]
    if "*" in fields or "accept-encoding" in (f.lower() for f in fields):
        return
    headers["vary"] = ", ".join([*fields, "Accept-Encoding"])


def _may_compress(status: int, headers: MutableHeaders) -> bool:
    """Whether a response with a compressible type may be compressed at all."""
    return (
        status not in _UNCOMPRESSED_STATUSES
        and "content-encoding" not in headers
        and "no-transform" not in headers.get("cache-control", "").lower()
    )


class _Responder:
    """The `send` of one request: adds Vary, and holds a compressible response's start until its
    first body message shows whether it is whole and large enough to compress."""

    def __init__(self, send: Send, coding: Coding | None, minimum_size: int) -> None:
        self.downstream = send
        self.coding = coding
        self.minimum_size = minimum_size
        self.held: Message | None = None

    async def send(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            message.setdefault("headers", [])  # optional in ASGI
            headers = MutableHeaders(scope=message)
            if compressible(headers.get("content-type", "")):
                _add_vary(headers)
                if self.coding is not None and _may_compress(message["status"], headers):
                    self.held = message
                    return
            await self.downstream(message)
            return
        start, self.held = self.held, None
        if start is None or self.coding is None:
            await self.downstream(message)
            return
        if message["type"] == "http.response.body" and not message.get("more_body", False):
            message = _compressed(start, message, self.coding, self.minimum_size)
        await self.downstream(start)
        await self.downstream(message)


def _compressed(start: Message, message: Message, coding: Coding, minimum_size: int) -> Message:
    """The whole-body `message`, compressed when it is large enough and that pays (`start`'s
    headers then fixed)."""
    body: bytes = message.get("body", b"")
    if len(body) < minimum_size:
        return message
    encoded = encode(body, coding)
    if len(encoded) >= len(body):
        return message
    headers = MutableHeaders(scope=start)
    headers["content-encoding"] = coding
    headers["content-length"] = str(len(encoded))
    etag = headers.get("etag")
    if etag and not etag.startswith("W/"):
        headers["etag"] = f"W/{etag}"
    return {**message, "body": encoded}


class CompressionMiddleware:
    """Compress whole textual response bodies of `minimum_size` bytes or more for clients that
    accept br or gzip (module docstring)."""

    def __init__(self, app: ASGIApp, *, minimum_size: int = 1024) -> None:
        self.app = app
        self.minimum_size = minimum_size

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        # HEAD: no body to compress; its headers describe the identity GET.
        coding = None if scope["method"] == "HEAD" else negotiate(_accept_encoding(scope))
        await self.app(scope, receive, _Responder(send, coding, self.minimum_size).send)


def compression_middleware(*, enabled: bool, minimum_size: int) -> list[Middleware]:
    """The compression of an app built by `create_service_app` (nothing when not `enabled`)."""
    if not enabled:
        return []
    return [Middleware(CompressionMiddleware, minimum_size=minimum_size)]
