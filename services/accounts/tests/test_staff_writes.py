from datetime import datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from servicekit.testing import mint_token


def admin(request_id: str | None = None) -> dict[str, str]:
    """Headers of a registry admin, minted now: internal tokens live 60 s at most."""
    headers = mint_token("accounts", "staff-lin", ["registry_admin"], kind="staff")
    return headers | ({"X-Request-ID": request_id} if request_id else {})


NEW_ACCOUNT = {
    "code": "dgtest",
    "name": "东莞测试",
    "kind": "subscription",
    "agency": "东莞市测试局",
    "category": "testing",
    "town": "humen",
    "appid": "wx0123456789abcdef",
    "launch_date": "2026-01-02",
    "description": "测试账号",
}

WRITES: list[tuple[str, str, Any]] = [
    ("POST", "/v1/accounts", NEW_ACCOUNT),
    ("PATCH", "/v1/accounts/dgjj", {"name": "东莞交警"}),
    ("POST", "/v1/accounts/dgjj/retire", None),
    ("PUT", "/v1/accounts/dgjj/menu", {"button": [{"type": "click", "name": "A", "key": "A"}]}),
    ("PUT", "/v1/accounts/dgjj/keyword-rules", {"rules": []}),
    ("PUT", "/v1/accounts/dgjj/welcome", {"welcome_text": "你好"}),
    ("GET", "/v1/audit", None),
]


def audit(client: TestClient, **params: str) -> list[dict[str, Any]]:
    response = client.get("/v1/audit", params={"limit": 100, **params}, headers=admin())
    assert response.status_code == 200
    return response.json()["items"]


@pytest.mark.slow
@pytest.mark.parametrize(
    ("token", "status"),
    [
        (None, 401),
        (("accounts", "staff-lin", ["registry_admin"], "service"), 401),
        (("weather", "staff-lin", ["registry_admin"], "staff"), 401),
        (("accounts", "staff-wu", ["forecaster"], "staff"), 403),
        (("accounts", "c-1", [], "citizen"), 403),
        (("accounts", "c-1", ["registry_admin"], "citizen"), 403),
    ],
    ids=[
        "no token",
        "service token",
        "token for another service",
        "other role",
        "citizen",
        "citizen claiming the role",
    ],
)
def test_staff_calls_refuse_other_callers(
    registry_client: TestClient, token: tuple[str, str, list[str], str] | None, status: int
) -> None:
    headers = {} if token is None else mint_token(*token)
    for method, path, body in WRITES:
        response = registry_client.request(method, path, json=body, headers=headers)
        assert response.status_code == status, (method, path)
        assert response.headers["content-type"] == "application/problem+json"
    assert registry_client.get("/v1/accounts/dgjj").json()["status"] == "active"
    assert registry_client.get("/v1/accounts/dgtest").status_code == 404
    assert registry_client.get("/v1/accounts/dgjj/chat-config").json()["keyword_rules"]
    assert audit(registry_client) == []


def test_wrong_role_is_403(registry_client: TestClient) -> None:
    forecaster = mint_token("accounts", "staff-wu", ["forecaster"], kind="staff")
    response = registry_client.post("/v1/accounts", json=NEW_ACCOUNT, headers=forecaster)
    assert response.status_code == 403 and "registry_admin" in response.json()["detail"]
    citizen = mint_token("accounts", "c-1", ["registry_admin"], kind="citizen")
    response = registry_client.post("/v1/accounts", json=NEW_ACCOUNT, headers=citizen)
    assert response.status_code == 403 and "工作人员" in response.json()["detail"]


def test_create_an_account(registry_client: TestClient) -> None:
    response = registry_client.post("/v1/accounts", json=NEW_ACCOUNT, headers=admin("req-create-1"))
    assert response.status_code == 201, response.text
    body = response.json()
    assert body == NEW_ACCOUNT | {
        "wechat_id": None,
        "verified_entity": None,
        "followers": None,
        "status": "active",
    }
    assert registry_client.get("/v1/accounts/dgtest").json() == body
    assert "dgtest" in [
        a["code"] for a in registry_client.get("/v1/accounts?town=humen").json()["items"]
    ]

    [entry] = audit(registry_client, entity="account", entity_id="dgtest")
    assert (entry["actor"], entry["action"], entry["request_id"]) == (
        "staff-lin",
        "create",
        "req-create-1",
    )
    assert entry["changes"]["code"] == [None, "dgtest"]
    assert entry["changes"]["launch_date"] == [None, "2026-01-02"]
    assert entry["changes"]["status"] == [None, "active"]
    assert "followers" not in entry["changes"]
    at = datetime.fromisoformat(entry["at"])
    assert at.utcoffset() == timedelta(hours=8)
    assert abs((datetime.now(at.tzinfo) - at).total_seconds()) < 60


def test_an_existing_code_is_a_409(registry_client: TestClient) -> None:
    response = registry_client.post(
        "/v1/accounts", json=NEW_ACCOUNT | {"code": "dgjj"}, headers=admin()
    )
    assert response.status_code == 409
    assert response.headers["content-type"] == "application/problem+json"
    assert "dgjj" in response.json()["detail"]
    assert registry_client.get("/v1/accounts/dgjj").json()["name"] == "东莞交警"
    assert audit(registry_client) == []


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("code", "DG"),
        ("code", "d"),
        ("code", "dg-jj"),
        ("code", "a" * 33),
        ("kind", "enterprise"),
        ("appid", "wx123"),
        ("appid", "wx0123456789ABCDEF"),
        ("town", "shenzhen"),
        ("town", "大朗"),
        ("wechat_id", "1abcdef"),
        ("category", "Traffic"),
        ("name", " "),
        ("name", "名" * 65),
        ("description", "字" * 501),
        ("followers", -1),
        ("followers", 2**63),  # beyond the INTEGER column (a 500 before)
    ],
)
def test_invalid_fields_are_a_422_naming_the_field(
    registry_client: TestClient, field: str, value: Any
) -> None:
    response = registry_client.post(
        "/v1/accounts", json=NEW_ACCOUNT | {field: value}, headers=admin()
    )
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert [e["field"] for e in problem["errors"]] == [field]
    assert "公众号信息无效" in problem["detail"]
    assert registry_client.get("/v1/accounts/dgtest").status_code == 404
    assert audit(registry_client) == []


def test_missing_fields_are_a_422(registry_client: TestClient) -> None:
    response = registry_client.post("/v1/accounts", json={"code": "dgtest"}, headers=admin())
    assert response.status_code == 422
    assert {e["field"] for e in response.json()["errors"]} == {"name", "category"}


def test_update_changes_only_the_given_fields(registry_client: TestClient) -> None:
    before = registry_client.get("/v1/accounts/dgsb").json()
    response = registry_client.patch(
        "/v1/accounts/dgsb",
        json={"wechat_id": "dgshebao", "followers": 12000},
        headers=admin("req-patch-1"),
    )
    assert response.status_code == 200
    assert response.json() == before | {"wechat_id": "dgshebao", "followers": 12000}
    [entry] = audit(registry_client, entity_id="dgsb")
    assert (entry["action"], entry["entity"], entry["request_id"]) == (
        "update",
        "account",
        "req-patch-1",
    )
    assert entry["changes"] == {"wechat_id": [None, "dgshebao"], "followers": [None, 12000]}


def test_an_update_that_changes_nothing_is_not_recorded(registry_client: TestClient) -> None:
    response = registry_client.patch(
        "/v1/accounts/dgjj", json={"name": "东莞交警"}, headers=admin()
    )
    assert response.status_code == 200
    assert audit(registry_client) == []


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"code": "other"}, "code"),
        ({"status": "retired"}, "status"),
        ({"name": None}, "name"),
        ({"category": None}, "category"),
        ({"town": "nowhere"}, "town"),
        ({"launch_date": "2026-13-01"}, "launch_date"),
    ],
)
def test_invalid_updates_are_422(
    registry_client: TestClient, body: dict[str, Any], field: str
) -> None:
    response = registry_client.patch("/v1/accounts/dgjj", json=body, headers=admin())
    assert response.status_code == 422
    assert field in [e["field"] for e in response.json()["errors"]]
    assert audit(registry_client) == []


def test_an_update_can_clear_optional_fields(registry_client: TestClient) -> None:
    response = registry_client.patch("/v1/accounts/dgjj", json={"followers": None}, headers=admin())
    assert response.json()["followers"] is None
    assert audit(registry_client)[0]["changes"] == {"followers": [320000, None]}


def test_writes_to_an_unknown_account_are_404(registry_client: TestClient) -> None:
    for response in (
        registry_client.patch("/v1/accounts/nope", json={"name": "x"}, headers=admin()),
        registry_client.post("/v1/accounts/nope/retire", headers=admin()),
    ):
        assert response.status_code == 404
        assert "未找到公众号" in response.json()["detail"]


def test_retire_an_account(registry_client: TestClient) -> None:
    response = registry_client.post("/v1/accounts/dgbj/retire", headers=admin("req-retire-1"))
    assert response.status_code == 200 and response.json()["status"] == "retired"

    def listed(**params: str) -> list[str]:
        items = registry_client.get("/v1/accounts", params={"limit": 100, **params}).json()["items"]
        return [a["code"] for a in items]

    assert "dgbj" not in listed()
    assert "dgbj" in listed(status="retired") and "dgbj" in listed(status="all")
    assert registry_client.get("/v1/accounts/dgbj").json()["status"] == "retired"

    again = registry_client.post("/v1/accounts/dgbj/retire", headers=admin())
    assert again.status_code == 409 and "已停用" in again.json()["detail"]

    [entry] = audit(registry_client, entity="account", entity_id="dgbj")
    assert entry["action"] == "retire" and entry["request_id"] == "req-retire-1"
    assert entry["changes"] == {"status": ["active", "retired"]}


def test_a_retired_account_can_still_be_corrected(registry_client: TestClient) -> None:
    response = registry_client.patch(
        "/v1/accounts/dgds", json={"agency": "原东莞市地方税务局"}, headers=admin()
    )
    assert response.status_code == 200
    assert response.json()["status"] == "retired"


def test_a_request_id_is_generated_when_none_is_sent(registry_client: TestClient) -> None:
    response = registry_client.post("/v1/accounts/dgbj/retire", headers=admin())
    [entry] = audit(registry_client)
    assert entry["request_id"] == response.headers["x-request-id"] and entry["request_id"]


def test_audit_is_newest_first_filtered_and_paged(registry_client: TestClient) -> None:
    registry_client.patch("/v1/accounts/dgjj", json={"followers": 1}, headers=admin())
    registry_client.patch("/v1/accounts/dgjj", json={"followers": 2}, headers=admin())
    registry_client.put("/v1/accounts/dgjj/welcome", json={"welcome_text": "你好"}, headers=admin())
    registry_client.patch("/v1/accounts/dgtq", json={"followers": 3}, headers=admin())

    assert [e["entity_id"] for e in audit(registry_client)] == ["dgtq", "dgjj", "dgjj", "dgjj"]
    assert [
        e["changes"]["followers"][1]
        for e in audit(registry_client, entity="account", entity_id="dgjj")
    ] == [2, 1]
    assert [e["entity"] for e in audit(registry_client, entity_id="dgjj")] == [
        "welcome",
        "account",
        "account",
    ]
    page = registry_client.get(
        "/v1/audit", params={"limit": 1, "offset": 1}, headers=admin()
    ).json()
    assert page["total"] == 4 and [e["entity_id"] for e in page["items"]] == ["dgjj"]
