"""Enquiries of the bound citizen: contributions, accounts, card, pensions, eligibility."""

from collections.abc import Callable
from datetime import date

from fastapi.testclient import TestClient

from socialsec.rates import RateBook, monthly_amount, rate_table

Headers = Callable[[str], dict[str, str]]
LIUJIANGUO = {"name": "刘建国", "id_number": "430521195804121230", "card_number": "S19580412"}


def all_rows(client: TestClient, headers: dict[str, str], **params: str) -> list[dict]:
    rows: list[dict] = []
    while True:
        page = client.get(
            "/v1/me/contributions",
            params={**params, "limit": 100, "offset": len(rows)},
            headers=headers,
        ).json()
        rows += page["items"]
        if len(rows) >= page["total"]:
            return rows


def test_profile_is_masked(client: TestClient, headers_of: Headers) -> None:
    body = client.get("/v1/me/profile", headers=headers_of("zhangsan")).json()
    assert body | {"age": 0} == {
        "name": "张*",
        "id_number": "441***********1231",
        "card_number": "*****0123",
        "gender": "男",
        "age": 0,
        "status": "active",
        "status_text": "在职参保",
        "insured_since": "2013-12",
        "employer": "东莞市南城云帆科技有限公司",
        "town_name": "东城街道",
        "household": "东莞户籍",
        "residence_permit": False,
    }
    assert body["age"] == 36


def test_rows_recompute_from_base_times_the_months_rate_and_totals_add_up(
    client: TestClient, headers_of: Headers
) -> None:
    headers = headers_of("zhangsan")
    # 2018-07 to 2019-12 crosses the 2019-05 pension and unemployment rate changes.
    period = {"from": "2018-07", "to": "2019-12"}
    rows = all_rows(client, headers, **period)
    assert len(rows) == 18 * 5
    book = RateBook(rate_table())
    employer_bp = set()
    for row in rows:
        month = date.fromisoformat(row["month"] + "-01")
        rate = book.in_force(region="dongguan", insurance=row["insurance"], month=month)
        expected = monthly_amount(rate=rate, declared_base_fen=row["base_fen"])
        assert (row["employer_fen"], row["employee_fen"]) == (
            expected.employer_fen,
            expected.employee_fen,
        )
        assert row["total_fen"] == row["employer_fen"] + row["employee_fen"]
        if row["insurance"] == "pension":
            employer_bp.add(
                (row["month"] >= "2019-05", row["employer_fen"] * 10_000 // row["base_fen"])
            )
    assert employer_bp == {(False, 1300), (True, 1400)}
    summary = client.get("/v1/me/contributions/summary", params=period, headers=headers).json()
    totals = summary["totals"]
    assert totals["employer_fen"] == sum(r["employer_fen"] for r in rows)
    assert totals["employee_fen"] == sum(r["employee_fen"] for r in rows)
    assert totals["total_fen"] == totals["paid_fen"] + totals["owed_fen"]
    assert totals["months_paid"] == 18 and summary["gap_months"] == []
    for item in summary["by_insurance"]:
        mine = [r for r in rows if r["insurance"] == item["insurance"]]
        assert item["total_fen"] == sum(r["total_fen"] for r in mine)


def test_gap_months_owed_months_and_filters(client: TestClient, headers_of: Headers) -> None:
    headers = headers_of("zhangsan")
    summary = client.get("/v1/me/contributions/summary", headers=headers).json()
    assert (summary["from_month"], summary["to_month"]) == ("2013-12", "2026-05")
    assert summary["gap_months"] == [
        "2016-10",
        "2016-11",
        "2016-12",
        "2017-01",
        "2017-02",
        "2017-03",
    ]
    assert summary["totals"]["months_owed"] == 2 and summary["continuous_months"] == 110
    owed = all_rows(client, headers, status="owed", insurance="pension")
    assert [(r["month"], r["status_text"]) for r in owed] == [
        ("2026-05", "欠缴"),
        ("2026-04", "欠缴"),
    ]
    medical = client.get(
        "/v1/me/contributions/summary",
        params={"insurance": "medical", "from": "2016-01", "to": "2016-12"},
        headers=headers,
    ).json()
    assert [i["insurance"] for i in medical["by_insurance"]] == ["medical"]
    assert medical["totals"]["months_paid"] == 9
    assert medical["gap_months"] == ["2016-10", "2016-11", "2016-12"]


def test_bad_periods_are_chinese_422s(client: TestClient, headers_of: Headers) -> None:
    headers = headers_of("zhangsan")
    for params, field in [
        ({"from": "2024-13"}, "from"),
        ({"from": "2025-01", "to": "2024-01"}, "from"),
        ({"to": "2027-01"}, "to"),
        ({"insurance": "housing"}, "insurance"),
    ]:
        response = client.get("/v1/me/contributions", params=params, headers=headers)
        assert response.status_code == 422, params
        assert response.headers["content-type"] == "application/problem+json"
        assert [e["field"] for e in response.json()["errors"]] == [field]


def test_account_balances_match_their_histories(client: TestClient, headers_of: Headers) -> None:
    headers = headers_of("zhangsan")
    balances = client.get("/v1/me/accounts", headers=headers).json()["items"]
    assert [b["account"] for b in balances] == ["pension", "medical"]
    for balance in balances:
        entries = client.get(
            f"/v1/me/accounts/{balance['account']}/entries",
            params={"limit": 100},
            headers=headers,
        ).json()
        items = entries["items"]
        assert entries["total"] == len(items) > 0
        assert items[0]["balance_fen"] == balance["balance_fen"] > 0
        assert sum(i["amount_fen"] for i in items) == balance["balance_fen"]
    kinds = {
        i["kind"]
        for i in client.get(
            "/v1/me/accounts/pension/entries", params={"limit": 100}, headers=headers
        ).json()["items"]
    }
    assert kinds == {"credit", "interest"}
    assert client.get("/v1/me/accounts/housing/entries", headers=headers).status_code == 422


def test_card_status_and_progress(client: TestClient, headers_of: Headers) -> None:
    card = client.get("/v1/me/card", headers=headers_of("chenxiaomei")).json()
    assert (card["status_text"], card["stage"], card["stage_text"]) == ("正常", "ready", "待领取")
    assert [p["stage_text"] for p in card["progress"]] == ["受理", "制卡中", "待领取"]
    assert card["pickup_office"] == "虎门镇社保分局" and card["card_number"] == "*****0808"
    assert card["bank_account"].startswith("*") and card["progress"][0]["at"].endswith("+08:00")
    wangwu = client.get("/v1/me/card", headers=headers_of("wangwu")).json()
    assert (wangwu["status_text"], wangwu["stage_text"]) == ("挂失", "制卡中")


def test_a_retiree_sees_pension_payments_and_qualifies_for_free_buses(
    client: TestClient, headers_of: Headers
) -> None:
    lisi = headers_of("lisi")
    assert client.post("/v1/me/bindings", json=LIUJIANGUO, headers=lisi).status_code == 201
    payments = client.get("/v1/me/pension-payments", headers=lisi).json()
    assert payments["total"] == 36
    latest = payments["items"][0]
    assert latest["month"] == "2026-06" and latest["paid_on"] == "2026-06-10"
    assert latest["amount_fen"] == 265_000 + 10_600 * 8
    profile = client.get("/v1/me/profile", headers=lisi).json()
    assert (profile["status_text"], profile["household"]) == ("退休", "非东莞户籍")
    summary = client.get("/v1/me/contributions/summary", headers=lisi).json()
    assert summary["to_month"] == "2026-05" and summary["gap_months"] == []
    assert summary["totals"]["months_paid"] == 83  # 2011-07 to 2018-04
    rules = {r["rule"]: r for r in client.get("/v1/me/eligibility", headers=lisi).json()["items"]}
    assert rules["elderly_free_bus"]["eligible"] is True
    assert client.get("/v1/me/pension-payments", headers=headers_of("zhangsan")).json() == {
        "items": [],
        "total": 0,
    }


def test_eligibility_is_explained_and_the_age_is_a_setting(
    make_client: Callable[..., TestClient], headers_of: Headers
) -> None:
    client = make_client()
    zhangsan = {
        r["rule"]: r
        for r in client.get("/v1/me/eligibility", headers=headers_of("zhangsan")).json()["items"]
    }
    assert zhangsan["provident_fund_withdrawal"]["eligible"] is True
    assert "社保卡金融账户" in zhangsan["provident_fund_withdrawal"]["summary"]
    wangwu = {
        r["rule"]: r
        for r in client.get("/v1/me/eligibility", headers=headers_of("wangwu")).json()["items"]
    }
    fund = wangwu["provident_fund_withdrawal"]
    assert fund["eligible"] is False and "挂失" in fund["summary"]
    bus = wangwu["elderly_free_bus"]
    assert bus["eligible"] is False
    assert [c["code"] for c in bus["conditions"] if not c["met"]] == ["age"]
    lowered = make_client(free_bus_age=50)
    assert (
        lowered.get("/v1/me/eligibility", headers=headers_of("wangwu"))
        .json()["items"][1]["conditions"][0]["text"]
        .startswith("需年满50周岁")
    )


def test_every_read_is_in_the_access_log(client: TestClient, headers_of: Headers) -> None:
    headers = headers_of("chenxiaomei")
    assert client.get("/v1/me/access-log", headers=headers).json()["total"] == 0
    reads = [
        ("/v1/me/profile", "profile"),
        ("/v1/me/contributions", "contributions"),
        ("/v1/me/contributions/summary", "contribution_summary"),
        ("/v1/me/accounts", "accounts"),
        ("/v1/me/accounts/pension/entries", "account_entries"),
        ("/v1/me/card", "card"),
        ("/v1/me/pension-payments", "pension_payments"),
        ("/v1/me/eligibility", "eligibility"),
        ("/v1/me/bindings", "bindings"),
    ]
    for index, (path, _) in enumerate(reads):
        response = client.get(path, headers={**headers, "X-Request-ID": f"req-{index}"})
        assert response.status_code == 200, path
    log = client.get("/v1/me/access-log", params={"limit": 100}, headers=headers).json()
    assert log["total"] == len(reads)
    assert [(i["resource"], i["request_id"]) for i in reversed(log["items"])] == [
        (resource, f"req-{index}") for index, (_, resource) in enumerate(reads)
    ]
    assert all(i["at"].endswith("+08:00") and i["resource_text"] for i in log["items"])
    contributions = next(i for i in log["items"] if i["resource"] == "contributions")
    assert contributions["detail"] == "2017-06至2026-05 全部险种"
    # Another citizen's log holds none of these reads.
    assert client.get("/v1/me/access-log", headers=headers_of("zhangsan")).json()["total"] == 0
