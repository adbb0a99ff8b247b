"""The consent-withdrawal contract: accounts deletes a citizen's bindings here."""

from fastapi.testclient import TestClient

from servicekit.testing import assert_bindings_deletion_contract


def test_only_accounts_deletes_a_citizens_bindings(client: TestClient) -> None:
    assert_bindings_deletion_contract(client, "traffic")
