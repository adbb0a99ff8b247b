"""`GET /v1/me/follows`: the accounts a citizen follows now, through any of their openids."""

import time

from fastapi.testclient import TestClient

from servicekit.testing import mint_token, service_headers

UNIONID = "o6_follows_test_unionid_0001"
OTHER_UNIONID = "o6_follows_test_unionid_0002"


def follow_event(
    client: TestClient, account: str, openid: str, event: str, unionid: str, at: int
) -> str:
    """Deliver one follower event as the gateway does; the citizen it was resolved to."""
    body = {
        "account_code": account,
        "openid": openid,
        "unionid": unionid,
        "event": event,
        "create_time": at,
    }
    answer = client.post(
        "/v1/internal/followers/events", json=body, headers=service_headers("gateway", "accounts")
    )
    assert answer.status_code == 200, answer.text
    return str(answer.json()["citizen_id"])


def follows(client: TestClient, citizen: str, **params: int) -> dict:
    answer = client.get("/v1/me/follows", params=params, headers=mint_token("accounts", citizen))
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_the_accounts_followed_now_through_every_openid(registry_client: TestClient) -> None:
    now = int(time.time())
    citizen = follow_event(registry_client, "dgtq", "oTQ-follows-0001", "subscribe", UNIONID, now)
    assert follow_event(registry_client, "dgjj", "oJJ-follows-0001", "subscribe", UNIONID, now) == (
        citizen
    )
    follow_event(registry_client, "lxdl", "oLX-follows-0001", "subscribe", UNIONID, now)
    follow_event(registry_client, "lxdl", "oLX-follows-0001", "unsubscribe", UNIONID, now + 1)
    # Another person's follow is not this citizen's.
    follow_event(registry_client, "gxhk", "oGX-follows-0002", "subscribe", OTHER_UNIONID, now)

    body = follows(registry_client, citizen)
    assert body["total"] == 2
    assert [(a["code"], a["name"]) for a in body["items"]] == [
        ("dgjj", "东莞交警"),
        ("dgtq", "东莞天气"),
    ]
    assert follows(registry_client, citizen, limit=1, offset=1)["items"][0]["code"] == "dgtq"


def test_a_citizen_who_follows_nothing_gets_an_empty_list(registry_client: TestClient) -> None:
    assert follows(registry_client, "c-follows-nobody") == {"items": [], "total": 0}


def test_each_read_is_in_the_citizens_access_log(registry_client: TestClient) -> None:
    follows(registry_client, "c-follows-logged")
    log = registry_client.get(
        "/v1/me/access-log", headers=mint_token("accounts", "c-follows-logged")
    ).json()
    assert [(e["resource"], e["resource_text"]) for e in log["items"]] == [
        ("follows", "关注的公众号")
    ]


def test_follows_need_a_citizen_token(registry_client: TestClient) -> None:
    assert registry_client.get("/v1/me/follows").status_code == 401
    staff = mint_token("accounts", "staff-1", kind="staff")
    assert registry_client.get("/v1/me/follows", headers=staff).status_code == 403
