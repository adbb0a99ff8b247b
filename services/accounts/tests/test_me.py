"""`GET /v1/me`: the signed-in citizen's profile, masked openids and consents."""

from fastapi.testclient import TestClient

from servicekit.testing import mint_token, service_headers

UNIONID = "o6_me_test_unionid_000000001"


def resolve(client: TestClient, openid: str, account: str, unionid: str | None = UNIONID) -> str:
    response = client.post(
        "/v1/internal/citizens/resolve",
        json={"account_code": account, "openid": openid, "unionid": unionid},
        headers=service_headers("gateway", "accounts"),
    )
    assert response.status_code == 200, response.text
    return response.json()["citizen_id"]


def test_me_answers_the_citizen_with_masked_openids_and_consents(
    registry_client: TestClient,
) -> None:
    citizen = resolve(registry_client, "oJJ-openid-dgjj-me-000001", "dgjj")
    assert resolve(registry_client, "oTQ-openid-dgtq-me-000002", "dgtq") == citizen
    headers = mint_token("accounts", citizen)
    assert (
        registry_client.post(
            "/v1/me/consents", json={"purpose": "traffic_records"}, headers=headers
        ).status_code
        == 201
    )
    me = registry_client.get("/v1/me", headers=headers)
    assert me.status_code == 200, me.text
    body = me.json()
    assert body["citizen_id"] == citizen and body["provisional"] is False
    assert body["openids"] == [
        {"account_code": "dgjj", "openid": "oJJ-****0001"},
        {"account_code": "dgtq", "openid": "oTQ-****0002"},
    ]
    consents = registry_client.get("/v1/me/consents", headers=headers).json()["items"]
    assert body["consents"] == consents
    statuses = {c["purpose"]: c["status"] for c in body["consents"]}
    assert statuses == {"traffic_records": "granted", "socialsec_records": "not_granted"}


def test_me_needs_a_citizen_token(registry_client: TestClient) -> None:
    anonymous = registry_client.get("/v1/me")
    assert anonymous.status_code == 401
    assert anonymous.headers["content-type"] == "application/problem+json"
    assert anonymous.headers["www-authenticate"] == "Bearer"
    staff = registry_client.get("/v1/me", headers=mint_token("accounts", "staff-1", kind="staff"))
    assert staff.status_code == 403
    wrong_audience = registry_client.get("/v1/me", headers=mint_token("traffic", "c-x"))
    assert wrong_audience.status_code == 401


def test_me_of_an_unknown_citizen_is_404(registry_client: TestClient) -> None:
    response = registry_client.get("/v1/me", headers=mint_token("accounts", "c-nobody"))
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
