"""Public, non-personal GETs are marked cacheable (for the gateway's cache and clients) and
answer If-None-Match with 304; personal ones never are."""

import pytest
from fastapi.testclient import TestClient

from servicekit.http_cache import LIVE_MAX_AGE, REFERENCE_MAX_AGE
from servicekit.testing import mint_token

PUBLIC_GETS = [
    ("/v1/violation-codes", REFERENCE_MAX_AGE),
    ("/v1/violation-codes/1625", REFERENCE_MAX_AGE),
    ("/v1/guides?limit=5", REFERENCE_MAX_AGE),
    ("/v1/road-conditions?limit=5", LIVE_MAX_AGE),
]
PERSONAL_GETS = ["/v1/me/bindings", "/v1/me/appointments"]


@pytest.mark.parametrize(("path", "max_age"), PUBLIC_GETS)
def test_public_gets_are_cacheable_and_conditional(
    client: TestClient, path: str, max_age: int
) -> None:
    first = client.get(path)
    assert first.status_code == 200, first.text
    assert first.headers["cache-control"] == f"public, max-age={max_age}"
    etag = first.headers["etag"]
    conditional = client.get(path, headers={"If-None-Match": etag})
    assert conditional.status_code == 304 and conditional.content == b""
    assert conditional.headers["etag"] == etag
    assert client.get(path, headers={"If-None-Match": '"stale"'}).json() == first.json()


@pytest.mark.parametrize("path", PERSONAL_GETS)
def test_personal_gets_are_never_marked_cacheable(client: TestClient, path: str) -> None:
    response = client.get(path, headers=mint_token("traffic"))
    assert response.status_code == 200, response.text
    assert "public" not in response.headers.get("cache-control", "")
    assert "etag" not in response.headers
