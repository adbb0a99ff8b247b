import pytest
from fastapi.testclient import TestClient

from accounts.registry_seed import registry_accounts
from accounts.seed import seed
from servicekit.contract_checks import assert_suite_conventions
from servicekit.testing import seed_database

ACTIVE_CODES = sorted(a.code for a in registry_accounts() if a.status == "active")
SERVICE_CODES = sorted(a.code for a in registry_accounts() if a.kind == "service")


def codes(client: TestClient, **params: str) -> list[str]:
    """The codes the list endpoint returns for `params`, after checking `total` agrees."""
    found: list[str] = []
    while True:
        body = client.get("/v1/accounts", params={"limit": 100, "offset": len(found), **params})
        items = body.json()["items"]
        found += [item["code"] for item in items]
        if not items:
            assert body.json()["total"] == len(found)
            return found


@pytest.mark.slow
def test_lists_every_active_account_ordered_by_code(client: TestClient) -> None:
    assert codes(client) == ACTIVE_CODES
    assert 95 <= len(ACTIVE_CODES) <= 105


@pytest.mark.slow
@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"category": "traffic"}, ["dgjj"]),
        ({"category": "weather"}, ["dgtq"]),
        ({"category": "town", "q": "荔香"}, ["lxdl"]),
        ({"category": "tax", "status": "all"}, ["dgds", "dggs"]),
        ({"category": "tax", "status": "retired"}, ["dgds"]),
        ({"category": "tax"}, ["dggs"]),
        ({"town": "humen"}, ["humenfb"]),
        ({"q": "大岭山"}, ["dalingshanfb"]),
        ({"q": "12345"}, ["dg12345"]),
        ({"category": "tax", "kind": "subscription"}, []),
        ({"town": "dalang"}, ["lxdl"]),
        ({"q": "交警"}, ["dgjj"]),
        ({"q": "罚款"}, ["dgjj"]),
        ({"q": "菜单"}, ["dgtj", "dgtq"]),
        ({"q": "菜单", "kind": "service"}, ["dgtj"]),
        ({"q": "7000+"}, ["lxdl"]),
        ({"q": "  "}, ACTIVE_CODES),
        ({"q": "_"}, []),
        ({"q": "%"}, []),
    ],
)
def test_filters(client: TestClient, params: dict[str, str], expected: list[str]) -> None:
    assert codes(client, **params) == expected


def test_kind_filters(client: TestClient) -> None:
    assert codes(client, kind="service", status="all") == SERVICE_CODES
    subscriptions = codes(client, kind="subscription")
    assert {"dgtq", "lxdl", "humenfb"} <= set(subscriptions)
    assert not set(subscriptions) & set(SERVICE_CODES)


def test_accounts_are_paged_and_limit_is_capped(client: TestClient) -> None:
    total = len(ACTIVE_CODES)
    pages = [
        client.get("/v1/accounts", params={"limit": 40, "offset": offset}).json()
        for offset in (0, 40, 80)
    ]
    assert [len(p["items"]) for p in pages] == [40, 40, total - 80]
    assert all(p["total"] == total for p in pages)
    assert [i["code"] for p in pages for i in p["items"]] == ACTIVE_CODES
    assert len(client.get("/v1/accounts", params={"limit": 500}).json()["items"]) == total


def test_account_detail(client: TestClient) -> None:
    body = client.get("/v1/accounts/dgjj").json()
    assert body["name"] == "东莞交警"
    assert body["kind"] == "service"
    assert body["agency"] == "东莞市公安局交通警察支队"
    assert body["launch_date"] == "2013-07-01"
    assert body["followers"] == 320000
    assert body["status"] == "active"
    assert "罚款微信支付" in body["description"]


def test_town_account_with_unknowns_left_empty(client: TestClient) -> None:
    body = client.get("/v1/accounts/lxdl").json()
    assert (body["name"], body["town"], body["category"]) == ("荔香大朗", "dalang", "town")
    # Only the month of launch is known; the day is not invented.
    assert body["launch_date"] is None and "2013年7月" in body["description"]
    assert body["wechat_id"] is None


def test_unknown_account_is_a_chinese_problem(client: TestClient) -> None:
    response = client.get("/v1/accounts/nope")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["status"] == 404 and "未找到公众号" in problem["detail"]


@pytest.mark.parametrize(
    ("params", "field"),
    [({"limit": "abc"}, "limit"), ({"kind": "enterprise"}, "kind"), ({"status": "gone"}, "status")],
)
def test_bad_query_is_a_422_naming_the_field(
    client: TestClient, params: dict[str, str], field: str
) -> None:
    response = client.get("/v1/accounts", params=params)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert [e["field"] for e in response.json()["errors"]] == [field]


def test_retired_accounts_keep_their_detail(client: TestClient) -> None:
    body = client.get("/v1/accounts/dgds").json()
    assert (body["name"], body["status"]) == ("东莞地税", "retired")
    assert "dgds" not in codes(client)
    assert "dgds" in codes(client, status="all")


@pytest.mark.slow
def test_seed_is_idempotent(client: TestClient, seeded_database_url: str) -> None:
    before = [client.get(f"/v1/accounts/{code}").json() for code in codes(client, status="all")]
    summary = seed_database(seeded_database_url, seed)
    assert f"accounts: {len(registry_accounts())} official accounts" in summary
    after = [client.get(f"/v1/accounts/{code}").json() for code in codes(client, status="all")]
    assert after == before


def test_follows_the_suite_conventions(client: TestClient) -> None:
    assert_suite_conventions(client, "/v1/accounts")
