"""`/v1/me/summary`: the card of `/v1/me/card` and the newest paid row of `/v1/me/contributions`
in one read, for the home screen; both reads are in the citizen's access log."""

from collections.abc import Callable

from fastapi.testclient import TestClient

Headers = Callable[[str], dict[str, str]]


def test_the_summary_is_the_card_and_the_last_paid_contribution(
    client: TestClient, headers_of: Headers
) -> None:
    headers = headers_of("zhangsan")
    summary = client.get("/v1/me/summary", headers=headers)
    assert summary.status_code == 200, summary.text
    log = client.get("/v1/me/access-log", headers=headers).json()["items"]
    assert sorted(e["resource"] for e in log) == ["card", "contributions"]
    body = summary.json()
    assert body["card"] == client.get("/v1/me/card", headers=headers).json()
    paid = client.get("/v1/me/contributions", params={"status": "paid"}, headers=headers).json()
    assert paid["total"] > 1 and body["last_contribution"] == paid["items"][0]
    assert body["last_contribution"]["status"] == "paid"


def test_the_last_contribution_is_the_newest_paid_of_the_period_asked(
    client: TestClient, headers_of: Headers
) -> None:
    headers = headers_of("zhangsan")
    paid = client.get(
        "/v1/me/contributions", params={"status": "paid", "limit": 100}, headers=headers
    )
    months = sorted({row["month"] for row in paid.json()["items"]})
    answer = client.get(
        "/v1/me/summary", params={"from": months[0], "to": months[0]}, headers=headers
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["last_contribution"]["month"] == months[0]


def test_without_a_binding_the_summary_is_404_saying_how_to_bind(
    client: TestClient, headers_of: Headers
) -> None:
    answer = client.get("/v1/me/summary", headers=headers_of("lisi"))
    assert answer.status_code == 404 and "尚未绑定" in answer.json()["detail"]
