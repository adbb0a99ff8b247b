"""Followers: each WeChat event applied once, state kept idempotently, counts per local day."""

import threading
from collections.abc import Iterator
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient

from accounts.main import create_app
from accounts.settings import AccountsSettings
from servicekit.settings import SharedSettings
from servicekit.testing import mint_token, service_headers


def gateway() -> dict[str, str]:
    """Fresh gateway service-token headers (tokens live 60 s; a long run outlives one)."""
    return service_headers("gateway", "accounts")


SHANGHAI = ZoneInfo("Asia/Shanghai")
EVENTS = "/v1/internal/followers/events"


@pytest.fixture
def client(registry_only_database_url: str) -> Iterator[TestClient]:
    """The app on the registry alone: these tests make their own followers and citizens."""
    settings = AccountsSettings(
        database_url=registry_only_database_url, shared=SharedSettings(env="dev")
    )
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def at(text: str) -> int:
    """A WeChat CreateTime for a local (Asia/Shanghai) time like '2026-03-01 10:00'."""
    return int(datetime.fromisoformat(text).replace(tzinfo=SHANGHAI).timestamp())


def send(
    client: TestClient,
    openid: str,
    event: str,
    when: str,
    *,
    account_code: str = "dgjj",
    event_key: str | None = None,
    unionid: str | None = None,
) -> dict:
    """Post one event as the gateway does and return the answer."""
    body = {
        "account_code": account_code,
        "openid": openid,
        "event": event,
        "create_time": at(when),
        "event_key": event_key,
        "unionid": unionid,
    }
    response = client.post(EVENTS, json=body, headers=gateway())
    assert response.status_code == 200, response.text
    return response.json()


def counts(client: TestClient, start: str, end: str, account_code: str = "dgjj") -> dict:
    """`{day: followers}` from the public endpoint."""
    response = client.get(
        f"/v1/accounts/{account_code}/followers", params={"from": start, "to": end}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["account_code"], body["from"], body["to"]) == (account_code, start, end)
    return {item["day"]: item["followers"] for item in body["items"]}


def test_the_same_subscribe_twice_counts_once(client: TestClient) -> None:
    first = send(client, "oJJ-follower-0001", "subscribe", "2026-03-01 10:00")
    assert first["result"] == "new" and first["follower_changed"] and first["subscribed"]
    assert first["citizen_id"].startswith("c-")
    again = send(client, "oJJ-follower-0001", "subscribe", "2026-03-01 10:00")
    assert again == {**first, "result": "duplicate", "follower_changed": False}
    assert counts(client, "2026-03-01", "2026-03-01") == {"2026-03-01": 1}


def test_concurrent_duplicates_count_once(client: TestClient) -> None:
    barrier = threading.Barrier(6)
    results: list[str] = []

    def deliver() -> None:
        barrier.wait()
        results.append(send(client, "oJJ-follower-race", "subscribe", "2026-03-01 10:00")["result"])

    threads = [threading.Thread(target=deliver) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == ["duplicate"] * 5 + ["new"]
    assert counts(client, "2026-03-01", "2026-03-01") == {"2026-03-01": 1}


def test_concurrent_distinct_subscribes_all_count(client: TestClient) -> None:
    barrier = threading.Barrier(6)

    def deliver(n: int) -> None:
        barrier.wait()
        send(client, f"oJJ-follower-many-{n}", "subscribe", "2026-03-01 10:00")

    threads = [threading.Thread(target=deliver, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert counts(client, "2026-03-01", "2026-03-01") == {"2026-03-01": 6}


def test_unsubscribe_and_subscribe_again(client: TestClient) -> None:
    send(client, "oJJ-follower-0002", "subscribe", "2026-03-01 10:00")
    gone = send(client, "oJJ-follower-0002", "unsubscribe", "2026-03-01 11:00")
    assert gone["follower_changed"] and not gone["subscribed"]
    assert counts(client, "2026-03-01", "2026-03-01") == {"2026-03-01": 0}
    back = send(client, "oJJ-follower-0002", "subscribe", "2026-03-01 12:00")
    assert back["follower_changed"] and back["subscribed"]
    assert counts(client, "2026-03-01", "2026-03-01") == {"2026-03-01": 1}


def test_unsubscribing_a_non_follower_never_goes_negative(client: TestClient) -> None:
    result = send(client, "oJJ-stranger-0001", "unsubscribe", "2026-03-01 10:00")
    assert result == {
        "result": "new",
        "follower_changed": False,
        "subscribed": False,
        "citizen_id": None,
    }
    assert counts(client, "2026-03-01", "2026-03-01") == {}
    send(client, "oJJ-follower-0003", "subscribe", "2026-03-01 11:00")
    send(client, "oJJ-follower-0003", "unsubscribe", "2026-03-01 12:00")
    assert not send(client, "oJJ-follower-0003", "unsubscribe", "2026-03-01 13:00")[
        "follower_changed"
    ]
    assert counts(client, "2026-03-01", "2026-03-01") == {"2026-03-01": 0}


def test_a_second_subscribe_while_following_changes_nothing(client: TestClient) -> None:
    send(client, "oJJ-follower-0004", "subscribe", "2026-03-01 10:00")
    # A subscribe through a QR code is another event (its EventKey differs), not a duplicate.
    scan = send(
        client, "oJJ-follower-0004", "subscribe", "2026-03-01 10:00", event_key="qrscene_42"
    )
    assert scan["result"] == "new" and not scan["follower_changed"]
    assert counts(client, "2026-03-01", "2026-03-01") == {"2026-03-01": 1}


def test_an_older_event_arriving_late_is_not_applied(client: TestClient) -> None:
    send(client, "oJJ-follower-0005", "subscribe", "2026-03-01 09:00")
    send(client, "oJJ-follower-0005", "unsubscribe", "2026-03-01 12:00")
    late = send(client, "oJJ-follower-0005", "subscribe", "2026-03-01 11:00")
    assert late["result"] == "new" and not late["follower_changed"] and not late["subscribed"]
    assert counts(client, "2026-03-01", "2026-03-01") == {"2026-03-01": 0}


def test_counts_per_local_day(client: TestClient) -> None:
    send(client, "oJJ-day-0001", "subscribe", "2026-03-01 09:00")
    send(client, "oJJ-day-0002", "subscribe", "2026-03-01 23:59")
    send(client, "oJJ-day-0001", "unsubscribe", "2026-03-02 00:01")
    send(client, "oJJ-day-0003", "subscribe", "2026-03-04 08:00")
    send(client, "oSB-day-0001", "subscribe", "2026-03-04 08:00", account_code="dgsb")
    assert counts(client, "2026-02-28", "2026-03-05") == {
        "2026-03-01": 2,
        "2026-03-02": 1,
        "2026-03-03": 1,
        "2026-03-04": 2,
        "2026-03-05": 2,
    }
    assert counts(client, "2026-03-03", "2026-03-03") == {"2026-03-03": 1}
    assert counts(client, "2026-03-01", "2026-03-05", "dgsb") == {
        "2026-03-04": 1,
        "2026-03-05": 1,
    }


def test_a_late_event_of_an_earlier_day_moves_the_later_days(client: TestClient) -> None:
    send(client, "oJJ-late-0001", "subscribe", "2026-03-03 10:00")
    send(client, "oJJ-late-0002", "subscribe", "2026-03-01 10:00")
    assert counts(client, "2026-03-01", "2026-03-03") == {
        "2026-03-01": 1,
        "2026-03-02": 1,
        "2026-03-03": 2,
    }


def test_a_subscribe_with_a_unionid_resolves_the_citizen(client: TestClient) -> None:
    result = send(client, "oJJ-citizen-0001", "subscribe", "2026-03-01 10:00", unionid="o6_u1")
    citizen = client.get(f"/v1/internal/citizens/{result['citizen_id']}", headers=gateway())
    assert citizen.json()["openids"] == [{"account_code": "dgjj", "openid": "oJJ-citizen-0001"}]
    assert citizen.json()["provisional"] is False
    # The unsubscribe names the same citizen, and creates none for strangers.
    gone = send(client, "oJJ-citizen-0001", "unsubscribe", "2026-03-02 10:00")
    assert gone["citizen_id"] == result["citizen_id"]


def test_the_public_counts_show_no_openids(client: TestClient) -> None:
    send(client, "oJJ-private-0001", "subscribe", "2026-03-01 10:00")
    response = client.get("/v1/accounts/dgjj/followers", params={"from": "2026-03-01"})
    assert response.status_code == 200
    assert "oJJ-private" not in response.text and "openid" not in response.text


def test_default_range_is_the_last_30_days(client: TestClient) -> None:
    body = client.get("/v1/accounts/dgjj/followers").json()
    first, last = datetime.fromisoformat(body["from"]), datetime.fromisoformat(body["to"])
    assert (last - first).days == 29
    assert body["to"] == datetime.now(SHANGHAI).date().isoformat()


@pytest.mark.parametrize(
    "params",
    [
        {"from": "2026-03-05", "to": "2026-03-01"},
        {"from": "2025-01-01", "to": "2026-03-01"},
        {"from": "yesterday"},
    ],
)
def test_bad_ranges_are_422(client: TestClient, params: dict) -> None:
    response = client.get("/v1/accounts/dgjj/followers", params=params)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert [e["field"] for e in response.json()["errors"]] == ["from"]


def test_unknown_account(client: TestClient) -> None:
    assert client.get("/v1/accounts/atlantis/followers").status_code == 404
    body = {"account_code": "atlantis", "openid": "oX-1", "event": "subscribe", "create_time": 1}
    response = client.post(EVENTS, json=body, headers=gateway())
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize(
    "change",
    [{"event": "CLICK"}, {"create_time": -1}, {"openid": "bad openid"}, {"create_time": "x"}],
)
def test_bad_events_are_422(client: TestClient, change: dict) -> None:
    body = {"account_code": "dgjj", "openid": "oJJ-1", "event": "subscribe", "create_time": 1}
    response = client.post(EVENTS, json={**body, **change}, headers=gateway())
    assert response.status_code == 422


def test_only_the_gateway_may_post_events(client: TestClient) -> None:
    body = {"account_code": "dgjj", "openid": "oJJ-1", "event": "subscribe", "create_time": 1}
    assert client.post(EVENTS, json=body).status_code == 401
    assert client.post(EVENTS, json=body, headers=mint_token("accounts")).status_code == 403
    other = service_headers("traffic", "accounts")
    assert client.post(EVENTS, json=body, headers=other).status_code == 403
