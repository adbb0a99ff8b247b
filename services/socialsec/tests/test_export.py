"""Socialsec's part of a citizen's data export: the bound insured person's records in full, for
that citizen alone, the export written to their access log."""

from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient

from servicekit.answers import CITIZEN_HEADER
from servicekit.testing import mint_token, service_headers
from wechat.demo_citizens import demo_citizen

Headers = Callable[[str], dict[str, str]]


def export_of(client: TestClient, key: str) -> dict[str, Any]:
    token = mint_token("socialsec", demo_citizen(key).citizen_id)["Authorization"]
    headers = {**service_headers("gateway", "socialsec"), CITIZEN_HEADER: token}
    answer = client.get("/v1/internal/export", headers=headers)
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def test_the_bound_persons_records_in_full_and_the_export_logged(
    client: TestClient, headers_of: Headers
) -> None:
    headers = headers_of("chenxiaomei")
    assert client.get("/v1/me/card", headers=headers).status_code == 200
    data = export_of(client, "chenxiaomei")
    [person] = data["insured_persons"]
    assert (person["name"], person["id_number"]) == ("陈晓梅", "44190019950808064X")
    [card] = data["social_cards"]
    assert len(card["card_number"]) == 9 and "*" not in card["card_number"]
    assert len(data["bindings"]) == 1 and data["contribution_spans"] and data["card_events"]
    assert [r["resource"] for r in data["access_log"]] == ["card", "export"]
    log = client.get("/v1/me/access-log", headers=headers).json()["items"]
    # The listing keeps socialsec's contract: no reader fields.
    assert log[0] == {
        k: log[0][k] for k in ("at", "resource", "resource_text", "detail", "request_id")
    }
    assert (log[0]["resource"], log[0]["resource_text"]) == ("export", "数据导出")


def test_an_unbound_citizens_export_holds_nobodys_records(client: TestClient) -> None:
    data = export_of(client, "lisi")
    assert all(data[s] == [] for s in data if s != "access_log")
    assert "44190019950808064X" not in str(data)
    assert [r["resource"] for r in data["access_log"]] == ["export"]


def test_only_the_gateway_exports_for_a_citizen(client: TestClient, headers_of: Headers) -> None:
    headers = headers_of("chenxiaomei")
    assert client.get("/v1/internal/export", headers=headers).status_code == 403
    gateway = service_headers("gateway", "socialsec")
    assert client.get("/v1/internal/export", headers=gateway).status_code == 401
    assert client.get("/v1/me/access-log", headers=headers).json()["total"] == 0
