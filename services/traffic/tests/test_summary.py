"""`/v1/me/summary`: the violations and the licence of `/v1/me/violations` and `/v1/me/licence`
in one read, for the home screen; both reads are in the citizen's access log."""

from collections.abc import Callable

from fastapi.testclient import TestClient

Headers = Callable[[str], dict[str, str]]


def test_the_summary_is_the_violations_and_the_licence(
    client: TestClient, headers_of: Headers
) -> None:
    headers = headers_of("zhangsan")
    summary = client.get("/v1/me/summary", params={"limit": 2}, headers=headers)
    assert summary.status_code == 200, summary.text
    log = client.get("/v1/me/access-log", headers=headers).json()["items"]
    assert sorted(e["resource"] for e in log) == ["licence", "violations"]
    body = summary.json()
    violations = client.get("/v1/me/violations", params={"limit": 2}, headers=headers).json()
    assert body["violations"] == violations and violations["amount_due_fen"] > 0
    assert body["licence"] == client.get("/v1/me/licence", headers=headers).json()
    assert body["licence_detail"] is None


def test_without_a_bound_licence_the_summary_says_why(
    client: TestClient, headers_of: Headers
) -> None:
    body = client.get("/v1/me/summary", headers=headers_of("lisi")).json()
    assert body["licence"] is None
    assert "尚未绑定驾驶证" in body["licence_detail"]
    assert body["violations"] == client.get("/v1/me/violations", headers=headers_of("lisi")).json()


def test_the_summary_needs_a_citizen(client: TestClient) -> None:
    assert client.get("/v1/me/summary").status_code == 401
