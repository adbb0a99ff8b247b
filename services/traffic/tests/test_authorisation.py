"""No citizen sees or handles another's records; personal endpoints need a citizen token."""

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from servicekit.identity import issue_token
from servicekit.testing import TEST_SECRET, mint_token

Headers = Callable[[str], dict[str, str]]
ZHANGSAN = {"plate": "粤S12345", "vin6": "123456"}


def zhangsans_violation(client: TestClient) -> int:
    items = client.get("/v1/violations", params=ZHANGSAN).json()["items"]
    return next(i["id"] for i in items if i["code"] == "1345")


def me_calls(client: TestClient) -> list[tuple[str, str, dict | None]]:
    return [
        ("GET", "/v1/me/bindings", None),
        ("POST", "/v1/me/bindings", {"kind": "vehicle", **ZHANGSAN}),
        ("DELETE", "/v1/me/bindings/1", None),
        ("GET", "/v1/me/violations", None),
        ("POST", f"/v1/me/violations/{zhangsans_violation(client)}/decision", None),
        ("GET", "/v1/me/licence", None),
        ("POST", "/v1/me/licence/point-study", {"kind": "online"}),
        ("GET", "/v1/me/appointments", None),
        ("POST", "/v1/me/appointments", {"slot_id": 1, "business_code": "licence-renewal"}),
        ("GET", "/v1/me/appointments/1", None),
        ("POST", "/v1/me/appointments/1/cancel", None),
        ("GET", "/v1/me/review-study", None),
        ("POST", "/v1/me/review-study/records", {"course_code": "law", "minutes": 30}),
        ("GET", "/v1/me/review-study/exam", None),
        ("POST", "/v1/me/review-study/exam", {"answers": {}}),
        ("GET", "/v1/me/review-study/completions", None),
    ]


@pytest.mark.slow
@pytest.mark.parametrize("who", ["nobody", "staff", "other audience"])
def test_personal_endpoints_refuse_callers_that_are_not_citizens(
    client: TestClient, who: str
) -> None:
    headers = {
        "nobody": {},
        "staff": mint_token("traffic", "staff-1", roles=["traffic_officer"], kind="staff"),
        "other audience": mint_token("weather", "c-782f60ca1667567e827200405a7b9be1"),
    }[who]
    for method, path, body in me_calls(client):
        response = client.request(
            method, path, json=body, headers={**headers, "Idempotency-Key": "k"}
        )
        assert response.status_code == (403 if who == "staff" else 401), (method, path)
        assert response.headers["content-type"] == "application/problem+json"


def test_another_citizen_sees_and_handles_nothing_of_zhangsans(
    client: TestClient, headers_of: Headers
) -> None:
    lisi = headers_of("lisi")
    zhangsan_binding = client.get("/v1/me/bindings", headers=headers_of("zhangsan")).json()[
        "items"
    ][0]["id"]
    assert client.get("/v1/me/bindings", headers=lisi).json()["total"] == 0
    assert client.delete(f"/v1/me/bindings/{zhangsan_binding}", headers=lisi).status_code == 404
    assert client.get("/v1/me/violations", headers=lisi).json()["total"] == 0
    handled = client.post(f"/v1/me/violations/{zhangsans_violation(client)}/decision", headers=lisi)
    assert handled.status_code == 404
    assert client.get("/v1/me/licence", headers=lisi).status_code == 404
    assert (
        client.post("/v1/me/licence/point-study", json={"kind": "online"}, headers=lisi).status_code
        == 404
    )
    # Zhangsan's records are untouched.
    assert client.get("/v1/me/bindings", headers=headers_of("zhangsan")).json()["total"] == 2
    licence = client.get("/v1/me/licence", headers=headers_of("zhangsan")).json()
    assert (licence["points"], licence["studied_points"]) == (9, 0)
    unhandled = client.get("/v1/violations", params={**ZHANGSAN, "status": "unhandled"}).json()
    assert unhandled["total"] == 2


def officer_role_holders() -> dict[str, dict[str, str]]:
    """Tokens that carry the `traffic_officer` role claim; only the staff one is an officer."""
    service = issue_token(
        secret=TEST_SECRET,
        audience="traffic",
        subject="accounts",
        issuer="accounts",
        kind="service",
        roles=["traffic_officer"],
    )
    return {
        "staff": mint_token("traffic", "staff-1", roles=["traffic_officer"], kind="staff"),
        "citizen": mint_token("traffic", "c-0123456789abcdef", roles=["traffic_officer"]),
        "service": {"Authorization": f"Bearer {service}"},
    }


@pytest.mark.parametrize(("who", "status"), [("staff", 404), ("citizen", 403), ("service", 403)])
def test_officer_routes_need_a_staff_token_not_just_the_role(
    client: TestClient, who: str, status: int
) -> None:
    headers = officer_role_holders()[who]
    refund = {
        "out_refund_no": "RF20260615009",
        "amount_fen": 100,
        "expected_available_fen": 100,
        "reason": "复核减免",
    }
    # An unknown order: an officer gets past the role check to 404, anyone else stops at 403.
    answers = [client.post("/v1/payments/987654/refunds", json=refund, headers=headers)]
    if who != "citizen":
        # A citizen reads their own orders here; staff and services only as officers.
        answers.append(client.get("/v1/payments/987654/events", headers=headers))
    for response in answers:
        assert response.status_code == status, response.text
        assert response.headers["content-type"] == "application/problem+json"
