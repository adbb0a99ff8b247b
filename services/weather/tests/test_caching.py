"""Public GETs carry ETag and Cache-Control; a conditional GET with the current ETag is a 304."""

import pytest
from fastapi.testclient import TestClient

from servicekit.http_cache import REFERENCE_MAX_AGE, etag_matches, etag_of
from weather.caching import FORECAST_MAX_AGE
from weather.clock import today_local

TAG = '"abc"'


@pytest.mark.parametrize(
    ("header", "matches"),
    [
        (None, False),
        ("", False),
        ('"abc"', True),
        ('W/"abc"', True),
        ('"xyz", "abc"', True),
        ('"xyz"', False),
        ("*", True),
        ("abc", False),
    ],
)
def test_if_none_match(header: str | None, matches: bool) -> None:
    assert etag_matches(header, TAG) is matches


def test_etags_are_strong_and_follow_the_content() -> None:
    assert etag_of(b"a") == etag_of(b"a") != etag_of(b"b")
    assert etag_of(b"a").startswith('"') and not etag_of(b"a").startswith("W/")


PUBLIC_GETS = [
    "/v1/locations",
    "/v1/forecasts/dalang",
    "/v1/forecasts/dongguan",
    "/v1/indices/dalang",
    "/v1/warnings",
    "/v1/warnings/history",
    "/v1/issuances",
    "/v1/bulletins/2026-01-01",
]


@pytest.mark.parametrize("path", PUBLIC_GETS)
def test_public_gets_are_cacheable_and_conditional(client: TestClient, path: str) -> None:
    first = client.get(path)
    assert first.status_code == 200, first.text
    etag = first.headers["etag"]
    assert first.headers["cache-control"].startswith("public, max-age=")
    assert client.get(path).headers["etag"] == etag  # stable while nothing changes
    conditional = client.get(path, headers={"If-None-Match": etag})
    assert conditional.status_code == 304 and conditional.content == b""
    assert conditional.headers["etag"] == etag
    assert client.get(path, headers={"If-None-Match": '"stale"'}).status_code == 200


@pytest.mark.parametrize(
    ("path", "max_age"),
    [
        ("/v1/warnings", FORECAST_MAX_AGE),
        ("/v1/forecasts/dalang", FORECAST_MAX_AGE),
        ("/v1/indices/dalang", FORECAST_MAX_AGE),
        ("/v1/locations", REFERENCE_MAX_AGE),
    ],
)
def test_signals_and_what_carries_them_are_kept_half_a_minute(
    client: TestClient, path: str, max_age: int
) -> None:
    assert FORECAST_MAX_AGE == 30
    assert client.get(path).headers["cache-control"] == f"public, max-age={max_age}"


def test_the_etag_changes_with_an_issuance_and_with_a_signal(
    client: TestClient, forecaster: dict[str, str]
) -> None:
    etag = client.get("/v1/forecasts/dalang").headers["etag"]
    signal = {"hazard": "fog", "colour": "yellow", "area": "dalang"}
    assert client.post("/v1/warnings", json=signal, headers=forecaster).status_code == 201
    after_signal = client.get("/v1/forecasts/dalang", headers={"If-None-Match": etag})
    assert after_signal.status_code == 200 and after_signal.headers["etag"] != etag

    forecast = after_signal.json()
    days = [
        {k: v for k, v in d.items() if k not in ("text", "wind_text")} for d in forecast["days"]
    ]
    body = {
        "forecast_date": str(today_local()),
        "locations": [{"location": "dalang", "days": days}],
    }
    assert client.post("/v1/issuances", json=body, headers=forecaster).status_code == 201
    after_issue = client.get(
        "/v1/forecasts/dalang", headers={"If-None-Match": after_signal.headers["etag"]}
    )
    assert after_issue.status_code == 200 and after_issue.json()["source"] == "forecaster"
