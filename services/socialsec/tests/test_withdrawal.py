"""Consent withdrawal as accounts' outbox sends it: at least once, so a repeat must be harmless."""

from collections.abc import Callable

from fastapi.testclient import TestClient

from servicekit.testing import service_headers
from socialsec.population import DEMO_PEOPLE

Headers = Callable[[str], dict[str, str]]
LISI = {"name": "李四", "id_number": "441900198505203523", "card_number": "S19850520"}
LISI_ID = next(p.citizen_id for p in DEMO_PEOPLE if p.citizen.id == "lisi")


def test_a_repeated_deletion_answers_204_and_leaves_nothing_behind(
    client: TestClient, headers_of: Headers
) -> None:
    lisi = headers_of("lisi")
    wrong = {**LISI, "card_number": "S19850521"}
    assert client.post("/v1/me/bindings", json=wrong, headers=lisi).status_code == 422
    assert client.post("/v1/me/bindings", json=LISI, headers=lisi).status_code == 201
    path = f"/v1/internal/citizens/{LISI_ID}/bindings"
    # The outbox resends when an acknowledgement was lost (a kill mid-delivery): each copy is 2xx.
    for _ in range(2):
        response = client.delete(path, headers=service_headers("accounts", "socialsec"))
        assert response.status_code == 204 and response.content == b""
    assert client.get("/v1/me/bindings", headers=lisi).json() == {"items": [], "total": 0}
    assert client.get("/v1/me/card", headers=lisi).status_code == 404
    # Nothing is left that keeps her record taken: she can bind it again.
    assert client.post("/v1/me/bindings", json=LISI, headers=lisi).status_code == 201
