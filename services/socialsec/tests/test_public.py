"""Public endpoints: FAQ search, rates, policy rules."""

from fastapi.testclient import TestClient


def test_faq_is_searchable_by_text(client: TestClient) -> None:
    everything = client.get("/v1/faq", params={"limit": 100}).json()
    assert everything["total"] == 14
    found = client.get("/v1/faq", params={"q": "公积金"}).json()
    assert "provident-fund" in [i["code"] for i in found["items"]]
    both = client.get("/v1/faq", params={"q": "社保卡 公积金"}).json()
    assert [i["code"] for i in both["items"]] == ["provident-fund"]
    dalang = client.get("/v1/faq", params={"q": "83106399"}).json()
    assert [i["code"] for i in dalang["items"]] == ["office-phone"]
    assert client.get("/v1/faq", params={"q": "火星"}).json() == {"items": [], "total": 0}
    by_category = client.get("/v1/faq", params={"category": "社保卡"}).json()
    assert by_category["total"] == 3


def test_faq_search_takes_wildcards_literally(client: TestClient) -> None:
    # One answer quotes rates such as 16%; `%` and `_` are text to find, not LIKE's wildcards.
    percent = client.get("/v1/faq", params={"q": "%"}).json()
    assert [i["code"] for i in percent["items"]] == ["contribution-rates"]
    assert client.get("/v1/faq", params={"q": "16%、"}).json()["total"] == 1
    assert client.get("/v1/faq", params={"q": "_"}).json() == {"items": [], "total": 0}
    assert client.get("/v1/faq", params={"q": "社保_"}).json() == {"items": [], "total": 0}


def test_rates_in_force_on_a_day(client: TestClient) -> None:
    body = client.get("/v1/rates", params={"on": "2019-06-01"}).json()
    rows = {r["insurance"]: r for r in body["items"]}
    assert body["total"] == 5
    assert (rows["pension"]["employer_pct"], rows["pension"]["employee_pct"]) == (14.0, 8.0)
    assert rows["pension"]["effective_from"] == "2019-05-01"
    assert rows["unemployment"]["employer_pct"] == 0.48
    guangzhou = client.get(
        "/v1/rates", params={"region": "guangzhou", "insurance": "medical"}
    ).json()
    assert [(r["employer_pct"], r["employee_pct"], r["source"]) for r in guangzhou["items"]] == [
        (7.0, 2.0, "reference")
    ]
    assert client.get("/v1/rates", params={"insurance": "housing"}).status_code == 422


def test_rules_are_described_and_the_free_bus_rule_can_be_tried(client: TestClient) -> None:
    rules = client.get("/v1/eligibility/rules").json()["items"]
    assert [r["rule"] for r in rules] == ["provident_fund_withdrawal", "elderly_free_bus"]
    assert "收款账户" in rules[0]["description"] and "65周岁" in rules[1]["description"]
    tried = client.post(
        "/v1/eligibility/elderly-free-bus",
        json={"birth_date": "1958-04-12", "dongguan_household": False, "residence_permit": True},
    ).json()
    assert tried["eligible"] is True and all(c["met"] for c in tried["conditions"])
    young = client.post(
        "/v1/eligibility/elderly-free-bus",
        json={"birth_date": "1990-01-01", "dongguan_household": False, "residence_permit": False},
    ).json()
    assert young["eligible"] is False and "需年满65周岁" in young["summary"]
    assert client.post("/v1/eligibility/elderly-free-bus", json={}).status_code == 422
