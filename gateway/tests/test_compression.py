"""Response compression: the negotiation and media-type rules as tables, the gateway end to end
with a fake upstream (raw bytes read with http.client, which never decodes), and streaming
through the middleware alone."""

from __future__ import annotations

import gzip
import http.client
import json
from collections.abc import Iterator
from dataclasses import dataclass
from importlib.resources import files
from typing import Any

import brotli
import pytest
from fastapi import FastAPI, Response
from fastapi.responses import JSONResponse
from starlette.types import Message

from gateway.compression import CompressionMiddleware, compressible, negotiate
from gateway.main import create_app
from gateway.settings import SERVICES, GatewaySettings
from servicekit.settings import SharedSettings
from servicekit.testing import serve_in_thread

# A ranking-like document well above 1 KB.
BIG = {
    "items": [
        {"rank": n, "code": f"acct{n:03d}", "name": f"东莞公众号{n}", "score": 800.5 - n}
        for n in range(100)
    ],
    "total": 100,
}
BIG_BYTES = json.dumps(BIG, ensure_ascii=False).encode()
ETAG = '"7f3a9c"'
# Compressible bytes, so that only the media-type rule keeps them uncompressed.
BINARY = b"\x89PNG\r\n\x1a\n" + bytes(8192)


# -- the rules as tables -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("accept_encoding", "expected"),
    [
        ("", None),
        ("identity", None),
        ("gzip", "gzip"),
        ("GZIP", "gzip"),
        ("x-gzip", "gzip"),
        ("br", "br"),
        ("gzip, deflate, br", "br"),  # a tie goes to br
        ("gzip, deflate, br, zstd", "br"),
        ("deflate", None),
        ("zstd, deflate", None),
        ("*", "br"),
        ("*;q=0", None),
        ("gzip;q=0", None),
        ("gzip;q=0, br;q=0", None),
        ("br;q=0, gzip", "gzip"),
        ("gzip, br;q=0", "gzip"),
        ("gzip;q=1.0, br;q=0.5", "gzip"),  # q-values are honoured over the preference
        ("gzip;q=0.5, br;q=0.8", "br"),
        ("*;q=0.5, gzip;q=0", "br"),
        ("identity;q=1, *;q=0", None),
        ("gzip ; q=0.800", "gzip"),
        ("gzip;q=0.0001", None),  # more than three decimals: malformed, the entry is ignored
        ("gzip;q=2", None),
        ("gzip;q=abc, br;q=nan", None),
        ("gzip;level=9", "gzip"),
        (" , ,gzip", "gzip"),
        ("br;q=0.001", "br"),
    ],
)
def test_accept_encoding_negotiation(accept_encoding: str, expected: str | None) -> None:
    assert negotiate(accept_encoding) == expected


@pytest.mark.parametrize(
    ("content_type", "expected"),
    [
        ("application/json", True),
        ("application/json; charset=utf-8", True),
        ("Application/JSON", True),
        ("application/problem+json", True),
        ("application/xml", True),
        ("application/javascript", True),
        ("text/javascript; charset=utf-8", True),
        ("text/html; charset=utf-8", True),
        ("text/css", True),
        ("text/plain", True),
        ("text/csv", True),
        ("image/svg+xml", True),
        ("application/x-ndjson", True),
        ("text/event-stream", False),
        ("image/png", False),
        ("image/jpeg", False),
        ("image/webp", False),
        ("application/pdf", False),
        ("application/zip", False),
        ("application/gzip", False),
        ("application/octet-stream", False),
        ("font/woff2", False),
        ("", False),
    ],
)
def test_compressible_media_types(content_type: str, expected: bool) -> None:
    assert compressible(content_type) is expected


# -- through the gateway ------------------------------------------------------------------------


def upstream_app() -> FastAPI:
    """A service answering each kind of body the rules tell apart."""
    app = FastAPI(title="accounts (fake)")

    @app.api_route("/v1/big", methods=["GET", "HEAD"])
    async def big() -> Response:
        return Response(BIG_BYTES, media_type="application/json", headers={"ETag": ETAG})

    @app.get("/v1/sized")
    async def sized(n: int) -> Response:
        return Response(b"a" * n, media_type="text/plain")

    @app.get("/v1/chart.png")
    async def png() -> Response:
        return Response(BINARY, media_type="image/png")

    @app.get("/v1/report.pdf")
    async def pdf() -> Response:
        return Response(BINARY, media_type="application/pdf")

    @app.get("/v1/encoded")
    async def encoded() -> Response:
        return Response(
            gzip.compress(BIG_BYTES),
            media_type="application/json",
            headers={"Content-Encoding": "gzip", "Vary": "Accept-Encoding"},
        )

    @app.get("/v1/varies")
    async def varies() -> Response:
        headers = {"Vary": "X-App-Version"}
        return Response(BIG_BYTES, media_type="application/json", headers=headers)

    @app.get("/v1/no-transform")
    async def no_transform() -> Response:
        headers = {"Cache-Control": "public, no-transform"}
        return Response(BIG_BYTES, media_type="application/json", headers=headers)

    @app.get("/v1/missing")
    async def missing() -> JSONResponse:
        problem = {
            "title": "Not Found",
            "status": 404,
            "detail": "未找到。" * 400,
            "instance": "/v1/missing",
        }
        return JSONResponse(problem, status_code=404, media_type="application/problem+json")

    @app.get("/readyz")
    async def readyz() -> dict[str, str]:
        return {"status": "ready"}

    return app


def settings_for(upstream: str, **overrides: Any) -> GatewaySettings:
    return GatewaySettings(
        **{f"{name}_url": upstream for name in SERVICES},
        shared=SharedSettings(env="dev"),
        **overrides,
    )


@pytest.fixture(scope="module")
def upstream() -> Iterator[str]:
    with serve_in_thread(upstream_app()) as url:
        yield url


@pytest.fixture(scope="module")
def gateway(upstream: str) -> Iterator[str]:
    with serve_in_thread(create_app(settings_for(upstream))) as url:
        yield url


@dataclass(frozen=True)
class Raw:
    """An answer as it came over the wire."""

    status: int
    headers: http.client.HTTPMessage
    body: bytes

    def header(self, name: str) -> str | None:
        return self.headers.get(name)

    def vary(self) -> list[str]:
        """The Vary fields, lower-cased, over every Vary header (CORS adds Origin)."""
        values = self.headers.get_all("vary") or []
        return [f.strip().lower() for value in values for f in value.split(",") if f.strip()]


def fetch(base_url: str, path: str, accept_encoding: str | None, method: str = "GET") -> Raw:
    """One request with this Accept-Encoding (None: no header at all), undecoded."""
    host, port = base_url.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=10)
    headers = {} if accept_encoding is None else {"Accept-Encoding": accept_encoding}
    try:
        # skip_accept_encoding: http.client would otherwise send `identity` itself.
        conn.putrequest(method, path, skip_accept_encoding=True)
        for name, value in headers.items():
            conn.putheader(name, value)
        conn.endheaders()
        response = conn.getresponse()
        return Raw(response.status, response.headers, response.read())
    finally:
        conn.close()


DECODERS = {"gzip": gzip.decompress, "br": brotli.decompress}


@pytest.mark.parametrize("coding", ["gzip", "br"])
def test_large_json_is_compressed(gateway: str, coding: str) -> None:
    raw = fetch(gateway, "/api/v1/accounts/big", coding)
    assert raw.status == 200
    assert raw.header("content-encoding") == coding
    assert raw.header("content-length") == str(len(raw.body))
    assert len(raw.body) < len(BIG_BYTES) / 3
    assert DECODERS[coding](raw.body) == BIG_BYTES
    assert raw.vary().count("accept-encoding") == 1
    assert raw.header("content-type") == "application/json"


def test_a_browser_gets_brotli(gateway: str) -> None:
    raw = fetch(gateway, "/api/v1/accounts/big", "gzip, deflate, br, zstd")
    assert raw.header("content-encoding") == "br"


@pytest.mark.parametrize("accept_encoding", [None, "identity", "deflate", "gzip;q=0, br;q=0"])
def test_no_acceptable_coding_gets_the_body_as_is(
    gateway: str, accept_encoding: str | None
) -> None:
    raw = fetch(gateway, "/api/v1/accounts/big", accept_encoding)
    assert raw.header("content-encoding") is None
    assert raw.body == BIG_BYTES
    assert raw.header("content-length") == str(len(BIG_BYTES))
    # The answer still depends on the header: a cache must not hand it to a gzip client.
    assert raw.vary().count("accept-encoding") == 1
    assert raw.header("etag") == ETAG


def test_q_zero_refuses_a_coding(gateway: str) -> None:
    raw = fetch(gateway, "/api/v1/accounts/big", "br;q=0, gzip")
    assert raw.header("content-encoding") == "gzip"
    assert gzip.decompress(raw.body) == BIG_BYTES


@pytest.mark.parametrize(("size", "compressed"), [(1023, False), (1024, True), (4096, True)])
def test_only_bodies_of_the_minimum_size_are_compressed(
    gateway: str, size: int, compressed: bool
) -> None:
    raw = fetch(gateway, f"/api/v1/accounts/sized?n={size}", "gzip")
    assert (raw.header("content-encoding") == "gzip") is compressed
    assert (gzip.decompress(raw.body) if compressed else raw.body) == b"a" * size
    assert raw.header("content-length") == str(len(raw.body))
    assert raw.vary().count("accept-encoding") == 1


@pytest.mark.parametrize("path", ["/api/v1/accounts/chart.png", "/api/v1/accounts/report.pdf"])
def test_compressed_media_are_sent_as_they_are(gateway: str, path: str) -> None:
    raw = fetch(gateway, path, "gzip, br")
    assert raw.status == 200
    assert raw.header("content-encoding") is None
    assert raw.body == BINARY
    assert "accept-encoding" not in raw.vary()


def test_an_encoded_body_is_not_compressed_twice(gateway: str) -> None:
    raw = fetch(gateway, "/api/v1/accounts/encoded", "br, gzip")
    assert raw.header("content-encoding") == "gzip"
    assert gzip.decompress(raw.body) == BIG_BYTES
    assert raw.vary().count("accept-encoding") == 1


def test_vary_is_merged_with_the_upstreams(gateway: str) -> None:
    raw = fetch(gateway, "/api/v1/accounts/varies", "gzip")
    assert raw.header("content-encoding") == "gzip"
    assert "x-app-version" in raw.vary()
    assert raw.vary().count("accept-encoding") == 1


def test_a_strong_etag_becomes_weak_when_compressed(gateway: str) -> None:
    raw = fetch(gateway, "/api/v1/accounts/big", "br")
    assert raw.header("etag") == f"W/{ETAG}"


def test_no_transform_is_respected(gateway: str) -> None:
    raw = fetch(gateway, "/api/v1/accounts/no-transform", "gzip")
    assert raw.header("content-encoding") is None
    assert raw.body == BIG_BYTES


def test_problems_are_compressed_too(gateway: str) -> None:
    raw = fetch(gateway, "/api/v1/accounts/missing", "gzip")
    assert raw.status == 404
    assert raw.header("content-encoding") == "gzip"
    problem = json.loads(gzip.decompress(raw.body))
    assert problem["instance"] == "/api/v1/accounts/missing"


def test_head_is_left_alone(gateway: str) -> None:
    raw = fetch(gateway, "/api/v1/accounts/big", "gzip, br", method="HEAD")
    assert raw.status == 200
    assert raw.body == b""
    assert raw.header("content-encoding") is None
    assert raw.header("content-length") == str(len(BIG_BYTES))
    assert raw.vary().count("accept-encoding") == 1


def test_the_gateways_own_answers_are_compressed(gateway: str) -> None:
    script = (files("gateway.h5") / "static" / "fines.js").read_bytes()
    raw = fetch(gateway, "/h5/assets/fines.js", "br")
    assert raw.header("content-encoding") == "br"
    assert brotli.decompress(raw.body) == script
    assert len(raw.body) < len(script) / 2


def test_compression_can_be_turned_off(upstream: str) -> None:
    with serve_in_thread(create_app(settings_for(upstream, compression_enabled=False))) as url:
        raw = fetch(url, "/api/v1/accounts/big", "gzip, br")
    assert raw.header("content-encoding") is None
    assert raw.body == BIG_BYTES
    assert "accept-encoding" not in raw.vary()


def test_the_minimum_size_is_a_setting(upstream: str) -> None:
    with serve_in_thread(create_app(settings_for(upstream, compress_min_bytes=100))) as url:
        raw = fetch(url, "/api/v1/accounts/sized?n=200", "gzip")
    assert raw.header("content-encoding") == "gzip"
    assert gzip.decompress(raw.body) == b"a" * 200


# -- the middleware alone: streaming and bodyless answers ---------------------------------------


async def run(app: Any, accept_encoding: str = "gzip", method: str = "GET") -> list[Message]:
    """The messages `app` behind the middleware sends for one request."""
    sent: list[Message] = []

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "method": method,
        "path": "/",
        "headers": [(b"accept-encoding", accept_encoding.encode())],
    }
    await CompressionMiddleware(app, minimum_size=16)(scope, receive, send)
    return sent


def answering(status: int, headers: list[tuple[bytes, bytes]], *bodies: bytes) -> Any:
    """A raw ASGI app sending `bodies` as successive messages (the last one final)."""

    async def app(scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": status, "headers": headers})
        for n, body in enumerate(bodies):
            more = n < len(bodies) - 1
            await send({"type": "http.response.body", "body": body, "more_body": more})

    return app


def header(message: Message, name: bytes) -> list[bytes]:
    return [v for k, v in message["headers"] if k == name]


async def test_a_streamed_body_passes_chunk_by_chunk() -> None:
    events = [b"data: " + bytes(40) + b"\n\n" for _ in range(3)]
    app = answering(200, [(b"content-type", b"text/event-stream")], *events)
    start, *bodies = await run(app)
    assert header(start, b"content-encoding") == []
    assert header(start, b"vary") == []
    assert [m["body"] for m in bodies] == events
    assert [m["more_body"] for m in bodies] == [True, True, False]


async def test_a_textual_body_in_several_messages_is_not_held_back() -> None:
    chunks = [b"a" * 100, b"b" * 100]
    app = answering(200, [(b"content-type", b"text/plain")], *chunks)
    start, *bodies = await run(app)
    assert header(start, b"content-encoding") == []
    assert header(start, b"vary") == [b"Accept-Encoding"]
    assert [m["body"] for m in bodies] == chunks


@pytest.mark.parametrize("status", [204, 206, 304])
async def test_bodyless_and_partial_answers_are_not_compressed(status: int) -> None:
    body = b"" if status != 206 else b"x" * 100
    app = answering(status, [(b"content-type", b"text/plain")], body)
    start, message = await run(app)
    assert start["status"] == status
    assert header(start, b"content-encoding") == []
    assert message["body"] == body


async def test_a_body_that_would_grow_is_sent_as_it_is() -> None:
    noise = bytes(range(256))  # no repetition within 256 bytes: gzip only adds its framing
    app = answering(200, [(b"content-type", b"text/plain")], noise)
    start, message = await run(app)
    assert header(start, b"content-encoding") == []
    assert message["body"] == noise
    assert header(start, b"vary") == [b"Accept-Encoding"]
