"""The Open-Meteo importer, on recorded `/v1/forecast` daily responses (tests/fixtures)."""

import json
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from servicekit.db import make_engine
from servicekit.settings import SharedSettings
from weather.cli import main
from weather.clock import today_local
from weather.main import create_app
from weather.open_meteo import (
    OpenMeteoError,
    beaufort,
    compass,
    fetch,
    half_up,
    import_documents,
    issuance_body,
    parse_document,
)
from weather.reference import CITY, divisions
from weather.settings import WeatherSettings

FIXTURES = Path(__file__).parent / "fixtures"
CITY_FIXTURE = FIXTURES / "open_meteo_dongguan.json"
PAIR_FIXTURE = FIXTURES / "open_meteo_dalang_humen.json"


def city_document() -> dict[str, Any]:
    return json.loads(CITY_FIXTURE.read_text(encoding="utf-8"))


def test_fixture_becomes_an_issuance_matching_it() -> None:
    raw = city_document()
    body = issuance_body([("dongguan", raw)])
    daily = raw["daily"]
    (loc,) = body.locations
    assert body.forecast_date == date(2026, 11, 26)
    assert [str(d.date) for d in loc.days] == daily["time"]
    assert [d.temp_max_c for d in loc.days] == [half_up(t) for t in daily["temperature_2m_max"]]
    assert [d.temp_min_c for d in loc.days] == [half_up(t) for t in daily["temperature_2m_min"]]
    assert [d.temp_max_c for d in loc.days] == [25, 25, 22, 19, 23]
    assert [d.wmo_code for d in loc.days] == daily["weather_code"]
    assert [d.rain_mm for d in loc.days] == daily["precipitation_sum"]
    assert [d.rain_probability for d in loc.days] == daily["precipitation_probability_max"]
    assert [d.wind_direction for d in loc.days] == ["东北风", "东风", "东北风", "北风", "北风"]
    assert [d.wind_force for d in loc.days] == [2, 3, 3, 4, 3]
    assert [d.uv_index for d in loc.days] == [5, 4, 2, 2, 6]


def test_imported_issuance_serves_the_fixture_phenomena(seeded_database_url: str) -> None:
    engine = make_engine(seeded_database_url)
    try:
        with Session(engine) as session:
            issuance = import_documents(session=session, documents=[("dongguan", city_document())])
            assert (issuance.source, issuance.issued_by, issuance.version) == (
                "open-meteo",
                "system",
                1,
            )
    finally:
        engine.dispose()
    settings = WeatherSettings(database_url=seeded_database_url, shared=SharedSettings(env="dev"))
    with TestClient(create_app(settings)) as client:
        served = client.get("/v1/forecasts/dongguan", params={"date": "2026-11-26"}).json()
    assert served["source"] == "open-meteo" and served["issuance_id"] == issuance.id
    # 阴; a thunderstorm code on a dry day is cloudy; 小雨; 中雨 code with 28.4 mm is 大雨; 晴
    assert [d["text"] for d in served["days"]] == ["阴", "多云", "小雨", "大雨", "晴"]
    assert [d["temp_min_c"] for d in served["days"]] == [16, 18, 17, 15, 14]


def shifted(raw: Any, start: date) -> Any:
    """A recorded response with its days moved to start on `start`."""
    for doc in raw if isinstance(raw, list) else [raw]:
        doc["daily"]["time"] = [str(start + timedelta(n)) for n in range(len(doc["daily"]["time"]))]
    return raw


@pytest.mark.slow
def test_cli_imports_a_file_and_a_forecaster_overrides_it(
    seeded_database_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    forecaster: dict[str, str],
) -> None:
    monkeypatch.setenv("WEATHER_DATABASE_URL", seeded_database_url)
    monkeypatch.setenv("ENV", "dev")
    main(["import-open-meteo", "--file", str(CITY_FIXTURE), "--note", "每日导入"])
    assert "imported issuance 1 for 2026-11-26 (version 1, 1 locations)" in capsys.readouterr().out
    # Moved to today, so that the forecaster's override is within the issuing window.
    today = today_local()
    pair = tmp_path / "pair.json"
    pair.write_text(json.dumps(shifted(json.loads(PAIR_FIXTURE.read_text()), today)))
    main(["import-open-meteo", "--file", str(pair), "--location", "dalang", "--location", "humen"])
    assert f"imported issuance 2 for {today}" in capsys.readouterr().out

    with TestClient(create_app(WeatherSettings())) as client:
        issued = client.get("/v1/issuances/1").json()
        assert issued["source"] == "open-meteo" and issued["note"] == "每日导入"
        dalang = client.get("/v1/forecasts/dalang").json()
        assert dalang["source"] == "open-meteo" and dalang["issuance_id"] == 2
        assert dalang["days"][3]["text"] == "大雨"  # heavy rain (65) with 41.7 mm
        days = [
            {k: v for k, v in day.items() if k not in ("text", "wind_text")}
            | {"temp_max_c": day["temp_max_c"] + 1}
            for day in dalang["days"]
        ]
        override = {
            "forecast_date": str(today),
            "locations": [{"location": "dalang", "days": days}],
        }
        response = client.post("/v1/issuances", json=override, headers=forecaster)
        assert response.status_code == 201, response.text
        served = client.get("/v1/forecasts/dalang").json()
        assert served["source"] == "forecaster"
        assert served["issuance_version"] == dalang["issuance_version"] + 1
        assert served["days"][0]["temp_max_c"] == dalang["days"][0]["temp_max_c"] + 1
        assert client.get("/v1/forecasts/humen").json()["source"] == "open-meteo"


def test_cli_reports_a_failed_import(
    tmp_path: Path, seeded_database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WEATHER_DATABASE_URL", seeded_database_url)
    monkeypatch.setenv("ENV", "dev")
    bad = tmp_path / "error.json"
    bad.write_text('{"error": true, "reason": "Parameter \'latitude\' is out of range"}')
    with pytest.raises(SystemExit, match=r"Open-Meteo 返回错误.*out of range"):
        main(["import-open-meteo", "--file", str(bad)])
    with pytest.raises(SystemExit, match="未知的地点"):
        main(["import-open-meteo", "--file", str(CITY_FIXTURE), "--location", "atlantis"])


def _mutated(**changes: Any) -> dict[str, Any]:
    raw = city_document()
    for key, value in changes.items():
        if key in raw:
            raw[key] = value
        else:
            raw["daily"][key] = value
    return raw


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"error": True, "reason": "Cannot initialize WeatherVariable"}, "Cannot initialize"),
        ({"latitude": 23.0}, "不是 Open-Meteo 逐日预报的格式"),
        (_mutated(utc_offset_seconds=0), "Asia/Shanghai"),
        (_mutated(time=["2026-11-26", "2026-11-27", "2026-11-28", "2026-11-29"]), "长度不一致"),
        (_mutated(temperature_2m_max=[24.6, None, 21.8, 19.4, 22.5]), "不是 Open-Meteo"),
    ],
    ids=["upstream error", "wrong shape", "not local dates", "ragged columns", "null value"],
)
def test_unusable_documents_are_refused(raw: dict[str, Any], message: str) -> None:
    with pytest.raises(OpenMeteoError, match=message):
        parse_document(raw)


def test_too_few_days_and_out_of_range_values_are_refused() -> None:
    short = city_document()
    short["daily"] = {k: v[:4] for k, v in short["daily"].items()}
    with pytest.raises(OpenMeteoError, match="只有 4 天"):
        parse_document(short)
    with pytest.raises(OpenMeteoError, match="rain_probability"):
        issuance_body([("dongguan", _mutated(precipitation_probability_max=[8, 35, 68, 190, 5]))])


def test_unknown_wmo_code_is_refused_naming_the_field(seeded_database_url: str) -> None:
    engine = make_engine(seeded_database_url)
    try:
        with Session(engine) as session, pytest.raises(OpenMeteoError, match="wmo_code"):
            import_documents(
                session=session, documents=[("dongguan", _mutated(weather_code=[3, 4, 61, 63, 1]))]
            )
    finally:
        engine.dispose()


def test_fetch_asks_for_every_location_in_one_request() -> None:
    seen: list[httpx.Request] = []
    pair = json.loads(PAIR_FIXTURE.read_text(encoding="utf-8"))

    def upstream(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=pair)

    dalang, humen = (next(d for d in divisions() if d.code == c) for c in ("dalang", "humen"))
    documents = fetch(
        url="http://open-meteo.test/v1/forecast",
        locations=[dalang, humen],
        timeout=5,
        transport=httpx.MockTransport(upstream),
    )
    assert [code for code, _ in documents] == ["dalang", "humen"]
    params = seen[0].url.params
    assert params["latitude"] == "22.92,22.82" and params["longitude"] == "113.91,113.71"
    assert params["timezone"] == "Asia/Shanghai" and params["forecast_days"] == "5"
    assert "precipitation_probability_max" in params["daily"].split(",")


@pytest.mark.parametrize(
    ("response", "message"),
    [
        (httpx.Response(400, json={"error": True, "reason": "Latitude must be in range"}), "400"),
        (httpx.Response(502, text="<html>bad gateway</html>"), "不是 JSON"),
        (httpx.Response(200, json=[{}, {}]), "收到 2 个地点"),
    ],
)
def test_fetch_failures_are_import_errors(response: httpx.Response, message: str) -> None:
    with pytest.raises(OpenMeteoError, match=message):
        fetch(
            url="http://open-meteo.test/v1/forecast",
            locations=[CITY],
            timeout=5,
            transport=httpx.MockTransport(lambda request: response),
        )


@pytest.mark.parametrize(
    ("speed", "force"),
    [
        (0.0, 0),
        (0.29, 0),
        (0.3, 1),
        (3.3, 2),
        (5.4, 3),
        (5.5, 4),
        (10.8, 6),
        (32.7, 12),
        (37.0, 13),
        (56.0, 16),
        (61.3, 17),
        (80.0, 17),
    ],
)
def test_beaufort(speed: float, force: int) -> None:
    assert beaufort(speed) == force


@pytest.mark.parametrize(
    ("degrees", "name"),
    [
        (0, "北风"),
        (22.4, "北风"),
        (22.5, "东北风"),
        (90, "东风"),
        (180, "南风"),
        (225, "西南风"),
        (315, "西北风"),
        (359, "北风"),
        (None, "无持续风向"),
    ],
)
def test_compass(degrees: float | None, name: str) -> None:
    assert compass(degrees) == name


@pytest.mark.parametrize(("value", "rounded"), [(24.5, 25), (24.49, 24), (-0.5, -1), (3.0, 3)])
def test_half_up(value: float, rounded: int) -> None:
    assert half_up(value) == rounded
