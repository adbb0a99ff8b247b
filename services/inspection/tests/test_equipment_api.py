"""The public lookups over HTTP: by code, by certificate, the lift card, 422 naming the field."""

import pytest
from fastapi.testclient import TestClient

from inspection.population import DEMO_LIFT, DEMO_OVERDUE_LIFT, Registry
from servicekit.contract_checks import assert_integers_bounded, assert_suite_conventions


def test_lookup_by_registration_code(client: TestClient) -> None:
    body = client.get(f"/v1/equipment/{DEMO_LIFT}").json()
    assert body["category"] == "电梯" and body["variety"] == "曳引驱动乘客电梯"
    assert body["town"] == "南城街道" and body["status"] == "在用"
    assert body["user_unit"].startswith("东莞市")
    assert body["last_inspection"] == "2026-03-07" and body["conclusion"] == "合格"
    assert body["next_due"] == "2027-03-07" and body["overdue"] is False


def test_lookup_by_certificate_number_finds_the_same(client: TestClient) -> None:
    answer = client.get("/v1/equipment", params={"certificate": "梯11粤S00001（15）"})
    assert answer.status_code == 200
    assert answer.json()["registration_code"] == DEMO_LIFT


def test_an_overdue_lift(client: TestClient) -> None:
    body = client.get(f"/v1/equipment/{DEMO_OVERDUE_LIFT}").json()
    assert body["overdue"] is True and body["next_due"] == "2026-05-11"
    card = client.get(f"/v1/equipment/{DEMO_OVERDUE_LIFT}/lift-card").json()
    assert card["usable"] is False and "请勿乘用" in card["notice"]


def test_the_lift_card(client: TestClient) -> None:
    card = client.get(f"/v1/equipment/{DEMO_LIFT}/lift-card").json()
    assert card["emergency_phone"] == "96333" and card["usable"] is True
    assert card["next_due"] == "2027-03-07" and "2027年03月07日" in card["notice"]


def test_equipment_other_than_lifts_has_no_card(client: TestClient, registry: Registry) -> None:
    forklift = next(e for e in registry.equipment if e["variety_code"] == "5110")
    assert client.get(f"/v1/equipment/{forklift['registration_code']}").json()["variety"] == "叉车"
    answer = client.get(f"/v1/equipment/{forklift['registration_code']}/lift-card")
    assert answer.status_code == 404 and "不是电梯" in answer.json()["detail"]
    assert answer.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize(
    ("path", "params", "field"),
    [
        ("/v1/equipment/3110441900201506000", {}, "registration_code"),
        ("/v1/equipment/99994419002015060001", {}, "registration_code"),
        ("/v1/equipment/31104419002015060001X/lift-card", {}, "registration_code"),
        ("/v1/equipment", {"certificate": "梯11粤S0001(15)"}, "certificate"),
        ("/v1/equipment", {"certificate": "梯99粤S00001(15)"}, "certificate"),
        ("/v1/equipment", {}, "certificate"),
    ],
)
def test_malformed_identifiers_are_422_naming_the_field(
    client: TestClient, path: str, params: dict[str, str], field: str
) -> None:
    answer = client.get(path, params=params)
    assert answer.status_code == 422
    assert answer.headers["content-type"] == "application/problem+json"
    assert [e["field"] for e in answer.json()["errors"]] == [field]


def test_well_formed_but_unregistered_is_a_chinese_404(client: TestClient) -> None:
    answer = client.get("/v1/equipment/31104419002015069999")
    assert answer.status_code == 404 and "未找到该设备" in answer.json()["detail"]
    answer = client.get("/v1/equipment", params={"certificate": "梯11粤S99999(15)"})
    assert answer.status_code == 404


def test_guides_search_and_fees(client: TestClient) -> None:
    found = client.get("/v1/guides", params={"q": "电梯 维保"}).json()
    assert [g["code"] for g in found["items"]] == ["lift-maintenance"] and found["total"] == 1
    assert client.get("/v1/guides").json()["total"] == 4
    assert client.get("/v1/guides", params={"q": "游艇"}).json() == {"items": [], "total": 0}
    fees = client.get("/v1/fees").json()
    assert all(isinstance(f["amount_fen"], int) and f["demo"] for f in fees)
    assert fees[0]["item"] == "电梯定期检验"


def test_guides_paging_is_capped(client: TestClient) -> None:
    assert client.get("/v1/guides", params={"limit": 1000}).json()["total"] == 4
    assert (
        client.get("/v1/guides", params={"limit": 1, "offset": 1}).json()["items"][0]["code"]
        == "change"
    )


@pytest.mark.slow
def test_suite_conventions(client: TestClient) -> None:
    assert_suite_conventions(client, "/v1/guides")
    assert_integers_bounded(client, "inspection", ["inspector"])
