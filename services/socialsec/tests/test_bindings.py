"""The consent-withdrawal contract: accounts deletes a citizen's bindings here."""

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from servicekit.testing import mint_token, service_headers

PATH = "/v1/internal/citizens/c-0123456789abcdef/bindings"


def test_accounts_deletes_a_citizens_bindings(client: TestClient) -> None:
    response = client.delete(PATH, headers=service_headers("accounts", "socialsec"))
    assert response.status_code == 204
    assert response.content == b""


def test_deleting_twice_is_still_204(client: TestClient) -> None:
    for _ in range(2):
        assert (
            client.delete(PATH, headers=service_headers("accounts", "socialsec")).status_code == 204
        )


# Factories, not headers: tokens live 60 s, and collection may run long before the test.
@pytest.mark.parametrize(
    "headers",
    [
        lambda: mint_token("socialsec", "c-0123456789abcdef"),
        lambda: mint_token("socialsec", "staff-1", roles=["socialsec_officer"], kind="staff"),
        lambda: service_headers("gateway", "socialsec"),
        lambda: service_headers("weather", "socialsec"),
    ],
    ids=["citizen", "staff", "gateway", "weather"],
)
def test_only_accounts_may_call(client: TestClient, headers: Callable[[], dict[str, str]]) -> None:
    response = client.delete(PATH, headers=headers())
    assert response.status_code == 403
    assert response.headers["content-type"] == "application/problem+json"


def test_without_a_token_is_401(client: TestClient) -> None:
    response = client.delete(PATH)
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"


def test_a_token_for_another_service_is_401(client: TestClient) -> None:
    response = client.delete(PATH, headers=service_headers("accounts", "weather"))
    assert response.status_code == 401
