"""Forecast issuance by forecasters: validation, versions, what the public endpoints serve."""

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from servicekit.audit import Actor
from servicekit.db import make_engine
from servicekit.testing import mint_token, service_headers
from weather.clock import today_local
from weather.issuances import create_issuance
from weather.models import IssuanceCreate


def issued_days(start: date, **overrides: Any) -> list[dict[str, Any]]:
    """Five valid days from `start`; `overrides` apply to every day."""
    return [
        {
            "date": str(start + timedelta(n)),
            "day_code": "01",
            "night_code": "07",
            "temp_min_c": 16 + n,
            "temp_max_c": 24 + n,
            "rain_mm": 3.5,
            "rain_probability": 70,
            "wind_direction": "东北风",
            "wind_force": 3,
            "uv_index": 4,
        }
        | overrides
        for n in range(5)
    ]


def issuance(*codes: str, start: date | None = None) -> dict[str, Any]:
    start = start or today_local()
    return {
        "forecast_date": str(start),
        "locations": [{"location": code, "days": issued_days(start)} for code in codes],
        "note": "测试",
    }


def test_issued_forecast_is_served_and_says_so(
    client: TestClient, forecaster: dict[str, str]
) -> None:
    before = client.get("/v1/forecasts/dalang").json()
    assert before["source"] == "synthetic" and before["issuance_id"] is None
    response = client.post("/v1/issuances", json=issuance("dalang"), headers=forecaster)
    assert response.status_code == 201, response.text
    issued = response.json()
    assert issued["version"] == 1 and issued["source"] == "forecaster"
    assert issued["locations"] == ["dalang"]
    assert issued["forecasts"][0]["days"][0]["text"] == "多云转小雨"

    served = client.get("/v1/forecasts/dalang").json()
    assert served["source"] == "forecaster"
    assert (served["issuance_id"], served["issuance_version"]) == (issued["id"], 1)
    assert served["issued_at"] == issued["issued_at"] and served["issued_at"].endswith("+08:00")
    assert [d["temp_max_c"] for d in served["days"]] == [24, 25, 26, 27, 28]
    assert served["days"][0]["wind_text"] == "东北风3级"
    # Other locations keep the synthetic forecast.
    assert client.get("/v1/forecasts/humen").json()["source"] == "synthetic"


def test_latest_version_is_served_per_location_and_old_ones_stay_readable(
    client: TestClient, forecaster: dict[str, str]
) -> None:
    first = client.post("/v1/issuances", json=issuance("dalang", "humen"), headers=forecaster)
    correction = issuance("dalang")
    correction["locations"][0]["days"][0]["temp_max_c"] = 30
    second = client.post("/v1/issuances", json=correction, headers=forecaster)
    assert (first.json()["version"], second.json()["version"]) == (1, 2)

    dalang = client.get("/v1/forecasts/dalang").json()
    assert dalang["issuance_version"] == 2 and dalang["days"][0]["temp_max_c"] == 30
    humen = client.get("/v1/forecasts/humen").json()
    assert humen["issuance_version"] == 1  # version 2 does not cover humen

    listed = client.get("/v1/issuances", params={"forecast_date": str(today_local())}).json()
    assert listed["total"] == 2 and [i["version"] for i in listed["items"]] == [2, 1]
    old = client.get(f"/v1/issuances/{first.json()['id']}").json()
    assert old["locations"] == ["dalang", "humen"]
    assert old["forecasts"][0]["days"][0]["temp_max_c"] == 24
    assert client.get("/v1/issuances/9999").status_code == 404


def test_the_city_and_all_33_locations_in_one_issuance(
    client: TestClient, forecaster: dict[str, str]
) -> None:
    codes = [i["code"] for i in client.get("/v1/locations", params={"limit": 100}).json()["items"]]
    response = client.post("/v1/issuances", json=issuance("dongguan", *codes), headers=forecaster)
    assert response.status_code == 201
    assert len(response.json()["locations"]) == 34
    assert response.json()["locations"][0] == "dongguan"
    assert client.get("/v1/forecasts/dongguan").json()["source"] == "forecaster"


def test_a_wmo_code_is_accepted_and_corrected_by_the_amount(
    client: TestClient, forecaster: dict[str, str]
) -> None:
    body = issuance("dalang")
    body["locations"][0]["days"] = issued_days(
        today_local(), day_code=None, night_code=None, wmo_code=95, rain_mm=0.0
    )
    response = client.post("/v1/issuances", json=body, headers=forecaster)
    assert response.status_code == 201, response.text
    day = response.json()["forecasts"][0]["days"][0]
    assert (day["text"], day["day_code"]) == ("多云", "01")  # no thunderstorm on a dry day


def _break(path: list[Any], value: Any) -> dict[str, Any]:
    body = issuance("dalang")
    target: Any = body
    for key in path[:-1]:
        target = target[key]
    if value is _DELETE:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return body


_DELETE = object()
DAY0 = ["locations", 0, "days", 0]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (_break([*DAY0, "temp_min_c"], 30), "locations.0.days.0.temp_min_c"),
        (_break([*DAY0, "rain_probability"], 120), "locations.0.days.0.rain_probability"),
        (_break([*DAY0, "rain_probability"], -1), "locations.0.days.0.rain_probability"),
        (_break(["locations", 0, "days", 4], _DELETE), "locations.0.days"),
        (_break(["locations", 0, "location"], "atlantis"), "locations.0.location"),
        (_break([*DAY0, "day_code"], "99"), "locations.0.days.0.day_code"),
        (_break([*DAY0, "night_code"], "06"), "locations.0.days.0.night_code"),
        (_break([*DAY0, "wmo_code"], 3), "locations.0.days.0.day_code"),  # both given
        (_break([*DAY0, "wind_direction"], "东东风"), "locations.0.days.0.wind_direction"),
        (_break([*DAY0, "date"], "2001-01-01"), "locations.0.days"),
        (_break(["locations"], []), "locations"),
        (_break(["forecast_date"], "1999-01-01"), "forecast_date"),
    ],
    ids=[
        "min above max",
        "probability 120",
        "negative probability",
        "4 days",
        "unknown town",
        "unknown code",
        "unknown night code",
        "two codes",
        "unknown wind direction",
        "wrong day",
        "no location",
        "date out of range",
    ],
)
def test_invalid_issuance_is_a_422_naming_the_field(
    client: TestClient, forecaster: dict[str, str], body: dict[str, Any], field: str
) -> None:
    response = client.post("/v1/issuances", json=body, headers=forecaster)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert field in [e["field"] for e in problem["errors"]]
    assert problem["detail"]
    assert client.get("/v1/issuances").json()["total"] == 0


def test_duplicate_location_and_unknown_wmo_code(
    client: TestClient, forecaster: dict[str, str]
) -> None:
    body = issuance("dalang", "dalang")
    body["locations"][1]["days"][2]["day_code"] = None
    body["locations"][1]["days"][2]["wmo_code"] = 4
    problem = client.post("/v1/issuances", json=body, headers=forecaster).json()
    fields = {e["field"] for e in problem["errors"]}
    assert fields == {"locations.1.location", "locations.1.days.2.wmo_code"}


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        (lambda: {}, 401),
        (lambda: mint_token("weather", "c-1"), 403),
        (lambda: mint_token("weather", "c-1", ["forecaster"]), 403),
        (lambda: mint_token("weather", "staff-lin", ["registry_admin"], kind="staff"), 403),
        (lambda: service_headers("accounts", "weather"), 403),
        (lambda: mint_token("accounts", "staff-wu", ["forecaster"], kind="staff"), 401),
    ],
    ids=["anonymous", "citizen", "citizen claiming the role", "other role", "service", "audience"],
)
def test_only_forecasters_issue(
    client: TestClient, headers: Callable[[], dict[str, str]], status: int
) -> None:
    # Minted in the test, not at collection: internal tokens live 60 s, a whole run longer.
    headers = headers()
    response = client.post("/v1/issuances", json=issuance("dalang"), headers=headers)
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
    assert client.get("/v1/issuances").json()["total"] == 0


def test_issuances_are_audited(client: TestClient, forecaster: dict[str, str]) -> None:
    created = client.post(
        "/v1/issuances", json=issuance("dalang"), headers=forecaster | {"X-Request-ID": "req-42"}
    ).json()
    entries = client.get("/v1/audit", headers=forecaster).json()["items"]
    assert [(e["actor"], e["entity"], e["entity_id"], e["request_id"]) for e in entries] == [
        ("staff-wu", "issuance", str(created["id"]), "req-42")
    ]
    assert entries[0]["at"].endswith("+08:00")
    assert client.get("/v1/audit").status_code == 401


def test_simultaneous_issuances_for_a_date_get_distinct_versions(seeded_database_url: str) -> None:
    engine = make_engine(seeded_database_url)
    start = threading.Barrier(4)

    def issue(n: int) -> int:
        with Session(engine) as session:
            start.wait()
            body = IssuanceCreate.model_validate(issuance("dalang"))
            actor = Actor(subject=f"staff-{n}")
            return create_issuance(
                session=session, body=body, source="forecaster", actor=actor
            ).version

    try:
        with ThreadPoolExecutor(max_workers=4) as pool:
            versions = sorted(pool.map(issue, range(4)))
    finally:
        engine.dispose()
    assert versions == [1, 2, 3, 4]
