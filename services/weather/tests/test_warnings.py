"""Warning signals: issue, upgrade, downgrade, lift; what forecasts and indices make of them."""

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from servicekit.audit import Actor
from servicekit.db import make_engine
from servicekit.errors import Conflict
from servicekit.testing import mint_token
from weather.clock import now_local
from weather.signals import active_signals, change_kind, issue_signal, signal_name, signals_at


def issue(
    client: TestClient, headers: dict[str, str], hazard: str, colour: str, area: str, **extra: str
) -> dict:
    body = {"hazard": hazard, "colour": colour, "area": area} | extra
    response = client.post("/v1/warnings", json=body, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


def levels(client: TestClient, location: str) -> dict[str, tuple[str, str | None]]:
    body = client.get(f"/v1/indices/{location}").json()
    return {i["code"]: (i["level"], i["override"]) for i in body["indices"]}


def test_a_rainstorm_signal_through_its_life(
    client: TestClient, forecaster: dict[str, str]
) -> None:
    signal = issue(client, forecaster, "rainstorm", "yellow", "dongguan")
    assert signal["name"] == "暴雨黄色预警信号" and signal["area_name"] == "东莞市"
    assert signal["issued_at"].endswith("+08:00") and signal["lifted_at"] is None
    sid = signal["id"]

    forecast = client.get("/v1/forecasts/dalang").json()
    assert next(iter(forecast)) == "warnings"  # the answer leads with the signals
    assert [w["name"] for w in forecast["warnings"]] == ["暴雨黄色预警信号"]
    assert levels(client, "dalang")["umbrella"] == ("带伞(强)", "暴雨黄色预警信号")

    up = client.post(f"/v1/warnings/{sid}/upgrade", json={"colour": "orange"}, headers=forecaster)
    assert up.status_code == 200 and up.json()["name"] == "暴雨橙色预警信号"
    # An orange rainstorm signal makes the outing index 不适宜 (city and towns alike).
    for place in ("dongguan", "dalang"):
        assert levels(client, place)["outing"] == ("不适宜", "暴雨橙色预警信号")

    down = client.post(
        f"/v1/warnings/{sid}/downgrade", json={"colour": "yellow"}, headers=forecaster
    )
    assert down.status_code == 200 and down.json()["colour"] == "yellow"
    lifted = client.post(f"/v1/warnings/{sid}/lift", headers=forecaster)
    assert lifted.status_code == 200 and lifted.json()["lifted_at"].endswith("+08:00")

    assert client.get("/v1/warnings").json() == {"items": [], "total": 0}
    assert client.get("/v1/forecasts/dalang").json()["warnings"] == []
    assert client.get(f"/v1/warnings/{sid}").json()["lifted_at"] is not None
    history = client.get("/v1/warnings/history").json()
    assert [(e["action_name"], e["name"]) for e in history["items"]] == [
        ("解除", "暴雨黄色预警信号"),
        ("降级", "暴雨黄色预警信号"),
        ("升级", "暴雨橙色预警信号"),
        ("发布", "暴雨黄色预警信号"),
    ]
    assert history["items"][1]["previous_colour"] == "orange"
    audit = client.get("/v1/audit", params={"entity": "warning"}, headers=forecaster).json()
    assert [e["action"] for e in audit["items"]] == ["lift", "downgrade", "upgrade", "issue"]

    again = client.post(f"/v1/warnings/{sid}/lift", headers=forecaster)
    assert again.status_code == 409 and "已解除" in again.json()["detail"]
    assert (
        client.post(f"/v1/warnings/{sid}/upgrade", json={"colour": "red"}, headers=forecaster)
    ).status_code == 409


def test_signals_apply_to_their_area_and_the_city_to_all(
    client: TestClient, forecaster: dict[str, str]
) -> None:
    issue(client, forecaster, "thunderstorm_gale", "blue", "humen")
    issue(client, forecaster, "typhoon", "white", "dongguan")

    def names(place: str) -> list[str]:
        return [w["name"] for w in client.get(f"/v1/forecasts/{place}").json()["warnings"]]

    assert names("humen") == ["雷雨大风蓝色预警信号", "台风白色预警信号"]  # blue over white
    assert names("dalang") == ["台风白色预警信号"]
    assert len(names("dongguan")) == 2  # the city answer names every signal in the city
    assert client.get("/v1/warnings", params={"area": "dalang"}).json()["total"] == 1
    # A town's signal sets that town's indices, not the whole city's.
    issue(client, forecaster, "rainstorm", "red", "humen")
    assert levels(client, "humen")["outing"] == ("不适宜", "暴雨红色预警信号")
    assert levels(client, "dongguan")["umbrella"][1] is None
    city = client.get("/v1/indices/dongguan").json()
    assert "暴雨红色预警信号" in [w["name"] for w in city["warnings"]]
    bad = client.get("/v1/warnings", params={"area": "atlantis"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "area"


def test_signals_lead_strongest_first(client: TestClient, forecaster: dict[str, str]) -> None:
    issue(client, forecaster, "high_temperature", "yellow", "dongguan")
    issue(client, forecaster, "rainstorm", "red", "dalang")
    assert [w["name"] for w in client.get("/v1/warnings").json()["items"]] == [
        "暴雨红色预警信号",
        "高温黄色预警信号",
    ]


def test_one_signal_per_hazard_and_area(client: TestClient, forecaster: dict[str, str]) -> None:
    issue(client, forecaster, "rainstorm", "yellow", "dalang")
    twice = client.post(
        "/v1/warnings",
        json={"hazard": "rainstorm", "colour": "red", "area": "dalang"},
        headers=forecaster,
    )
    assert twice.status_code == 409 and "升级" in twice.json()["detail"]
    issue(client, forecaster, "rainstorm", "yellow", "humen")  # another area is another signal


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"hazard": "rainstorm", "colour": "blue", "area": "dongguan"}, "colour"),
        ({"hazard": "haze", "colour": "red", "area": "dongguan"}, "colour"),
        ({"hazard": "tsunami", "colour": "red", "area": "dongguan"}, "hazard"),
        ({"hazard": "fog", "colour": "yellow", "area": "atlantis"}, "area"),
        ({"hazard": "fog", "colour": "yellow", "area": "dalang", "at": "2026-01-01T08:00"}, "at"),
    ],
    ids=["rainstorm has no blue", "haze only yellow", "unknown hazard", "unknown area", "naive"],
)
def test_invalid_signals_are_422_naming_the_field(
    client: TestClient, forecaster: dict[str, str], body: dict, field: str
) -> None:
    response = client.post("/v1/warnings", json=body, headers=forecaster)
    assert response.status_code == 422
    assert field in [e["field"] for e in response.json()["errors"]]


def test_changes_must_go_the_right_way_and_forward_in_time(
    client: TestClient, forecaster: dict[str, str]
) -> None:
    at = (now_local() - timedelta(hours=2)).isoformat()
    sid = issue(client, forecaster, "typhoon", "blue", "dongguan", at=at)["id"]
    for path, colour in (("upgrade", "white"), ("upgrade", "blue"), ("downgrade", "red")):
        response = client.post(
            f"/v1/warnings/{sid}/{path}", json={"colour": colour}, headers=forecaster
        )
        assert response.status_code == 422, (path, colour)
        assert response.json()["errors"][0]["field"] == "colour"
    earlier = (now_local() - timedelta(hours=3)).isoformat()
    response = client.post(f"/v1/warnings/{sid}/lift", json={"at": earlier}, headers=forecaster)
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "at"
    future = (now_local() + timedelta(hours=1)).isoformat()
    response = client.post(
        f"/v1/warnings/{sid}/upgrade", json={"colour": "red", "at": future}, headers=forecaster
    )
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "at"
    assert client.post("/v1/warnings/999/lift", headers=forecaster).status_code == 404


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        (lambda: {}, 401),
        (lambda: mint_token("weather", "c-1"), 403),
        (lambda: mint_token("weather", "staff-lin", ["traffic_officer"], kind="staff"), 403),
        (lambda: mint_token("weather", "c-1", ["forecaster"]), 403),
    ],
    ids=["anonymous", "citizen", "other staff", "citizen claiming the role"],
)
def test_only_forecasters_change_signals(
    client: TestClient,
    forecaster: dict[str, str],
    headers: Callable[[], dict[str, str]],
    status: int,
) -> None:
    # Minted in the test, not at collection: internal tokens live 60 s, a whole run longer.
    headers = headers()
    sid = issue(client, forecaster, "cold", "yellow", "dongguan")["id"]
    writes = [
        ("/v1/warnings", {"hazard": "fog", "colour": "yellow", "area": "dongguan"}),
        (f"/v1/warnings/{sid}/upgrade", {"colour": "red"}),
        (f"/v1/warnings/{sid}/downgrade", {"colour": "yellow"}),
        (f"/v1/warnings/{sid}/lift", None),
    ]
    for path, body in writes:
        response = client.post(path, json=body, headers=headers)
        assert response.status_code == status, path
        assert response.headers["content-type"] == "application/problem+json"
    assert client.get("/v1/warnings").json()["total"] == 1


def test_signals_at_a_moment_are_rebuilt_from_the_events(
    client: TestClient, forecaster: dict[str, str], seeded_database_url: str
) -> None:
    start = now_local().replace(microsecond=0) - timedelta(hours=3)
    sid = issue(client, forecaster, "rainstorm", "yellow", "dongguan", at=start.isoformat())["id"]
    steps = [
        ("upgrade", {"colour": "red", "at": (start + timedelta(hours=1)).isoformat()}),
        ("lift", {"at": (start + timedelta(hours=2)).isoformat()}),
    ]
    for path, body in steps:
        assert client.post(f"/v1/warnings/{sid}/{path}", json=body, headers=forecaster).is_success
    engine = make_engine(seeded_database_url)
    try:
        with Session(engine) as session:

            def colours(moment: datetime) -> list[str]:
                return [s.colour for s in signals_at(session=session, moment=moment)]

            assert colours(start - timedelta(minutes=1)) == []
            assert colours(start + timedelta(minutes=30)) == ["yellow"]
            assert colours(start + timedelta(minutes=90)) == ["red"]
            assert colours(start + timedelta(minutes=150)) == []
    finally:
        engine.dispose()


@pytest.mark.parametrize(
    ("hazard", "old", "new", "kind"),
    [
        ("typhoon", "white", "red", "upgrade"),
        ("typhoon", "orange", "blue", "downgrade"),
        ("rainstorm", "orange", "orange", None),
    ],
)
def test_change_kind(hazard: str, old: str, new: str, kind: str | None) -> None:
    assert change_kind(hazard=hazard, old=old, new=new) == kind


def test_signal_names() -> None:
    assert signal_name("thunderstorm_gale", "blue") == "雷雨大风蓝色预警信号"
    assert signal_name("forest_fire", "red") == "森林火险红色预警信号"


def test_simultaneous_issues_of_one_signal_make_one(seeded_database_url: str) -> None:
    engine = make_engine(seeded_database_url)
    start = threading.Barrier(3)

    def issue_one(n: int) -> str:
        with Session(engine) as session:
            start.wait()
            try:
                issue_signal(
                    session=session,
                    hazard="typhoon",
                    colour="blue",
                    area="dongguan",
                    at=None,
                    actor=Actor(subject=f"staff-{n}"),
                )
            except Conflict:
                return "conflict"
            return "issued"

    try:
        with ThreadPoolExecutor(max_workers=3) as pool:
            outcomes = sorted(pool.map(issue_one, range(3)))
        with Session(engine) as session:
            assert len(active_signals(session=session)) == 1
    finally:
        engine.dispose()
    assert outcomes == ["conflict", "conflict", "issued"]
