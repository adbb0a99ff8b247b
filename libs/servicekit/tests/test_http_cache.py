"""Public GETs: ETag, 304 and the service's own short-lived copy of each answer."""

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from fastapi import APIRouter, FastAPI
from fastapi.testclient import TestClient
from starlette.types import Message, Receive, Scope, Send

from servicekit.errors import NotFound, install_error_handlers
from servicekit.http_cache import (
    MAX_ENTRIES,
    Entry,
    HttpCacheMiddleware,
    ResponseCache,
    etag_matches,
    etag_of,
    public_cache,
    public_max_age,
)

TAG = '"abc"'


@pytest.mark.parametrize(
    ("header", "matches"),
    [
        (None, False),
        ("", False),
        ('"abc"', True),
        ('W/"abc"', True),
        ('"x", "abc"', True),
        ('"x"', False),
        ("*", True),
    ],
)
def test_if_none_match(header: str | None, matches: bool) -> None:
    assert etag_matches(header, TAG) is matches


def test_etag_is_strong_and_follows_the_bytes() -> None:
    assert etag_of(b"a") == etag_of(b"a") != etag_of(b"b")
    assert etag_of(b"a").startswith('"') and not etag_of(b"a").startswith("W/")


@pytest.mark.parametrize(
    ("cache_control", "age"),
    [
        ("public, max-age=30", 30),
        ("max-age=3600, public", 3600),
        ("Public, Max-Age=5", 5),
        ("public", None),
        ("private, max-age=30", None),
        ("public, no-store, max-age=30", None),
        ("public, no-cache, max-age=30", None),
        ("max-age=30", None),
        ("", None),
        (None, None),
    ],
)
def test_only_public_answers_with_a_max_age_are_kept(
    cache_control: str | None, age: int | None
) -> None:
    assert public_max_age(cache_control) == age


@dataclass
class FakeClock:
    now: float = 1000.0

    def __call__(self) -> float:
        return self.now


@dataclass
class Calls:
    count: int = 0
    value: str = "一"


def build(calls: Calls, clock: FakeClock, seconds: float = 1.0) -> FastAPI:
    router = APIRouter()

    @router.get("/public/{code}", dependencies=[public_cache(60)])
    async def public(code: str) -> dict[str, str]:
        calls.count += 1
        return {"code": code, "value": calls.value}

    @router.get("/brief", dependencies=[public_cache(0)])
    async def brief() -> dict[str, int]:
        calls.count += 1
        return {"count": calls.count}

    @router.get("/personal")
    async def personal() -> dict[str, int]:
        calls.count += 1
        return {"count": calls.count}

    @router.get("/missing", dependencies=[public_cache(60)])
    async def missing() -> dict[str, int]:
        calls.count += 1
        raise NotFound("没有。")

    @router.post("/public/{code}")
    async def change(code: str) -> dict[str, str]:
        calls.value = "二"
        return {"code": code}

    cache = ResponseCache(seconds, clock=clock)

    @router.get("/overtaken", dependencies=[public_cache(60)])
    async def overtaken() -> dict[str, int]:
        calls.count += 1
        cache.invalidate()  # as a write served meanwhile would
        return {"count": calls.count}

    app = FastAPI()
    app.include_router(router)
    install_error_handlers(app)
    app.add_middleware(HttpCacheMiddleware, cache=cache)
    return app


@pytest.fixture
def calls() -> Calls:
    return Calls()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def client(calls: Calls, clock: FakeClock) -> Iterator[TestClient]:
    with TestClient(build(calls, clock)) as test_client:
        yield test_client


def test_a_public_answer_gets_an_etag_and_a_304(client: TestClient) -> None:
    first = client.get("/public/a")
    assert first.status_code == 200 and first.json() == {"code": "a", "value": "一"}
    assert first.headers["cache-control"] == "public, max-age=60"
    assert first.headers["etag"] == etag_of(first.content)
    again = client.get("/public/a", headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304 and again.content == b""
    assert again.headers["etag"] == first.headers["etag"]
    assert "content-type" not in again.headers and "content-length" not in again.headers


def test_a_public_answer_is_kept_for_a_second_per_url(
    client: TestClient, calls: Calls, clock: FakeClock
) -> None:
    first = client.get("/public/a")
    assert client.get("/public/a").content == first.content
    assert calls.count == 1
    client.get("/public/a?x=1")
    client.get("/public/b")
    assert calls.count == 3
    clock.now += 0.99
    client.get("/public/a")
    assert calls.count == 3
    clock.now += 0.02
    client.get("/public/a")
    assert calls.count == 4


def test_a_kept_answer_also_answers_if_none_match(client: TestClient, calls: Calls) -> None:
    etag = client.get("/public/a").headers["etag"]
    assert client.get("/public/a", headers={"If-None-Match": etag}).status_code == 304
    assert client.get("/public/a", headers={"If-None-Match": '"other"'}).status_code == 200
    assert calls.count == 1


def test_a_write_empties_the_cache_at_once(client: TestClient, calls: Calls) -> None:
    assert client.get("/public/a").json()["value"] == "一"
    client.post("/public/a")
    assert client.get("/public/a").json()["value"] == "二"
    assert calls.count == 2


def test_no_cache_requests_skip_the_kept_copy(client: TestClient, calls: Calls) -> None:
    client.get("/public/a")
    client.get("/public/a", headers={"Cache-Control": "no-cache"})
    assert calls.count == 2


@pytest.mark.parametrize("path", ["/personal", "/missing", "/brief"])
def test_personal_failed_and_max_age_zero_answers_are_never_kept(
    client: TestClient, calls: Calls, path: str
) -> None:
    first = client.get(path)
    second = client.get(path)
    assert calls.count == 2
    assert "etag" not in first.headers or path == "/brief"
    assert second.status_code == first.status_code


def test_nothing_is_kept_when_the_service_keeps_nothing(calls: Calls, clock: FakeClock) -> None:
    with TestClient(build(calls, clock, seconds=0)) as client:
        first = client.get("/public/a")
        second = client.get("/public/a", headers={"If-None-Match": first.headers["etag"]})
    assert second.status_code == 304 and calls.count == 2


def test_a_read_overtaken_by_a_write_is_not_kept(client: TestClient, calls: Calls) -> None:
    assert client.get("/overtaken").json() == {"count": 1}
    assert client.get("/overtaken").json() == {"count": 2}


def test_the_cache_holds_a_bounded_number_of_urls(clock: FakeClock) -> None:
    cache = ResponseCache(1.0, clock=clock)
    for n in range(MAX_ENTRIES + 10):
        cache.put((f"/{n}", b""), Entry([], b"", '"x"', clock.now + 1, None))
    assert len(cache.entries) == MAX_ENTRIES
    assert cache.get(("/0", b""))[0] is None
    assert cache.get((f"/{MAX_ENTRIES + 9}", b""))[0] is not None


def run_concurrently(middleware: HttpCacheMiddleware, count: int) -> list[int]:
    """`count` concurrent GETs of one URL through `middleware`: the status each got."""

    async def one() -> int:
        sent: list[Message] = []

        async def receive() -> Message:
            return {"type": "http.request", "body": b""}

        async def send(message: Message) -> None:
            sent.append(message)

        scope = {"type": "http", "method": "GET", "path": "/x", "query_string": b"", "headers": []}
        await middleware(scope, receive, send)
        return int(sent[0]["status"])

    async def all_of_them() -> list[int]:
        return list(await asyncio.gather(*(one() for _ in range(count))))

    return asyncio.run(all_of_them())


def test_requests_arriving_while_an_answer_is_renewed_wait_for_it(clock: FakeClock) -> None:
    reads = 0

    async def slow_app(scope: Scope, receive: Receive, send: Send) -> None:
        nonlocal reads
        reads += 1
        await asyncio.sleep(0.01)
        headers = [(b"cache-control", b"public, max-age=60"), (b"content-type", b"text/plain")]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": b"ok"})

    middleware = HttpCacheMiddleware(slow_app, ResponseCache(1.0, clock=clock))
    # The first time a URL is read, nothing says it is cacheable: every request reads.
    assert run_concurrently(middleware, 5) == [200] * 5 and reads == 5
    clock.now += 2
    assert run_concurrently(middleware, 5) == [200] * 5 and reads == 6
