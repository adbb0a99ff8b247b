"""No integer parameter takes a number beyond what the database holds: 422, never a 500."""

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from servicekit.contract_checks import assert_integers_bounded


@pytest.mark.slow
def test_every_integer_parameter_is_bounded(client: TestClient) -> None:
    assert_integers_bounded(client, "traffic", ["traffic_officer"])


def test_a_slot_id_beyond_the_database_is_a_422(
    client: TestClient, headers_of: Callable[[str], dict[str, str]]
) -> None:
    business = client.get("/v1/appointment-businesses").json()["items"][0]["code"]
    for number, slot_id in enumerate((2**31, 2**63, 2**64)):
        answer = client.post(
            "/v1/me/appointments",
            json={"slot_id": slot_id, "business_code": business},
            headers={**headers_of("zhangsan"), "Idempotency-Key": f"bounds-{number}"},
        )
        assert answer.status_code == 422
        assert [e["field"] for e in answer.json()["errors"]] == ["slot_id"]
