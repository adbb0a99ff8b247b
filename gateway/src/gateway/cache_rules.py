"""The response cache's rules (RFC 9111 for a shared cache), as pure functions of headers and
times: which requests may be answered from the cache, which answers may be kept and for how long,
and when a kept answer is still fresh.

Only what a service marks `Cache-Control: public` with a lifetime (`s-maxage` / `max-age`) or an
ETag to revalidate with is kept, and never anything personal: a request carrying credentials or
cookies neither reads nor fills the cache, and an answer that sets a cookie, says `private` /
`no-store` or varies on anything but Accept-Encoding is not kept. Kept bodies are identity ones
(no Content-Encoding), so one entry serves every Accept-Encoding: the gateway's compression
middleware encodes each answer for its client.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

RawHeaders = tuple[tuple[bytes, bytes], ...]

CACHEABLE_METHODS = frozenset({"GET", "HEAD"})
# Request headers that make a request someone's: its answer may be theirs alone.
PERSONAL_REQUEST_HEADERS = frozenset(
    {b"authorization", b"cookie", b"x-api-key", b"proxy-authorization"}
)
# Answer headers a kept entry does not replay: they describe one delivery, not the content.
UNKEPT_RESPONSE_HEADERS = frozenset({b"age", b"date", b"x-request-id", b"set-cookie"})


@dataclass(frozen=True)
class Policy:
    """How long an answer stays fresh, and the validator to revalidate it with once stale."""

    max_age: int
    etag: str | None
    # Age the answer already had when it reached the gateway (its Age header).
    initial_age: int = 0


def directives(values: Iterable[str]) -> dict[str, str | None]:
    """Cache-Control directives (lower-cased names; quoted values unquoted), several headers
    joined as one list."""
    parsed: dict[str, str | None] = {}
    for value in values:
        for item in value.split(","):
            name, sep, argument = item.partition("=")
            name = name.strip().lower()
            if name:
                parsed.setdefault(name, argument.strip().strip('"') if sep else None)
    return parsed


def _seconds(value: str | None) -> int | None:
    return int(value) if value is not None and value.isdigit() else None


def _lifetime(control: dict[str, str | None]) -> int | None:
    """Seconds a shared cache may serve an answer unchecked; None when the answer sets none."""
    if "no-cache" in control:
        return 0
    shared = _seconds(control.get("s-maxage"))
    return shared if shared is not None else _seconds(control.get("max-age"))


def _initial_age(headers: RawHeaders) -> int:
    ages = _values(headers, b"age")
    return _seconds(ages[0] if ages else None) or 0


def _values(headers: RawHeaders, name: bytes) -> list[str]:
    return [v.decode("latin-1") for k, v in headers if k.lower() == name]


def request_may_use_cache(method: str, headers: Iterable[tuple[bytes, bytes]]) -> bool:
    """Whether a request may be answered from the cache and its answer kept: a GET or HEAD
    without credentials or cookies, not asking `no-store`. (uvicorn's header names are lower
    case.)"""
    if method not in CACHEABLE_METHODS:
        return False
    control: list[str] = []
    for name, value in headers:
        if name in PERSONAL_REQUEST_HEADERS:
            return False
        if name == b"cache-control":
            control.append(value.decode("latin-1"))
    return "no-store" not in directives(control)


def request_wants_revalidation(headers: Iterable[tuple[bytes, bytes]]) -> bool:
    """Whether the client asked for an answer checked with the service (`no-cache`,
    `max-age=0` or `Pragma: no-cache`), not served from the cache as it is."""
    control: list[str] = []
    for name, value in headers:
        if name == b"cache-control":
            control.append(value.decode("latin-1"))
        elif name == b"pragma" and b"no-cache" in value.lower():
            return True
    asked = directives(control)
    return "no-cache" in asked or asked.get("max-age") == "0"


def _varies_only_on_encoding(headers: RawHeaders) -> bool:
    fields = {
        field.strip().lower() for value in _values(headers, b"vary") for field in value.split(",")
    }
    return fields <= {"", "accept-encoding"}


def storage_policy(status: int, headers: RawHeaders) -> Policy | None:
    """How an upstream answer to a cacheable GET may be kept; None when it may not be.

    Kept: a 200 the service marks `public` with a positive `s-maxage` / `max-age`, or with an
    ETag (then revalidated before each use once its lifetime, possibly 0, is over), whose body is
    identity, that sets no cookie and varies on nothing but Accept-Encoding."""
    if status != 200:
        return None
    control = directives(_values(headers, b"cache-control"))
    if "public" not in control or "private" in control or "no-store" in control:
        return None
    if _values(headers, b"set-cookie") or _values(headers, b"content-encoding"):
        return None
    if not _varies_only_on_encoding(headers):
        return None
    lifetime = _lifetime(control)
    etags = _values(headers, b"etag")
    etag = etags[0] if etags else None
    if not lifetime and etag is None:
        return None
    return Policy(max_age=lifetime or 0, etag=etag, initial_age=_initial_age(headers))


def current_age(policy: Policy, stored_at: float, now: float) -> int:
    """An entry's age in whole seconds (RFC 9111 §4.2.3, the gateway being one hop away)."""
    return policy.initial_age + max(0, int(now - stored_at))


def is_fresh(policy: Policy, stored_at: float, now: float) -> bool:
    """Whether an entry kept at `stored_at` may still be served without asking the service."""
    return current_age(policy, stored_at, now) < policy.max_age


def etag_matches(if_none_match: str, etag: str) -> bool:
    """Whether an If-None-Match value names `etag`, compared weakly (RFC 9110 §13.1.2): the
    compression middleware hands clients a weak form of the service's strong ETag."""
    if if_none_match.strip() == "*":
        return True
    wanted = etag.removeprefix("W/")
    return any(tag.strip().removeprefix("W/") == wanted for tag in if_none_match.split(","))


def kept_headers(headers: RawHeaders) -> RawHeaders:
    """The answer headers an entry keeps and replays (lower-cased names)."""
    return tuple(
        (name.lower(), value)
        for name, value in headers
        if name.lower() not in UNKEPT_RESPONSE_HEADERS
    )


def revalidated_policy(old: Policy, headers: RawHeaders) -> Policy:
    """An entry's policy after a 304: the service's new lifetime and validator where it sent
    them (RFC 9111 §4.3.4), the old ones where not."""
    lifetime = _lifetime(directives(_values(headers, b"cache-control")))
    etags = _values(headers, b"etag")
    return Policy(
        max_age=old.max_age if lifetime is None else lifetime,
        etag=etags[0] if etags else old.etag,
        initial_age=_initial_age(headers),
    )
