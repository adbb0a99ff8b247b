from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlmodel import Session

from servicekit.contract_checks import assert_suite_conventions
from servicekit.testing import seed_database
from traffic.seed import seed


def test_lists_the_12_violation_codes(client: TestClient) -> None:
    body = client.get("/v1/violation-codes", params={"limit": 100}).json()
    assert body["total"] == 12
    codes = [item["code"] for item in body["items"]]
    assert codes == sorted(codes) and len(set(codes)) == 12
    assert {"1625", "1039", "1352A", "4008"} <= set(codes)
    for item in body["items"]:
        assert isinstance(item["fine_fen"], int) and item["fine_fen"] > 0
        assert item["points"] in {0, 1, 3, 6, 9, 12}
        assert isinstance(item["verified"], bool)


def test_violation_codes_are_paged_and_limit_is_capped(client: TestClient) -> None:
    first = client.get("/v1/violation-codes", params={"limit": 5}).json()
    second = client.get("/v1/violation-codes", params={"limit": 5, "offset": 5}).json()
    last = client.get("/v1/violation-codes", params={"limit": 5, "offset": 10}).json()
    assert (len(first["items"]), len(second["items"]), len(last["items"])) == (5, 5, 2)
    assert first["total"] == second["total"] == last["total"] == 12
    assert not {i["code"] for i in first["items"]} & {i["code"] for i in second["items"]}
    assert len(client.get("/v1/violation-codes", params={"limit": 500}).json()["items"]) == 12


def test_violation_code_detail_in_fen(client: TestClient) -> None:
    body = client.get("/v1/violation-codes/1625").json()
    assert body == {
        "code": "1625",
        "description": "驾驶机动车违反道路交通信号灯通行的",
        "points": 6,
        "fine_fen": 20000,
        "verified": True,
    }
    unverified = client.get("/v1/violation-codes/1344").json()
    assert (unverified["fine_fen"], unverified["verified"]) == (10000, False)


def test_letters_in_a_code_may_be_lower_case(client: TestClient) -> None:
    body = client.get("/v1/violation-codes/1352a").json()
    assert (body["code"], body["points"], body["fine_fen"]) == ("1352A", 0, 15000)


def test_unknown_code_is_a_chinese_problem(client: TestClient) -> None:
    response = client.get("/v1/violation-codes/9999")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["status"] == 404 and "未找到违法代码" in problem["detail"]
    assert problem["instance"] == "/v1/violation-codes/9999"


def test_seed_is_idempotent(
    client: TestClient, seeded_database_url: str, service_seed: Callable[[Session], str]
) -> None:
    codes = client.get("/v1/violation-codes", params={"limit": 100}).json()
    lookup = {"plate": "粤S12345", "vin6": "123456"}
    violations = client.get("/v1/violations", params=lookup).json()
    unchanged = (
        "traffic: 12 violation codes; population already present (2000 vehicles); "
        "6 offices, 6 businesses, 10 guides; "
    )
    assert seed_database(seeded_database_url, service_seed) == unchanged + "0 new appointment slots"
    # Seeding on another day only adds the slots of the days not covered yet.
    assert seed_database(seeded_database_url, seed).startswith(unchanged)
    assert client.get("/v1/violation-codes", params={"limit": 100}).json() == codes
    assert client.get("/v1/violations", params=lookup).json() == violations


def test_follows_the_suite_conventions(client: TestClient) -> None:
    assert_suite_conventions(client, "/v1/violation-codes")
