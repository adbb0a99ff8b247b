from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlmodel import Session

from servicekit.contract_checks import assert_suite_conventions
from servicekit.testing import seed_database


def test_lists_one_office_per_division(client: TestClient) -> None:
    body = client.get("/v1/offices", params={"limit": 100}).json()
    assert body["total"] == 33
    towns = [item["town"] for item in body["items"]]
    assert towns == sorted(towns) and len(set(towns)) == 33
    assert {"dalang", "guancheng", "songshanhu"} <= set(towns)
    for item in body["items"]:
        assert item["name"].startswith("东莞市社会保险基金管理中心")
        assert item["name"].endswith("分局")
        assert item["phone"].startswith("0769-8") and len(item["phone"]) == 13


def test_offices_are_paged_and_limit_is_capped(client: TestClient) -> None:
    first = client.get("/v1/offices", params={"limit": 10}).json()
    second = client.get("/v1/offices", params={"limit": 10, "offset": 10}).json()
    last = client.get("/v1/offices", params={"limit": 10, "offset": 30}).json()
    assert (len(first["items"]), len(second["items"]), len(last["items"])) == (10, 10, 3)
    assert not {i["town"] for i in first["items"]} & {i["town"] for i in second["items"]}
    assert len(client.get("/v1/offices", params={"limit": 500}).json()["items"]) == 33


def test_filter_by_town_gives_dalangs_real_number(client: TestClient) -> None:
    body = client.get("/v1/offices", params={"town": "dalang"}).json()
    assert body["total"] == 1
    [office] = body["items"]
    assert office["name"] == "东莞市社会保险基金管理中心大朗分局"
    assert office["town_name"] == "大朗镇"
    assert office["phone"] == "0769-83106399" and office["phone_demo"] is False


def test_office_detail(client: TestClient) -> None:
    dalang = client.get("/v1/offices/dalang").json()
    assert dalang["phone"] == "0769-83106399"
    guancheng = client.get("/v1/offices/guancheng").json()
    assert guancheng["name"] == "东莞市社会保险基金管理中心莞城分局"
    assert guancheng["phone_demo"] is True and guancheng["demo"] is True
    assert guancheng["phone"] != dalang["phone"]


def test_unknown_town_is_a_chinese_problem(client: TestClient) -> None:
    for path, params in [("/v1/offices/atlantis", {}), ("/v1/offices", {"town": "atlantis"})]:
        response = client.get(path, params=params)
        assert response.status_code == 404
        assert response.headers["content-type"] == "application/problem+json"
        problem = response.json()
        assert problem["status"] == 404 and "未找到镇街" in problem["detail"]
        assert "atlantis" in problem["detail"]


def test_seed_is_idempotent(
    client: TestClient, seeded_database_url: str, service_seed: Callable[[Session], str]
) -> None:
    before = client.get("/v1/offices", params={"limit": 100}).json()
    summary = seed_database(seeded_database_url, service_seed)
    assert summary.startswith("socialsec: 33 offices, 94 rates, 14 FAQ; population already present")
    assert "(2000 insured persons)" in summary
    assert client.get("/v1/offices", params={"limit": 100}).json() == before


def test_follows_the_suite_conventions(client: TestClient) -> None:
    assert_suite_conventions(client, "/v1/offices")
