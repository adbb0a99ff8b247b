from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from fastapi.testclient import TestClient

from servicekit.contract_checks import assert_suite_conventions
from servicekit.testing import seed_database
from weather.seed import seed


def test_lists_the_33_locations(client: TestClient) -> None:
    body = client.get("/v1/locations", params={"limit": 100}).json()
    assert body["total"] == 33
    codes = {item["code"] for item in body["items"]}
    assert {"dalang", "guancheng", "songshanhu"} <= codes
    assert len(codes) == 33


def test_locations_are_paged_and_limit_is_capped(client: TestClient) -> None:
    first = client.get("/v1/locations", params={"limit": 5}).json()
    second = client.get("/v1/locations", params={"limit": 5, "offset": 5}).json()
    assert len(first["items"]) == 5 and len(second["items"]) == 5
    assert not {i["code"] for i in first["items"]} & {i["code"] for i in second["items"]}
    assert len(client.get("/v1/locations", params={"limit": 500}).json()["items"]) == 33


def test_forecast_has_five_days_from_today(client: TestClient) -> None:
    body = client.get("/v1/forecasts/dalang").json()
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date()
    assert body["location"]["name"] == "大朗镇"
    assert [d["date"] for d in body["days"]] == [str(today + timedelta(n)) for n in range(5)]
    assert body["issued_at"].endswith("+08:00")
    for day in body["days"]:
        assert day["temp_min_c"] <= day["temp_max_c"]
        assert 0 <= day["rain_probability"] <= 100
        assert day["text"] and day["wind_text"].endswith("级")


def test_city_forecast(client: TestClient) -> None:
    body = client.get("/v1/forecasts/dongguan").json()
    assert body["location"]["name"] == "东莞市"
    assert len(body["days"]) == 5


def test_unknown_location_is_a_chinese_problem(client: TestClient) -> None:
    response = client.get("/v1/forecasts/atlantis")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["status"] == 404 and "未找到地点" in problem["detail"]


def test_seed_is_idempotent(client: TestClient, seeded_database_url: str) -> None:
    before = client.get("/v1/locations", params={"limit": 100}).json()
    assert seed_database(seeded_database_url, seed) == "weather: 33 locations"
    assert client.get("/v1/locations", params={"limit": 100}).json() == before


def test_follows_the_suite_conventions(client: TestClient) -> None:
    assert_suite_conventions(client, "/v1/locations")
