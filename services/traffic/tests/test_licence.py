"""`/v1/me/licence`: cycle, points, carried-over points, 12-point lock, study to reduce points."""

from collections.abc import Callable
from datetime import date

from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from servicekit.db import make_engine
from traffic.models import DriverLicence

Headers = Callable[[str], dict[str, str]]


def test_a_licence_in_the_middle_of_its_cycle(client: TestClient, headers_of: Headers) -> None:
    response = client.get("/v1/me/licence", headers=headers_of("zhangsan"))
    assert response.status_code == 200, response.text
    assert response.json() == {
        "licence_number": "4419**********1231",
        "holder_name": "张*",
        "licence_class": "C1",
        "first_issued_on": "2012-11-27",
        "cycle_start": "2025-11-27",
        "cycle_end": "2026-11-26",
        "points": 9,
        "carried_over_points": 0,
        "studied_points": 0,
        "status": "normal",
        "status_text": "正常",
        "study_days": 0,
        "can_study_to_reduce": True,
        "study_refusal": None,
    }


def test_points_of_unpaid_fines_carry_over(client: TestClient, headers_of: Headers) -> None:
    body = client.get("/v1/me/licence", headers=headers_of("chenxiaomei")).json()
    assert (body["cycle_start"], body["points"], body["carried_over_points"]) == (
        "2025-08-19",
        4,
        1,
    )


def test_a_new_cycle_clears_paid_points(client: TestClient, headers_of: Headers, clock) -> None:
    clock.to_day(date(2026, 11, 27))
    body = client.get("/v1/me/licence", headers=headers_of("zhangsan")).json()
    # The red-light fine is still unpaid: its 6 points carry over; the paid 3 are gone.
    assert (body["cycle_start"], body["points"], body["carried_over_points"]) == (
        "2026-11-27",
        6,
        6,
    )


def test_twelve_points_lock_the_licence(client: TestClient, headers_of: Headers) -> None:
    body = client.get("/v1/me/licence", headers=headers_of("wangwu")).json()
    assert (body["points"], body["status"], body["study_days"]) == (12, "locked", 7)
    assert "7天满分学习" in body["status_text"]
    assert body["can_study_to_reduce"] is False
    refused = client.post(
        "/v1/me/licence/point-study", json={"kind": "online"}, headers=headers_of("wangwu")
    )
    assert refused.status_code == 409
    assert "记满12分记录" in refused.json()["detail"]


def test_study_reduces_points_down_to_zero(client: TestClient, headers_of: Headers) -> None:
    headers = headers_of("chenxiaomei")
    steps = [("online", 1, 3), ("onsite", 2, 1), ("onsite", 1, 0)]
    for kind, reduced, points in steps:
        response = client.post("/v1/me/licence/point-study", json={"kind": kind}, headers=headers)
        assert response.status_code == 201, response.text
        body = response.json()
        assert (body["kind"], body["points_reduced"], body["licence"]["points"]) == (
            kind,
            reduced,
            points,
        )
        assert body["studied_on"] == "2026-06-15"
    done = client.post("/v1/me/licence/point-study", json={"kind": "online"}, headers=headers)
    assert done.status_code == 409 and "暂无记分" in done.json()["detail"]
    assert client.get("/v1/me/licence", headers=headers).json()["studied_points"] == 4


def test_study_is_capped_at_6_points_a_cycle(client: TestClient, headers_of: Headers) -> None:
    headers = headers_of("zhangsan")
    for _ in range(3):
        assert (
            client.post(
                "/v1/me/licence/point-study", json={"kind": "onsite"}, headers=headers
            ).status_code
            == 201
        )
    body = client.get("/v1/me/licence", headers=headers).json()
    assert (body["points"], body["studied_points"], body["can_study_to_reduce"]) == (3, 6, False)
    capped = client.post("/v1/me/licence/point-study", json={"kind": "online"}, headers=headers)
    assert capped.status_code == 409 and "上限6分" in capped.json()["detail"]
    bad = client.post("/v1/me/licence/point-study", json={"kind": "video"}, headers=headers)
    assert bad.status_code == 422


def test_a_serious_offence_excludes_study(
    client: TestClient, headers_of: Headers, seeded_database_url: str
) -> None:
    engine = make_engine(seeded_database_url)
    with Session(engine) as session:
        licence = session.exec(
            select(DriverLicence)
            .where(col(DriverLicence.serious_offence_on) >= date(2025, 1, 1))
            .order_by(col(DriverLicence.id))
        ).first()
    engine.dispose()
    assert licence is not None and licence.serious_offence is not None
    headers = headers_of("c-offender")
    proof = {
        "kind": "licence",
        "licence_number": licence.licence_number,
        "file_number": licence.file_number,
    }
    assert client.post("/v1/me/bindings", json=proof, headers=headers).status_code == 201
    body = client.get("/v1/me/licence", headers=headers).json()
    assert body["can_study_to_reduce"] is False
    assert licence.serious_offence in body["study_refusal"]


def test_without_a_bound_licence(client: TestClient, headers_of: Headers) -> None:
    # Lisi holds a licence but has not bound it; zhangsan's licence stays out of reach.
    for response in (
        client.get("/v1/me/licence", headers=headers_of("lisi")),
        client.post(
            "/v1/me/licence/point-study", json={"kind": "online"}, headers=headers_of("lisi")
        ),
    ):
        assert response.status_code == 404
        assert "尚未绑定驾驶证" in response.json()["detail"]
