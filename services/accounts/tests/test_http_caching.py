"""Public, non-personal GETs are marked cacheable (for the gateway's cache and clients) and
answer If-None-Match with 304; personal ones never are."""

import pytest
from fastapi.testclient import TestClient

from accounts.routes.rankings import RANKING_MAX_AGE
from servicekit.contract_checks import assert_never_cacheable, assert_public_get_is_cacheable
from servicekit.http_cache import LIVE_MAX_AGE
from servicekit.testing import mint_token, service_headers

PUBLIC_GETS = [
    ("/v1/accounts", LIVE_MAX_AGE),
    ("/v1/accounts/lxdl", LIVE_MAX_AGE),
    ("/v1/rankings", RANKING_MAX_AGE),
]
PERSONAL_GETS = ["/v1/me/consents"]


@pytest.mark.parametrize(("path", "max_age"), PUBLIC_GETS)
def test_public_gets_are_cacheable_and_conditional(
    client: TestClient, path: str, max_age: int
) -> None:
    assert_public_get_is_cacheable(client, path, max_age)


@pytest.mark.parametrize("path", PERSONAL_GETS)
def test_personal_gets_are_never_marked_cacheable(client: TestClient, path: str) -> None:
    body = {"account_code": "dgjj", "openid": "oJJ-cache-0001", "unionid": "o6_cache-0001"}
    resolved = client.post(
        "/v1/internal/citizens/resolve", json=body, headers=service_headers("gateway", "accounts")
    )
    response = client.get(path, headers=mint_token("accounts", resolved.json()["citizen_id"]))
    assert_never_cacheable(response)
