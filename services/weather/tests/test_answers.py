"""Weather's chat answers: the texts (pure), and `/v1/internal/answers` as the gateway calls it."""

from collections.abc import Callable
from datetime import date, datetime

import pytest
from fastapi.testclient import TestClient

from servicekit.answers import AnswerRequest
from servicekit.chattext import utf8_len
from servicekit.clock import SHANGHAI
from servicekit.errors import ValidationFailed
from servicekit.testing import mint_token, service_headers
from weather.answers import (
    NO_WARNINGS,
    day_label,
    forecast_text,
    indices_text,
    location_of,
    warnings_text,
)
from weather.models import ForecastPublic, IndicesPublic, WarningPublic

TODAY = date(2025, 11, 26)  # a Wednesday
CITY = {"code": "dongguan", "name": "东莞市", "kind": "city", "lat": 23.02, "lon": 113.75}


def gateway() -> dict[str, str]:
    """Headers with a fresh gateway service token (internal tokens live 60 s)."""
    return service_headers("gateway", "weather")


def signal(area_name: str = "东莞市", name: str = "暴雨橙色预警信号", n: int = 1) -> WarningPublic:
    at = datetime(2025, 11, 26, 14, 30, tzinfo=SHANGHAI)
    return WarningPublic(
        id=n,
        name=name,
        hazard="rainstorm",
        hazard_name="暴雨",
        colour="orange",
        colour_name="橙色",
        area="dongguan",
        area_name=area_name,
        issued_at=at,
        updated_at=at,
        lifted_at=None,
    )


def forecast(start_day: int = 26, warnings: list[WarningPublic] | None = None) -> ForecastPublic:
    texts = ["多云", "多云转小雨", "中雨", "小雨转阴", "晴"]
    return ForecastPublic.model_validate(
        {
            "warnings": warnings or [],
            "location": CITY,
            "forecast_date": f"2025-11-{start_day:02d}",
            "issued_at": f"2025-11-{start_day:02d}T00:00:00+08:00",
            "source": "synthetic",
            "issuance_id": None,
            "issuance_version": None,
            "days": [
                {
                    "date": f"2025-11-{start_day + i:02d}",
                    "text": text,
                    "day_code": "01",
                    "night_code": "01",
                    "temp_min_c": 17 + i,
                    "temp_max_c": 25 + i,
                    "rain_mm": 0.0,
                    "rain_probability": 10 + i,
                    "wind_direction": "北风",
                    "wind_force": 3,
                    "wind_text": "北风3级",
                    "uv_index": 5,
                }
                for i, text in enumerate(texts)
            ],
        }
    )


def indices(warnings: list[WarningPublic] | None = None) -> IndicesPublic:
    readings = [
        ("umbrella", "雨伞指数", "带伞", "有降水，带雨伞。"),
        ("outing", "郊游指数", "一般", "天气一般，郊游时请做好防晒或防雨准备。"),
        ("uv", "紫外线指数", "弱", "紫外线强度较弱。"),
    ]
    return IndicesPublic.model_validate(
        {
            "warnings": warnings or [],
            "location": {**CITY, "code": "dalang", "name": "大朗镇", "kind": "town"},
            "date": "2025-11-26",
            "source": "synthetic",
            "issuance_id": None,
            "issuance_version": None,
            "indices": [
                {"code": c, "name": n, "level": lv, "text": t, "override": None}
                for c, n, lv, t in readings
            ],
        }
    )


# ---- the texts


@pytest.mark.parametrize(
    ("day", "label"),
    [
        (date(2025, 11, 26), "11月26日（今天）"),
        (date(2025, 11, 27), "11月27日（明天）"),
        (date(2025, 11, 28), "11月28日（后天）"),
        (date(2025, 11, 29), "11月29日（周六）"),
        (date(2025, 11, 30), "11月30日（周日）"),
        (date(2025, 11, 25), "11月25日（周二）"),
    ],
)
def test_day_labels(day: date, label: str) -> None:
    assert day_label(day, TODAY) == label


def test_today_in_full_then_the_other_days_briefly() -> None:
    lines = forecast_text(forecast(), TODAY).split("\n")
    assert lines == [
        "东莞市 11月26日（今天）：多云，17～25℃，降水概率10%，北风3级。",
        "11月27日（明天）：多云转小雨，18～26℃",
        "11月28日（后天）：中雨，19～27℃",
        "11月29日（周六）：小雨转阴，20～28℃",
        "11月30日（周日）：晴，21～29℃",
    ]
    assert utf8_len("\n".join(lines)) <= 600


def test_a_stale_forecast_is_not_called_today() -> None:
    assert forecast_text(forecast(start_day=25), TODAY).startswith("东莞市 11月25日（周二）：")


def test_signals_in_force_lead_the_forecast() -> None:
    text = forecast_text(forecast(warnings=[signal()]), TODAY)
    assert text.split("\n")[:2] == [
        "【预警】东莞市 暴雨橙色预警信号（11月26日 14:30 发布）",
        "东莞市 11月26日（今天）：多云，17～25℃，降水概率10%，北风3级。",
    ]


@pytest.mark.parametrize(
    ("kind", "lines"),
    [
        ("umbrella", ["雨伞指数：带伞。有降水，带雨伞。"]),
        ("outing", ["郊游指数：一般。天气一般，郊游时请做好防晒或防雨准备。"]),
        (
            "all",
            [
                "雨伞指数：带伞。有降水，带雨伞。",
                "郊游指数：一般。天气一般，郊游时请做好防晒或防雨准备。",
            ],
        ),
        (
            "weather",
            [
                "雨伞指数：带伞。有降水，带雨伞。",
                "郊游指数：一般。天气一般，郊游时请做好防晒或防雨准备。",
            ],
        ),
    ],
)
def test_the_indices_asked_for_after_the_place_and_day(kind: str, lines: list[str]) -> None:
    assert indices_text(indices(), kind, TODAY).split("\n") == ["大朗镇 11月26日（今天）", *lines]


def test_signals_in_force_lead_the_indices() -> None:
    text = indices_text(indices(warnings=[signal()]), "umbrella", TODAY)
    assert text.split("\n")[0] == "【预警】东莞市 暴雨橙色预警信号（11月26日 14:30 发布）"


def test_warnings_every_signal_or_that_there_is_none() -> None:
    assert warnings_text([]) == NO_WARNINGS
    assert warnings_text([signal(), signal("大朗镇", "高温黄色预警信号", 2)]) == (
        "【预警】东莞市 暴雨橙色预警信号（11月26日 14:30 发布）\n"
        "【预警】大朗镇 高温黄色预警信号（11月26日 14:30 发布）"
    )


def test_many_warnings_are_cut_at_a_whole_line_within_wechats_limit() -> None:
    text = warnings_text([signal("大朗镇", n=n) for n in range(1, 41)])
    assert utf8_len(text) <= 2048
    *shown, more = text.split("\n")
    assert all(line.endswith("发布）") for line in shown)
    assert more == f"……另有{40 - len(shown)}个预警信号生效中。"


@pytest.mark.parametrize(
    ("text", "params", "location"),
    [
        ("天气 大朗", {}, "dalang"),
        ("大朗镇要带伞吗", {}, "dalang"),
        ("松山湖明天天气", {}, "songshanhu"),
        ("天气", {}, "dongguan"),
        ("天气 大朗", {"location": "humen"}, "humen"),
        ("天气", {"location": ""}, "dongguan"),
    ],
)
def test_the_place_is_the_rules_else_a_town_named_else_the_city(
    text: str, params: dict[str, str], location: str
) -> None:
    request = AnswerRequest(account="dgtq", text=text, params=params)
    assert location_of(request) == location


def test_an_unknown_location_param_is_named() -> None:
    with pytest.raises(ValidationFailed) as caught:
        location_of(AnswerRequest(account="dgtq", text="天气", params={"location": "atlantis"}))
    assert [e["field"] for e in caught.value.errors or []] == ["params.location"]


# ---- the internal endpoints


def ask(client: TestClient, name: str, text: str, **params: str) -> str:
    body = {"account": "dgtq", "text": text, "params": params}
    response = client.post(f"/v1/internal/answers/{name}", json=body, headers=gateway())
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["personal"] is False and answer["needs_citizen"] is False
    return answer["text"]


@pytest.mark.slow
@pytest.mark.parametrize(
    ("headers_of", "status"),
    [
        (dict, 401),
        (lambda: mint_token("weather"), 403),
        (lambda: mint_token("weather", "staff-wu", ["forecaster"], kind="staff"), 403),
        (lambda: service_headers("accounts", "weather"), 403),
        (lambda: service_headers("gateway", "traffic"), 401),
    ],
)
def test_only_the_gateway_may_ask(
    client: TestClient, headers_of: Callable[[], dict[str, str]], status: int
) -> None:
    # Tokens are minted when the test runs: internal tokens live 60 s.
    headers = headers_of()
    body = {"account": "dgtq", "text": "天气"}
    for response in (
        client.get("/v1/internal/answers", headers=headers),
        client.post("/v1/internal/answers/today", json=body, headers=headers),
    ):
        assert response.status_code == status, response.text
        assert response.headers["content-type"] == "application/problem+json"


def test_the_catalogue_names_the_four_intents(client: TestClient) -> None:
    response = client.get("/v1/internal/answers", headers=gateway())
    assert response.status_code == 200
    assert response.json() == {
        "service": "weather",
        "intents": [
            {"name": n, "citizen": "none"} for n in ("forecast", "index", "today", "warnings")
        ],
    }


def test_an_intent_not_served_is_a_404_problem(client: TestClient) -> None:
    response = client.post(
        "/v1/internal/answers/typhoon_track", json={"account": "dgtq"}, headers=gateway()
    )
    assert response.status_code == 404
    assert "weather.typhoon_track" in response.json()["detail"]


def test_an_unknown_location_is_a_422_naming_it(client: TestClient) -> None:
    body = {"account": "dgtq", "text": "天气", "params": {"location": "atlantis"}}
    response = client.post("/v1/internal/answers/today", json=body, headers=gateway())
    assert response.status_code == 422
    assert "atlantis" in response.json()["detail"]


def test_the_forecast_of_a_town_named(client: TestClient) -> None:
    days = client.get("/v1/forecasts/dalang").json()["days"]
    for intent in ("today", "forecast"):
        lines = ask(client, intent, "天气 大朗").split("\n")
        assert lines[0].startswith("大朗镇 ") and "（今天）：" in lines[0]
        assert f"{days[0]['temp_min_c']}～{days[0]['temp_max_c']}℃" in lines[0]
        assert len(lines) == len(days) == 5


def index_lines(client: TestClient, location: str) -> list[str]:
    """The umbrella and outing lines as the public indices say them today."""
    found = {i["code"]: i for i in client.get(f"/v1/indices/{location}").json()["indices"]}
    return [
        f"{found[c]['name']}：{found[c]['level']}。{found[c]['text']}"
        for c in ("umbrella", "outing")
    ]


def test_umbrella_alone_for_a_town_named(client: TestClient) -> None:
    lines = ask(client, "index", "大朗要带伞吗", kind="umbrella").split("\n")
    assert lines[0].startswith("大朗镇 ") and lines[0].endswith("（今天）")
    assert lines[1:] == index_lines(client, "dalang")[:1]


def test_umbrella_and_outing_for_the_city(client: TestClient) -> None:
    lines = ask(client, "index", "会不会下雨，能不能出去玩?", kind="all").split("\n")
    assert lines[0].startswith("东莞市 ")
    assert lines[1:] == index_lines(client, "dongguan")


def test_a_signal_in_force_leads_every_answer_until_lifted(
    client: TestClient, forecaster: dict[str, str]
) -> None:
    assert ask(client, "warnings", "预警") == NO_WARNINGS
    issued = client.post(
        "/v1/warnings",
        json={"hazard": "rainstorm", "colour": "orange", "area": "dongguan"},
        headers=forecaster,
    )
    assert issued.status_code == 201, issued.text
    for intent, text, params in (
        ("warnings", "预警", {}),
        ("today", "天气", {}),
        ("today", "天气 大朗", {}),
        ("index", "雨伞指数", {"kind": "umbrella"}),
    ):
        first = ask(client, intent, text, **params).split("\n")[0]
        assert first.startswith("【预警】东莞市 暴雨橙色预警信号（"), (intent, first)
    outing = ask(client, "index", "郊游指数", kind="outing").split("\n")[-1]
    assert outing.startswith("郊游指数：不适宜"), outing
    lifted = client.post(f"/v1/warnings/{issued.json()['id']}/lift", headers=forecaster)
    assert lifted.status_code == 200, lifted.text
    assert ask(client, "warnings", "预警") == NO_WARNINGS
