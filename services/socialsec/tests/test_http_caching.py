"""Public, non-personal GETs are marked cacheable (for the gateway's cache and clients) and
answer If-None-Match with 304; personal ones never are."""

import pytest
from fastapi.testclient import TestClient

from servicekit.contract_checks import assert_never_cacheable, assert_public_get_is_cacheable
from servicekit.http_cache import REFERENCE_MAX_AGE
from servicekit.testing import mint_token

PUBLIC_GETS = [
    ("/v1/offices", REFERENCE_MAX_AGE),
    ("/v1/offices/dalang", REFERENCE_MAX_AGE),
    ("/v1/faq?limit=5", REFERENCE_MAX_AGE),
    ("/v1/rates", REFERENCE_MAX_AGE),
]
PERSONAL_GETS = ["/v1/me/bindings"]


@pytest.mark.parametrize(("path", "max_age"), PUBLIC_GETS)
def test_public_gets_are_cacheable_and_conditional(
    client: TestClient, path: str, max_age: int
) -> None:
    assert_public_get_is_cacheable(client, path, max_age)


@pytest.mark.parametrize("path", PERSONAL_GETS)
def test_personal_gets_are_never_marked_cacheable(client: TestClient, path: str) -> None:
    response = client.get(path, headers=mint_token("socialsec"))
    assert_never_cacheable(response)
