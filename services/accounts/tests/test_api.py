import pytest
from fastapi.testclient import TestClient

from accounts.seed import seed
from servicekit.testing import assert_suite_conventions, seed_database

ALL_CODES = [
    "dgbj",
    "dggs",
    "dgjj",
    "dglyj",
    "dgrs",
    "dgsb",
    "dgsw",
    "dgtj",
    "dgtq",
    "gxhk",
    "lxdl",
]


def codes(client: TestClient, **params: str) -> list[str]:
    """The codes the list endpoint returns for `params`, after checking `total` agrees."""
    body = client.get("/v1/accounts", params={"limit": 100, **params}).json()
    assert body["total"] == len(body["items"])
    return [item["code"] for item in body["items"]]


def test_lists_every_account_ordered_by_code(client: TestClient) -> None:
    assert codes(client) == ALL_CODES


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"kind": "service"}, ["dggs", "dgjj", "dgsb", "dgtj"]),
        ({"kind": "subscription"}, ["dgtq", "lxdl"]),
        ({"category": "traffic"}, ["dgjj"]),
        ({"category": "tax", "kind": "subscription"}, []),
        ({"town": "dalang"}, ["lxdl"]),
        ({"town": "humen"}, []),
        ({"q": "交警"}, ["dgjj"]),
        ({"q": "罚款"}, ["dgjj"]),
        ({"q": "菜单"}, ["dgtj", "dgtq"]),
        ({"q": "菜单", "kind": "service"}, ["dgtj"]),
        ({"q": "7000+"}, ["lxdl"]),
        ({"q": "  "}, ALL_CODES),
        ({"q": "_"}, []),
        ({"q": "%"}, []),
    ],
)
def test_filters(client: TestClient, params: dict[str, str], expected: list[str]) -> None:
    assert codes(client, **params) == expected


def test_accounts_are_paged_and_limit_is_capped(client: TestClient) -> None:
    pages = [
        client.get("/v1/accounts", params={"limit": 5, "offset": offset}).json()
        for offset in (0, 5, 10)
    ]
    assert [len(p["items"]) for p in pages] == [5, 5, 1]
    assert all(p["total"] == 11 for p in pages)
    assert [i["code"] for p in pages for i in p["items"]] == ALL_CODES
    assert len(client.get("/v1/accounts", params={"limit": 500}).json()["items"]) == 11


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
    ("params", "field"), [({"limit": "abc"}, "limit"), ({"kind": "enterprise"}, "kind")]
)
def test_bad_query_is_a_422_naming_the_field(
    client: TestClient, params: dict[str, str], field: str
) -> None:
    response = client.get("/v1/accounts", params=params)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert [e["field"] for e in response.json()["errors"]] == [field]


def test_seed_is_idempotent(client: TestClient, migrated_database_url: str) -> None:
    before = client.get("/v1/accounts", params={"limit": 100}).json()
    assert seed_database(migrated_database_url, seed) == "accounts: 11 official accounts"
    assert client.get("/v1/accounts", params={"limit": 100}).json() == before


def test_follows_the_suite_conventions(client: TestClient) -> None:
    assert_suite_conventions(client, "/v1/accounts")
