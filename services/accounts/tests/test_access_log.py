"""Accounts' access log and data export: the citizen's reads of their profile and consents, the
gateway's lookups of their openids, and an export that is theirs alone, openids in full."""

from typing import Any

from fastapi.testclient import TestClient

from servicekit.answers import CITIZEN_HEADER
from servicekit.testing import mint_token, service_headers

UNIONID = "o6_access_log_unionid_00001"
OPENIDS = {"dgjj": "oJJ-openid-dgjj-log-000001", "dgtq": "oTQ-openid-dgtq-log-000002"}


def resolve(client: TestClient, account: str, openid: str, unionid: str = UNIONID) -> str:
    body = {"account_code": account, "openid": openid, "unionid": unionid}
    answer = client.post(
        "/v1/internal/citizens/resolve", json=body, headers=service_headers("gateway", "accounts")
    )
    assert answer.status_code == 200, answer.text
    return str(answer.json()["citizen_id"])


def citizen(client: TestClient) -> str:
    """A citizen known through two accounts, who consented to traffic's records."""
    ids = {resolve(client, account, openid) for account, openid in OPENIDS.items()}
    [citizen_id] = ids
    consent = {"purpose": "traffic_records"}
    granted = client.post(
        "/v1/me/consents", json=consent, headers=mint_token("accounts", citizen_id)
    )
    assert granted.status_code == 201
    return citizen_id


def log_of(client: TestClient, citizen_id: str) -> list[dict[str, Any]]:
    page = client.get("/v1/me/access-log", headers=mint_token("accounts", citizen_id))
    assert page.status_code == 200, page.text
    return list(page.json()["items"])


def export_of(client: TestClient, citizen_id: str) -> dict[str, Any]:
    token = mint_token("accounts", citizen_id)["Authorization"]
    headers = {**service_headers("gateway", "accounts"), CITIZEN_HEADER: token}
    answer = client.get("/v1/internal/export", headers=headers)
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def test_reads_of_the_profile_and_consents_are_listed_newest_first(
    registry_client: TestClient,
) -> None:
    me = citizen(registry_client)
    headers = mint_token("accounts", me)
    assert registry_client.get("/v1/me", headers=headers).status_code == 200
    assert registry_client.get("/v1/me/consents", headers=headers).status_code == 200
    items = log_of(registry_client, me)
    assert [(i["resource"], i["reader"]) for i in items] == [
        ("consents", "citizen"),
        ("profile", "citizen"),
    ]
    assert items[0]["resource_text"] == "授权记录" and items[1]["reader_text"] == "本人"
    # Granting a consent is a write, not a read: it left no row.
    assert len(items) == 2


def test_the_gateways_lookup_of_openids_is_in_the_citizens_log(
    registry_client: TestClient,
) -> None:
    me = citizen(registry_client)
    gateway = service_headers("gateway", "accounts")
    assert registry_client.get(f"/v1/internal/citizens/{me}", headers=gateway).status_code == 200
    unknown = registry_client.get("/v1/internal/citizens/c-nobody", headers=gateway)
    assert unknown.status_code == 404
    [row] = log_of(registry_client, me)
    assert (row["resource"], row["reader"]) == ("openids", "service:gateway")
    assert row["reader_text"] == "内部服务（gateway）"
    assert log_of(registry_client, "c-nobody") == []


def test_the_export_holds_the_citizens_openids_in_full_and_is_logged(
    registry_client: TestClient,
) -> None:
    me = citizen(registry_client)
    other = resolve(registry_client, "dgjj", "oJJ-openid-dgjj-other-0003", "o6_other_unionid_0003")
    data = export_of(registry_client, me)
    assert [c["id"] for c in data["citizens"]] == [me]
    assert {o["openid"] for o in data["openids"]} == set(OPENIDS.values())
    assert [c["purpose"] for c in data["consents"]] == ["traffic_records"]
    assert data["consents"][0]["granted_at"].endswith("+08:00")
    assert [r["resource"] for r in data["access_log"]] == ["export"]
    assert log_of(registry_client, me)[0]["resource_text"] == "数据导出"
    theirs = export_of(registry_client, other)
    assert [c["id"] for c in theirs["citizens"]] == [other]
    assert not set(OPENIDS.values()) & {o["openid"] for o in theirs["openids"]}
    assert theirs["consents"] == []


def test_only_the_gateway_exports_and_only_for_a_citizen(registry_client: TestClient) -> None:
    me = citizen(registry_client)
    token = mint_token("accounts", me)
    for headers, status in [
        (token, 403),
        (service_headers("gateway", "accounts"), 401),
        ({**service_headers("traffic", "accounts"), CITIZEN_HEADER: token["Authorization"]}, 403),
    ]:
        assert registry_client.get("/v1/internal/export", headers=headers).status_code == status
    assert log_of(registry_client, me) == []
