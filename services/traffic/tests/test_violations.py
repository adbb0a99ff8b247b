"""Violation lookups: public by plate and VIN suffix, and the citizen's own through bindings."""

from collections.abc import Callable

from fastapi.testclient import TestClient

Headers = Callable[[str], dict[str, str]]
ZHANGSAN = {"plate": "粤S12345", "vin6": "123456"}


def by_code(body: dict) -> dict[str, dict]:
    return {item["code"]: item for item in body["items"]}


def test_public_lookup_lists_the_vehicles_violations_with_amounts_due(client: TestClient) -> None:
    response = client.get("/v1/violations", params=ZHANGSAN)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["total"] == 5 and body["on"] == "2026-06-15"
    assert [i["code"] for i in body["items"]] == ["1039", "1345", "1625", "1636", "1352A"]
    items = by_code(body)
    parking = items["1039"]
    assert parking == {
        "id": parking["id"],
        "plate": "粤S12345",
        "code": "1039",
        "description": "机动车违反规定停放、临时停车，驾驶人不在现场，妨碍其他车辆、行人通行的",
        "occurred_at": "2026-06-12T11:32:00+08:00",
        "place": "东城街道东城大道东城万达广场段",
        "points": 0,
        "fine_fen": 20000,
        "status": "unhandled",
        "decision_number": None,
        "decided_on": None,
        "due_on": None,
        "paid_on": None,
        "overdue_days": 0,
        "surcharge_fen": 0,
        "amount_due_fen": 20000,
    }
    red_light = items["1625"]
    assert red_light["status"] == "decided_unpaid"
    assert red_light["decision_number"] == "4419002600000031"
    assert (red_light["decided_on"], red_light["due_on"]) == ("2026-05-16", "2026-05-31")
    assert (red_light["overdue_days"], red_light["surcharge_fen"], red_light["amount_due_fen"]) == (
        15,
        9000,
        29000,
    )
    assert (items["1636"]["status"], items["1636"]["amount_due_fen"]) == ("paid", 0)
    assert items["1636"]["paid_on"] == "2026-01-31"
    assert body["amount_due_fen"] == 20000 + 20000 + 29000


def test_amounts_due_follow_the_day(client: TestClient, clock) -> None:
    clock.advance(days=1)
    body = client.get("/v1/violations", params=ZHANGSAN).json()
    assert body["on"] == "2026-06-16"
    assert by_code(body)["1625"]["amount_due_fen"] == 29600
    # Dongguan's day, not UTC's: 23:30 on the 16th is still the 16th.
    clock.advance(hours=11, minutes=30)
    assert client.get("/v1/violations", params=ZHANGSAN).json()["on"] == "2026-06-16"


def test_status_filter_and_paging(client: TestClient) -> None:
    unhandled = client.get("/v1/violations", params={**ZHANGSAN, "status": "unhandled"}).json()
    assert [i["code"] for i in unhandled["items"]] == ["1039", "1345"]
    assert unhandled["amount_due_fen"] == 40000
    page = client.get("/v1/violations", params={**ZHANGSAN, "limit": 2, "offset": 2}).json()
    assert [i["code"] for i in page["items"]] == ["1625", "1636"] and page["total"] == 5
    assert page["amount_due_fen"] == 69000
    bad = client.get("/v1/violations", params={**ZHANGSAN, "status": "lost"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "status"


def test_plate_and_vin_suffix_must_belong_together(client: TestClient) -> None:
    wrong_suffix = client.get("/v1/violations", params={**ZHANGSAN, "vin6": "123457"})
    unknown_plate = client.get("/v1/violations", params={"plate": "粤S12346", "vin6": "123456"})
    assert wrong_suffix.status_code == unknown_plate.status_code == 404
    assert wrong_suffix.headers["content-type"] == "application/problem+json"
    assert wrong_suffix.json()["detail"] == unknown_plate.json()["detail"]
    assert "核对" in wrong_suffix.json()["detail"]


def test_lookup_input_is_validated(client: TestClient) -> None:
    missing = client.get("/v1/violations", params={"plate": "粤S12345"})
    assert missing.status_code == 422
    assert [e["field"] for e in missing.json()["errors"]] == ["vin6"]
    for params, field, message in [
        ({**ZHANGSAN, "plate": "粤SO2345"}, "plate", "不使用字母I和O"),
        ({**ZHANGSAN, "plate": "粤S123"}, "plate", "当前为5位"),
        ({**ZHANGSAN, "vin6": "12345Q"}, "vin6", "不使用I、O、Q"),
    ]:
        response = client.get("/v1/violations", params=params)
        assert response.status_code == 422, params
        assert message in response.json()["detail"]
        assert response.json()["errors"][0]["field"] == field


def test_lookup_of_a_new_energy_vehicle(client: TestClient) -> None:
    body = client.get("/v1/violations", params={"plate": "粤SD66888", "vin6": "654321"}).json()
    assert [i["code"] for i in body["items"]] == ["1208", "1223", "4204"]


def test_my_violations_come_from_my_bindings(client: TestClient, headers_of: Headers) -> None:
    mine = client.get("/v1/me/violations", headers=headers_of("zhangsan"))
    assert mine.status_code == 200
    public = client.get("/v1/violations", params=ZHANGSAN).json()
    assert mine.json() == public
    # Lisi has bound nothing yet, and sees nothing, least of all zhangsan's records.
    lisi = client.get("/v1/me/violations", headers=headers_of("lisi")).json()
    assert (lisi["items"], lisi["total"], lisi["amount_due_fen"]) == ([], 0, 0)
    assert client.get("/v1/me/violations").status_code == 401


def test_a_licence_brings_the_violations_charged_to_it(
    client: TestClient, headers_of: Headers
) -> None:
    headers = headers_of("c-licence-only")
    proof = {
        "kind": "licence",
        "licence_number": "36233019780315571X",
        "file_number": "441920080315",
    }
    assert client.post("/v1/me/bindings", json=proof, headers=headers).status_code == 201
    body = client.get("/v1/me/violations", headers=headers).json()
    # Wangwu's two decided violations, not the unhandled one of his truck.
    assert sorted(i["code"] for i in body["items"]) == ["1625", "4008"]
