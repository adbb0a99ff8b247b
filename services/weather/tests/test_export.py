"""Weather's part of a citizen's data export: it holds nothing personal and says so."""

from fastapi.testclient import TestClient

from servicekit.answers import CITIZEN_HEADER
from servicekit.testing import mint_token, service_headers


def test_weather_holds_nothing_of_a_citizen(client: TestClient) -> None:
    citizen = mint_token("weather", "c-0123456789abcdef")["Authorization"]
    headers = {**service_headers("gateway", "weather"), CITIZEN_HEADER: citizen}
    answer = client.get("/v1/internal/export", headers=headers)
    assert answer.status_code == 200 and answer.json() == {}


def test_only_the_gateway_asks_and_only_for_a_citizen(client: TestClient) -> None:
    citizen = mint_token("weather", "c-0123456789abcdef")
    assert client.get("/v1/internal/export", headers=citizen).status_code == 403
    gateway = service_headers("gateway", "weather")
    assert client.get("/v1/internal/export", headers=gateway).status_code == 401
