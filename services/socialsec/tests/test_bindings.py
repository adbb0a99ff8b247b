"""Bindings: proving name + ID + card, refusals that do not say which part, throttling,
and consent withdrawal."""

from collections.abc import Callable

from fastapi.testclient import TestClient

from servicekit.contract_checks import assert_bindings_deletion_contract
from servicekit.testing import service_headers
from socialsec.bindings import REFUSED
from socialsec.population import DEMO_PEOPLE

Headers = Callable[[str], dict[str, str]]
LISI = {"name": "李四", "id_number": "441900198505203523", "card_number": "S19850520"}


def test_only_accounts_deletes_a_citizens_bindings(client: TestClient) -> None:
    assert_bindings_deletion_contract(client, "socialsec")


def test_withdrawal_really_deletes_the_binding(client: TestClient, headers_of: Headers) -> None:
    zhangsan = headers_of("zhangsan")
    assert client.get("/v1/me/bindings", headers=zhangsan).json()["total"] == 1
    path = f"/v1/internal/citizens/{DEMO_PEOPLE[0].citizen_id}/bindings"
    for _ in range(2):
        response = client.delete(path, headers=service_headers("accounts", "socialsec"))
        assert response.status_code == 204
    assert client.get("/v1/me/bindings", headers=zhangsan).json() == {"items": [], "total": 0}
    assert client.get("/v1/me/contributions", headers=zhangsan).status_code == 404
    assert client.get("/v1/me/bindings", headers=headers_of("wangwu")).json()["total"] == 1


def test_lisi_binds_her_record_and_sees_it_masked(client: TestClient, headers_of: Headers) -> None:
    lisi = headers_of("lisi")
    before = client.get("/v1/me/card", headers=lisi)
    assert before.status_code == 404 and "尚未绑定" in before.json()["detail"]
    created = client.post(
        "/v1/me/bindings",
        json={**LISI, "id_number": "441900 19850520 3523", "card_number": "s19850520"},
        headers=lisi,
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert body | {"id": 0, "created_at": ""} == {
        "id": 0,
        "name": "李*",
        "id_number": "441***********3523",
        "card_number": "*****0520",
        "created_at": "",
    }
    assert body["created_at"].endswith("+08:00")
    assert client.get("/v1/me/card", headers=lisi).json()["stage_text"] == "已领卡"
    again = client.post("/v1/me/bindings", json=LISI, headers=lisi)
    assert again.status_code == 409 and "已绑定" in again.json()["detail"]
    # Someone else who knows all three proofs cannot take a bound record over.
    taken = client.post("/v1/me/bindings", json=LISI, headers=headers_of("c-someone-else"))
    assert taken.status_code == 409
    # Unbinding: another citizen's binding is as unknown as a missing one.
    assert (
        client.delete(f"/v1/me/bindings/{body['id']}", headers=headers_of("zhangsan")).status_code
        == 404
    )
    assert client.delete(f"/v1/me/bindings/{body['id']}", headers=lisi).status_code == 204
    assert client.get("/v1/me/bindings", headers=lisi).json()["total"] == 0


def test_a_wrong_name_id_or_card_is_refused_alike(client: TestClient, headers_of: Headers) -> None:
    lisi = headers_of("lisi")
    wrong = [
        {**LISI, "name": "李思"},
        {**LISI, "card_number": "S19850521"},
        # A valid ID number of somebody else (zhangsan's).
        {**LISI, "id_number": "441900199001011231"},
        # A valid ID number nobody holds.
        {**LISI, "id_number": "11010519491231002X"},
    ]
    bodies = []
    for proof in wrong:
        response = client.post("/v1/me/bindings", json=proof, headers=lisi)
        assert response.status_code == 422, proof
        bodies.append(response.json() | {"instance": ""})
    assert all(b == bodies[0] for b in bodies)
    assert bodies[0]["detail"] == REFUSED
    assert {e["field"] for e in bodies[0]["errors"]} == {"name", "id_number", "card_number"}


def test_a_wrong_check_digit_is_a_422_before_any_lookup(
    make_client: Callable[..., TestClient], headers_of: Headers
) -> None:
    client = make_client(binding_max_failures=1)
    lisi = headers_of("lisi")
    for _ in range(3):
        response = client.post(
            "/v1/me/bindings", json={**LISI, "id_number": "441900198505203524"}, headers=lisi
        )
        assert response.status_code == 422
        assert response.json()["errors"] == [
            {
                "field": "id_number",
                "in": "body",
                "message": "身份证号码第18位校验码不符，请核对。",
                "type": "invalid_identifier",
            }
        ]
    bad_card = client.post("/v1/me/bindings", json={**LISI, "card_number": "12345"}, headers=lisi)
    assert [e["field"] for e in bad_card.json()["errors"]] == ["card_number"]
    # Format errors are not refused proofs: the one allowed refusal is still unused.
    assert client.post("/v1/me/bindings", json=LISI, headers=lisi).status_code == 201


def test_repeated_refusals_are_throttled(
    make_client: Callable[..., TestClient], headers_of: Headers, clock
) -> None:
    client = make_client(binding_max_failures=3, binding_failure_window_seconds=600)
    lisi = headers_of("lisi")
    for _ in range(3):
        assert (
            client.post("/v1/me/bindings", json={**LISI, "name": "李思"}, headers=lisi).status_code
            == 422
        )
    blocked = client.post("/v1/me/bindings", json=LISI, headers=lisi)
    assert blocked.status_code == 429
    assert blocked.headers["content-type"] == "application/problem+json"
    assert int(blocked.headers["Retry-After"]) == 600 and "10分钟" in blocked.json()["detail"]
    # Other citizens are not held up by lisi's guesses.
    assert (
        client.post(
            "/v1/me/bindings", json={**LISI, "name": "李思"}, headers=headers_of("c-x")
        ).status_code
        == 422
    )
    clock.advance(seconds=601)
    assert client.post("/v1/me/bindings", json=LISI, headers=lisi).status_code == 201
