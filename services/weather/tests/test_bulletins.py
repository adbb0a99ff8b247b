"""The daily bulletin: written by the duty forecaster, or drafted after 15:45; at most 140 chars."""

from datetime import date, datetime, time, timedelta

import pytest
from fastapi.testclient import TestClient

from servicekit.clock import SHANGHAI
from servicekit.testing import mint_token
from weather.bulletins import MAX_LENGTH, draft_text
from weather.clock import today_local
from weather.models import DailyForecast, WarningPublic
from weather.reference import CITY
from weather.synthetic import synthetic_forecast

START = date(2026, 7, 1)
DAYS = synthetic_forecast(division=CITY, start=START)


def warning(name: str, area_name: str = "东莞市") -> WarningPublic:
    return WarningPublic(
        id=1,
        name=name,
        hazard="rainstorm",
        hazard_name="暴雨",
        colour="orange",
        colour_name="橙色",
        area="dongguan",
        area_name=area_name,
        issued_at="2026-07-01T10:00:00+08:00",
        updated_at="2026-07-01T10:00:00+08:00",
        lifted_at=None,
    )


def day(n: int, text: str = "多云转雷阵雨") -> DailyForecast:
    return DAYS[n].model_copy(update={"text": text})


@pytest.mark.parametrize(
    ("warnings", "days", "starts", "contains"),
    [
        ([], DAYS, "东莞市今天", ["明天", "后天"]),
        ([warning("暴雨橙色预警信号")], DAYS, "【预警】东莞市暴雨橙色预警信号生效中", ["今天"]),
        (
            [warning("暴雨橙色预警信号"), warning("雷雨大风黄色预警信号", "大朗镇")],
            DAYS,
            "【预警】东莞市暴雨橙色预警信号、大朗镇雷雨大风黄色预警信号生效中",
            [],
        ),
        (
            [warning(f"暴雨橙色预警信号{n}", "望牛墩镇") for n in range(12)],
            DAYS,
            "【预警】望牛墩镇暴雨橙色预警信号0",
            ["等12个预警信号生效中"],
        ),
        ([], [day(n, "雷阵雨伴有冰雹转特大暴雨") for n in range(5)], "东莞市今天雷阵雨", []),
    ],
    ids=["no signal", "one signal first", "two signals", "many signals", "long texts"],
)
def test_draft_leads_with_warnings_and_fits_140(
    warnings: list[WarningPublic], days: list[DailyForecast], starts: str, contains: list[str]
) -> None:
    text = draft_text(place="东莞市", bulletin_date=START, days=days, warnings=warnings)
    assert text.startswith(starts)
    assert len(text) <= MAX_LENGTH
    for part in contains:
        assert part in text


def test_draft_names_the_first_day_fully() -> None:
    first = DAYS[0]
    text = draft_text(place="东莞市", bulletin_date=START, days=DAYS, warnings=[])
    assert text.startswith(
        f"东莞市今天{first.text}，{first.temp_min_c}～{first.temp_max_c}℃，"
        f"降水概率{first.rain_probability}%，{first.wind_text}。"
    )


def test_written_bulletin_is_served(client: TestClient, forecaster: dict[str, str]) -> None:
    today = str(today_local())
    text = "今天多云，午后有雷阵雨，外出请带伞。"
    response = client.put(f"/v1/bulletins/{today}", json={"text": f"  {text} "}, headers=forecaster)
    assert response.status_code == 200, response.text
    assert response.json()["source"] == "forecaster"
    served = client.get(f"/v1/bulletins/{today}").json()
    assert (served["text"], served["source"]) == (text, "forecaster")
    assert served["written_at"].endswith("+08:00")
    rewrite = client.put(f"/v1/bulletins/{today}", json={"text": "改写"}, headers=forecaster)
    assert rewrite.status_code == 200
    assert client.get(f"/v1/bulletins/{today}").json()["text"] == "改写"
    audit = client.get("/v1/audit", params={"entity": "bulletin"}, headers=forecaster).json()
    assert [e["changes"]["text"] for e in audit["items"]] == [[text, "改写"], [None, text]]


@pytest.mark.parametrize("text", ["字" * (MAX_LENGTH + 1), "   ", ""])
def test_text_is_1_to_140_characters(
    client: TestClient, forecaster: dict[str, str], text: str
) -> None:
    response = client.put(f"/v1/bulletins/{today_local()}", json={"text": text}, headers=forecaster)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "text"


def test_exactly_140_characters_is_accepted(client: TestClient, forecaster: dict[str, str]) -> None:
    text = "晴" * MAX_LENGTH
    response = client.put(f"/v1/bulletins/{today_local()}", json={"text": text}, headers=forecaster)
    assert response.status_code == 200


def test_only_forecasters_write(client: TestClient) -> None:
    path = f"/v1/bulletins/{today_local()}"
    assert client.put(path, json={"text": "好天气"}).status_code == 401
    citizen = mint_token("weather", "c-1")
    assert client.put(path, json={"text": "好天气"}, headers=citizen).status_code == 403


def test_unwritten_bulletin_is_drafted_after_15_45(
    client: TestClient, forecaster: dict[str, str]
) -> None:
    tomorrow = today_local() + timedelta(days=1)
    before = client.get(f"/v1/bulletins/{tomorrow}")
    assert before.status_code == 404 and "15:45" in before.json()["detail"]

    past = today_local() - timedelta(days=3)
    drafted = client.get(f"/v1/bulletins/{past}").json()
    assert drafted["source"] == "auto" and drafted["written_at"] is None
    assert drafted["text"].startswith("东莞市今天") and len(drafted["text"]) <= MAX_LENGTH
    city = client.get("/v1/forecasts/dongguan", params={"date": str(past)}).json()
    assert city["days"][0]["text"] in drafted["text"]
    # A signal issued today does not rewrite a past day's draft.
    signal = {"hazard": "rainstorm", "colour": "red", "area": "dongguan"}
    assert client.post("/v1/warnings", json=signal, headers=forecaster).status_code == 201
    assert client.get(f"/v1/bulletins/{past}").json()["text"] == drafted["text"]


@pytest.mark.slow
def test_draft_leads_with_the_signals_in_force_at_the_push(
    client: TestClient, forecaster: dict[str, str]
) -> None:
    yesterday = today_local() - timedelta(days=1)
    at_three = datetime.combine(yesterday, time(15, 0), SHANGHAI).isoformat()
    signal = {"hazard": "rainstorm", "colour": "orange", "area": "dongguan", "at": at_three}
    assert client.post("/v1/warnings", json=signal, headers=forecaster).status_code == 201
    text = client.get(f"/v1/bulletins/{yesterday}").json()["text"]
    assert text.startswith("【预警】东莞市暴雨橙色预警信号生效中，请注意防御。东莞市今天")
