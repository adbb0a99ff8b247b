"""Self-service handling and decision lookups: numbers, deadlines and the late surcharge."""

from collections.abc import Callable
from datetime import date

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from servicekit.db import make_engine
from traffic.models import PenaltyDecision
from traffic.penalties import decision_number
from traffic.validators import validate_decision_number

Headers = Callable[[str], dict[str, str]]
ZHANGSAN = {"plate": "粤S12345", "vin6": "123456"}


def violation_id(client: TestClient, code: str, params: dict[str, str] = ZHANGSAN) -> int:
    items = client.get("/v1/violations", params=params).json()["items"]
    return next(i["id"] for i in items if i["code"] == code)


def handle(client: TestClient, headers: dict[str, str], violation: int):
    return client.post(f"/v1/me/violations/{violation}/decision", headers=headers)


def test_handling_a_violation_creates_a_decision(client: TestClient, headers_of: Headers) -> None:
    headers = headers_of("zhangsan")
    markings = violation_id(client, "1345")
    response = handle(client, headers, markings)
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["number"] == decision_number(decided_on=date(2026, 6, 15), serial=markings)
    assert validate_decision_number(number=body["number"]) == body["number"]
    assert body["number"].startswith("44190026")
    assert {k: body[k] for k in ("code", "points", "fine_fen", "decided_on", "due_on")} == {
        "code": "1345",
        "points": 1,
        "fine_fen": 20000,
        "decided_on": "2026-06-15",
        "due_on": "2026-06-30",
    }
    assert (body["status"], body["amount_due_fen"], body["licence_points"]) == (
        "decided_unpaid",
        20000,
        10,
    )
    assert client.get("/v1/me/licence", headers=headers).json()["points"] == 10
    listed = {
        i["code"]: i for i in client.get("/v1/me/violations", headers=headers).json()["items"]
    }
    assert (listed["1345"]["status"], listed["1345"]["decision_number"]) == (
        "decided_unpaid",
        body["number"],
    )
    again = handle(client, headers, markings)
    assert again.status_code == 409 and body["number"] in again.json()["detail"]


@pytest.mark.parametrize(
    ("on", "due_fen", "overdue"),
    [
        ("2026-06-15", 20000, 0),
        ("2026-06-30", 20000, 0),
        ("2026-07-01", 20600, 1),
        ("2026-08-02", 39800, 33),
        ("2026-08-03", 40000, 34),
        ("2027-01-01", 40000, 185),
    ],
)
def test_the_amount_due_of_a_decision_on_a_day(
    client: TestClient, headers_of: Headers, on: str, due_fen: int, overdue: int
) -> None:
    number = handle(client, headers_of("zhangsan"), violation_id(client, "1345")).json()["number"]
    body = client.get(f"/v1/decisions/{number}", params={"on": on}).json()
    assert (body["on"], body["amount_due_fen"], body["overdue_days"]) == (on, due_fen, overdue)
    assert body["surcharge_fen"] == due_fen - 20000


def test_the_amount_due_defaults_to_today(client: TestClient, headers_of: Headers, clock) -> None:
    number = handle(client, headers_of("zhangsan"), violation_id(client, "1345")).json()["number"]
    assert client.get(f"/v1/decisions/{number}").json()["amount_due_fen"] == 20000
    clock.advance(days=16)
    body = client.get(f"/v1/decisions/{number}").json()
    assert (body["on"], body["amount_due_fen"]) == ("2026-07-01", 20600)


def test_seeded_decisions(client: TestClient) -> None:
    unpaid = client.get("/v1/decisions/4419002600000031").json()
    assert (unpaid["code"], unpaid["status"], unpaid["amount_due_fen"]) == (
        "1625",
        "decided_unpaid",
        29000,
    )
    paid_number = next(
        i["decision_number"]
        for i in client.get("/v1/violations", params=ZHANGSAN).json()["items"]
        if i["code"] == "1636"
    )
    paid = client.get(f"/v1/decisions/{paid_number}").json()
    assert (paid["status"], paid["paid_on"], paid["amount_due_fen"], paid["surcharge_fen"]) == (
        "paid",
        "2026-01-31",
        0,
        0,
    )


@pytest.mark.parametrize(
    ("number", "params", "status", "message"),
    [
        ("4419002600000032", {}, 422, "第16位校验位不符"),
        ("441900260000003", {}, 422, "应为16位数字"),
        ("4419002699999994", {}, 404, "未找到编号为4419002699999994的处罚决定书"),
        ("4419002600000031", {"on": "2026-05-15"}, 422, "不能早于决定日期2026-05-16"),
        ("4419002600000031", {"on": "tomorrow"}, 422, "on"),
    ],
)
def test_decision_lookup_errors(
    client: TestClient, number: str, params: dict, status: int, message: str
) -> None:
    response = client.get(f"/v1/decisions/{number}", params=params)
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
    assert message in response.json()["detail"]


def test_zero_point_violations_leave_the_points_alone(
    client: TestClient, headers_of: Headers
) -> None:
    body = handle(client, headers_of("zhangsan"), violation_id(client, "1039")).json()
    assert (body["points"], body["licence_points"]) == (0, 9)


def test_points_over_the_online_threshold_need_a_counter(make_client, headers_of: Headers) -> None:
    client = make_client(online_handling_max_points=0)
    response = handle(client, headers_of("zhangsan"), violation_id(client, "1345"))
    assert response.status_code == 403
    assert "网上仅可处理记0分及以下" in response.json()["detail"]


def test_a_locked_licence_cannot_handle_online(client: TestClient, headers_of: Headers) -> None:
    truck = violation_id(client, "1018", {"plate": "粤SB7788", "vin6": "778899"})
    response = handle(client, headers_of("wangwu"), truck)
    assert response.status_code == 409 and "记满12分" in response.json()["detail"]


def test_handling_that_would_reach_12_points_needs_a_counter(
    client: TestClient, headers_of: Headers, seeded_database_url: str
) -> None:
    # Two more points decided on zhangsan's licence: 11, and the 1-point violation would make 12.
    engine = make_engine(seeded_database_url)
    with Session(engine) as session:
        lisi_phone = violation_id(client, "1223", {"plate": "粤SD66888", "vin6": "654321"})
        session.add(
            PenaltyDecision(
                number=decision_number(decided_on=date(2026, 6, 1), serial=lisi_phone),
                violation_id=lisi_phone,
                licence_id=1,
                fine_fen=10000,
                points=2,
                decided_on=date(2026, 6, 1),
                due_on=date(2026, 6, 16),
            )
        )
        session.commit()
    engine.dispose()
    assert client.get("/v1/me/licence", headers=headers_of("zhangsan")).json()["points"] == 11
    response = handle(client, headers_of("zhangsan"), violation_id(client, "1345"))
    assert response.status_code == 409 and "将达到12分" in response.json()["detail"]


def test_handling_needs_the_citizens_own_licence(client: TestClient, headers_of: Headers) -> None:
    headers = headers_of("c-spouse")
    proof = {"kind": "vehicle", **ZHANGSAN}
    assert client.post("/v1/me/bindings", json=proof, headers=headers).status_code == 201
    response = handle(client, headers, violation_id(client, "1345"))
    assert response.status_code == 409 and "请先绑定本人驾驶证" in response.json()["detail"]


def test_unknown_violation(client: TestClient, headers_of: Headers) -> None:
    assert handle(client, headers_of("zhangsan"), 999_999).status_code == 404
