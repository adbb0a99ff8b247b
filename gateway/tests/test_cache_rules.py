"""The response cache's pure rules: what may be cached, for how long, and when it is fresh."""

from __future__ import annotations

import pytest

from gateway.cache_rules import (
    Policy,
    RawHeaders,
    current_age,
    directives,
    etag_matches,
    is_fresh,
    kept_headers,
    request_may_use_cache,
    request_wants_revalidation,
    revalidated_policy,
    storage_policy,
)


def raw(*pairs: tuple[str, str]) -> RawHeaders:
    return tuple((k.encode(), v.encode()) for k, v in pairs)


PUBLIC_30 = ("cache-control", "public, max-age=30")
ETAG = ("etag", '"v1"')


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (["public, max-age=30"], {"public": None, "max-age": "30"}),
        (["Public", 'MAX-AGE="60"'], {"public": None, "max-age": "60"}),
        (["max-age=5, max-age=9"], {"max-age": "5"}),  # the first of a repeated directive
        (["", " , "], {}),
    ],
)
def test_directives(values: list[str], expected: dict[str, str | None]) -> None:
    assert directives(values) == expected


@pytest.mark.parametrize(
    ("method", "headers", "expected"),
    [
        ("GET", raw(), True),
        ("HEAD", raw(("accept-encoding", "br")), True),
        ("POST", raw(), False),
        ("DELETE", raw(), False),
        ("GET", raw(("authorization", "Bearer x")), False),
        ("GET", raw(("cookie", "sid=1")), False),
        ("GET", raw(("x-api-key", "k")), False),
        ("GET", raw(("cache-control", "no-store")), False),
        ("GET", raw(("cache-control", "no-cache")), True),  # revalidated, still cacheable
    ],
)
def test_request_may_use_cache(method: str, headers: RawHeaders, expected: bool) -> None:
    assert request_may_use_cache(method, headers) is expected


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        (raw(), False),
        (raw(("cache-control", "no-cache")), True),
        (raw(("cache-control", "max-age=0")), True),
        (raw(("cache-control", "max-age=10")), False),
        (raw(("pragma", "no-cache")), True),
    ],
)
def test_request_wants_revalidation(headers: RawHeaders, expected: bool) -> None:
    assert request_wants_revalidation(headers) is expected


@pytest.mark.parametrize(
    ("status", "headers", "expected"),
    [
        (200, raw(PUBLIC_30), Policy(30, None)),
        (200, raw(PUBLIC_30, ETAG), Policy(30, '"v1"')),
        (200, raw(("Cache-Control", "public, max-age=30, s-maxage=5")), Policy(5, None)),
        (200, raw(("cache-control", "public"), ETAG), Policy(0, '"v1"')),
        (200, raw(("cache-control", "public, no-cache, max-age=60"), ETAG), Policy(0, '"v1"')),
        (200, raw(PUBLIC_30, ("age", "12")), Policy(30, None, initial_age=12)),
        (200, raw(PUBLIC_30, ("vary", "Accept-Encoding")), Policy(30, None)),
        # not public, or forbidden to shared caches
        (200, raw(("cache-control", "max-age=30")), None),
        (200, raw(("cache-control", "public, private, max-age=30")), None),
        (200, raw(("cache-control", "public, no-store, max-age=30")), None),
        (200, raw(), None),
        # personal or varying answers
        (200, raw(PUBLIC_30, ("set-cookie", "sid=1")), None),
        (200, raw(PUBLIC_30, ("vary", "Accept-Encoding, Authorization")), None),
        (200, raw(PUBLIC_30, ("vary", "*")), None),
        # an encoded body would be served to clients that did not ask for its coding
        (200, raw(PUBLIC_30, ("content-encoding", "gzip")), None),
        # nothing to keep it fresh by or revalidate it with
        (200, raw(("cache-control", "public, max-age=0")), None),
        (200, raw(("cache-control", "public, max-age=soon")), None),
        # errors and other statuses are never kept
        (404, raw(PUBLIC_30, ETAG), None),
        (206, raw(PUBLIC_30, ETAG), None),
        (500, raw(PUBLIC_30), None),
    ],
)
def test_storage_policy(status: int, headers: RawHeaders, expected: Policy | None) -> None:
    assert storage_policy(status, headers) == expected


@pytest.mark.parametrize(
    ("policy", "stored_at", "now", "age", "fresh"),
    [
        (Policy(30, None), 1000.0, 1000.0, 0, True),
        (Policy(30, None), 1000.0, 1029.9, 29, True),
        (Policy(30, None), 1000.0, 1030.0, 30, False),
        (Policy(30, None, initial_age=25), 1000.0, 1005.0, 30, False),
        (Policy(0, '"v1"'), 1000.0, 1000.0, 0, False),  # always revalidated
        (Policy(30, None), 1000.0, 990.0, 0, True),  # a clock stepping back ages nothing
    ],
)
def test_freshness(policy: Policy, stored_at: float, now: float, age: int, fresh: bool) -> None:
    assert current_age(policy, stored_at, now) == age
    assert is_fresh(policy, stored_at, now) is fresh


@pytest.mark.parametrize(
    ("if_none_match", "etag", "expected"),
    [
        ('"v1"', '"v1"', True),
        ('W/"v1"', '"v1"', True),  # the compression middleware's weak form
        ('"v0", "v1"', '"v1"', True),
        ("*", '"v1"', True),
        ('"v2"', '"v1"', False),
        ('"v1"', 'W/"v1"', True),
    ],
)
def test_etag_matches(if_none_match: str, etag: str, expected: bool) -> None:
    assert etag_matches(if_none_match, etag) is expected


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        (raw(("cache-control", "public, max-age=60")), Policy(60, '"v1"')),
        (raw(("etag", '"v2"')), Policy(30, '"v2"')),
        (raw(), Policy(30, '"v1"')),
        (raw(("age", "3")), Policy(30, '"v1"', initial_age=3)),
    ],
)
def test_revalidated_policy(headers: RawHeaders, expected: Policy) -> None:
    assert revalidated_policy(Policy(30, '"v1"', initial_age=7), headers) == expected


def test_kept_headers_drop_what_describes_one_delivery() -> None:
    headers = raw(
        ("Content-Type", "application/json"),
        ("Date", "x"),
        ("Age", "3"),
        ("X-Request-ID", "abc"),
        ("ETag", '"v1"'),
    )
    assert kept_headers(headers) == raw(("content-type", "application/json"), ("etag", '"v1"'))
