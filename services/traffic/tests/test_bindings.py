"""Bindings: proving a vehicle or a licence, throttled guessing, and consent withdrawal."""

from collections.abc import Callable

from fastapi.testclient import TestClient

from servicekit.contract_checks import assert_bindings_deletion_contract
from servicekit.testing import service_headers
from traffic.population import DEMO_PEOPLE

Headers = Callable[[str], dict[str, str]]
LISI_VEHICLE = {"kind": "vehicle", "plate": "粤SD66888", "vin6": "654321"}
LISI_LICENCE = {
    "kind": "licence",
    "licence_number": "441900198505203523",
    "file_number": "441987654321",
}


def test_only_accounts_deletes_a_citizens_bindings(client: TestClient) -> None:
    assert_bindings_deletion_contract(client, "traffic")


def test_withdrawal_really_deletes_the_bindings(client: TestClient, headers_of: Headers) -> None:
    assert client.get("/v1/me/bindings", headers=headers_of("zhangsan")).json()["total"] == 2

    path = f"/v1/internal/citizens/{DEMO_PEOPLE[0].citizen.citizen_id}/bindings"
    for _ in range(2):
        assert (
            client.delete(path, headers=service_headers("accounts", "traffic")).status_code == 204
        )
    assert client.get("/v1/me/bindings", headers=headers_of("zhangsan")).json() == {
        "items": [],
        "total": 0,
    }
    assert client.get("/v1/me/violations", headers=headers_of("zhangsan")).json()["total"] == 0
    assert client.get("/v1/me/bindings", headers=headers_of("wangwu")).json()["total"] == 2


def test_a_citizen_binds_a_vehicle_and_a_licence(client: TestClient, headers_of: Headers) -> None:
    lisi = headers_of("lisi")
    assert client.get("/v1/me/bindings", headers=lisi).json()["total"] == 0
    vehicle = client.post(
        "/v1/me/bindings", json={**LISI_VEHICLE, "plate": "粤sd 66888"}, headers=lisi
    )
    assert vehicle.status_code == 201, vehicle.text
    body = vehicle.json()
    assert (body["kind"], body["plate"], body["vehicle_type"]) == (
        "vehicle",
        "粤SD66888",
        "小型新能源汽车",
    )
    assert body["created_at"].endswith("+08:00")
    licence = client.post(
        "/v1/me/bindings",
        json={**LISI_LICENCE, "licence_number": "441900198505203523"},
        headers=lisi,
    )
    assert licence.status_code == 201, licence.text
    assert licence.json() | {"id": 0, "created_at": ""} == {
        "id": 0,
        "kind": "licence",
        "plate": None,
        "vehicle_type": None,
        "licence_number": "4419**********3523",
        "licence_class": "C1",
        "holder_name": "李*",
        "created_at": "",
    }
    listed = client.get("/v1/me/bindings", headers=lisi).json()
    assert [i["kind"] for i in listed["items"]] == ["vehicle", "licence"] and listed["total"] == 2
    again = client.post("/v1/me/bindings", json=LISI_VEHICLE, headers=lisi)
    assert again.status_code == 409 and "已绑定" in again.json()["detail"]
    other = client.post(
        "/v1/me/bindings",
        json={
            "kind": "licence",
            "licence_number": "441900199001011231",
            "file_number": "441912345678",
        },
        headers=lisi,
    )
    assert other.status_code == 409 and "请先解除原绑定" in other.json()["detail"]


def test_the_same_vehicle_may_be_bound_by_two_citizens(
    client: TestClient, headers_of: Headers
) -> None:
    proof = {"kind": "vehicle", "plate": "粤S12345", "vin6": "123456"}
    assert (
        client.post("/v1/me/bindings", json=proof, headers=headers_of("c-spouse")).status_code
        == 201
    )
    assert client.get("/v1/me/bindings", headers=headers_of("zhangsan")).json()["total"] == 2


def test_a_wrong_proof_does_not_say_which_half_is_wrong(
    client: TestClient, headers_of: Headers
) -> None:
    lisi = headers_of("lisi")
    wrong_vin = client.post(
        "/v1/me/bindings", json={**LISI_VEHICLE, "vin6": "654320"}, headers=lisi
    )
    unknown_plate = client.post(
        "/v1/me/bindings", json={**LISI_VEHICLE, "plate": "粤SD66889"}, headers=lisi
    )
    assert wrong_vin.status_code == unknown_plate.status_code == 422
    assert wrong_vin.headers["content-type"] == "application/problem+json"
    assert wrong_vin.json()["detail"] == unknown_plate.json()["detail"]
    assert wrong_vin.json()["errors"] == unknown_plate.json()["errors"]
    assert "核验未通过" in wrong_vin.json()["detail"]
    wrong_file = client.post(
        "/v1/me/bindings", json={**LISI_LICENCE, "file_number": "441987654320"}, headers=lisi
    )
    unknown_licence = client.post(
        "/v1/me/bindings",
        json={**LISI_LICENCE, "licence_number": "11010519491231002X"},
        headers=lisi,
    )
    assert wrong_file.status_code == unknown_licence.status_code == 422
    assert wrong_file.json()["detail"] == unknown_licence.json()["detail"]


def test_malformed_identifiers_are_named(client: TestClient, headers_of: Headers) -> None:
    lisi = headers_of("lisi")
    cases = [
        ({**LISI_VEHICLE, "plate": "粤SI6888"}, "plate", "不使用字母I和O"),
        ({**LISI_VEHICLE, "vin6": "65432"}, "vin6", "车架号后六位应为6位"),
        (
            {**LISI_LICENCE, "licence_number": "441900198505203524"},
            "licence_number",
            "驾驶证号第18位校验码不符",
        ),
        ({**LISI_LICENCE, "file_number": "4419876543"}, "file_number", "档案编号应为12位数字"),
    ]
    for body, field, message in cases:
        response = client.post("/v1/me/bindings", json=body, headers=lisi)
        assert response.status_code == 422, body
        assert message in response.json()["detail"]
        assert [e["field"] for e in response.json()["errors"]] == [field]
    unknown_kind = client.post("/v1/me/bindings", json={"kind": "boat"}, headers=lisi)
    assert unknown_kind.status_code == 422
    # Malformed input is not a guess: it does not count towards the throttle.
    assert client.post("/v1/me/bindings", json=LISI_VEHICLE, headers=lisi).status_code == 201


def test_repeated_failures_are_throttled(client: TestClient, headers_of: Headers, clock) -> None:
    lisi = headers_of("lisi")
    wrong = {**LISI_VEHICLE, "vin6": "000000"}
    for _ in range(5):
        assert client.post("/v1/me/bindings", json=wrong, headers=lisi).status_code == 422
        clock.advance(minutes=1)
    throttled = client.post("/v1/me/bindings", json=LISI_VEHICLE, headers=lisi)
    assert throttled.status_code == 429
    assert throttled.headers["content-type"] == "application/problem+json"
    assert 0 < int(throttled.headers["retry-after"]) <= 3600 - 5 * 60 + 60
    assert "次数过多" in throttled.json()["detail"]
    licence = client.post("/v1/me/bindings", json=LISI_LICENCE, headers=lisi)
    assert licence.status_code == 429
    # Another citizen is not affected.
    assert (
        client.post("/v1/me/bindings", json=LISI_VEHICLE, headers=headers_of("c-other")).status_code
        == 201
    )
    clock.advance(seconds=int(throttled.headers["retry-after"]))
    assert client.post("/v1/me/bindings", json=LISI_VEHICLE, headers=lisi).status_code == 201


def test_the_throttle_is_a_setting(make_client, headers_of: Headers) -> None:
    client = make_client(binding_max_failures=1, binding_failure_window_seconds=60)
    lisi = headers_of("lisi")
    assert (
        client.post(
            "/v1/me/bindings", json={**LISI_VEHICLE, "vin6": "000000"}, headers=lisi
        ).status_code
        == 422
    )
    response = client.post("/v1/me/bindings", json=LISI_VEHICLE, headers=lisi)
    assert response.status_code == 429 and response.headers["retry-after"] == "60"


def test_unbinding_one(client: TestClient, headers_of: Headers) -> None:
    zhangsan = headers_of("zhangsan")
    items = client.get("/v1/me/bindings", headers=zhangsan).json()["items"]
    vehicle = next(i for i in items if i["kind"] == "vehicle")
    path = f"/v1/me/bindings/{vehicle['id']}"
    assert client.delete(path, headers=headers_of("lisi")).status_code == 404
    assert client.delete(path).status_code == 401
    assert client.delete(path, headers=zhangsan).status_code == 204
    assert client.delete(path, headers=zhangsan).status_code == 404
    assert [i["kind"] for i in client.get("/v1/me/bindings", headers=zhangsan).json()["items"]] == [
        "licence"
    ]


def test_bindings_need_a_citizen(client: TestClient) -> None:
    assert client.get("/v1/me/bindings").status_code == 401
    assert client.post("/v1/me/bindings", json=LISI_VEHICLE).status_code == 401
