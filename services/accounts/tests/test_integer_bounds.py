"""No integer parameter takes a number beyond what the database holds: 422, never a 500."""

import pytest
from fastapi.testclient import TestClient

from servicekit.contract_checks import assert_integers_bounded


@pytest.mark.slow
def test_every_integer_parameter_is_bounded(client: TestClient) -> None:
    assert_integers_bounded(client, "accounts", ["registry_admin"])
