"""Every read of what inspection holds on a citizen is in their access log
(`GET /v1/me/access-log`): their units, their units' equipment and applications, the chat's
报检进度, and the data export; a refused read leaves no row, and each log is its owner's alone."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from inspection.population import DEMO_LIFT, Registry
from servicekit.answers import CITIZEN_HEADER
from servicekit.testing import mint_token, service_headers
from wechat.demo_citizens import demo_citizen

ZHANGSAN = demo_citizen("zhangsan").citizen_id
LISI = demo_citizen("lisi").citizen_id
LOG = "/v1/me/access-log"


def log_of(client: TestClient, citizen_id: str) -> list[dict[str, Any]]:
    """The citizen's access-log rows, newest first."""
    answer = client.get(LOG, params={"limit": 50}, headers=mint_token("inspection", citizen_id))
    assert answer.status_code == 200, answer.text
    return list(answer.json()["items"])


def demo_unit(registry: Registry) -> str:
    """The credit code of the demo lift's unit (张三 is its seeded contact)."""
    [lift] = [e for e in registry.equipment if e["registration_code"] == DEMO_LIFT]
    return str(lift["user_unit_code"])


@pytest.mark.slow
def test_each_read_of_the_contacts_records_is_logged(
    client: TestClient, registry: Registry
) -> None:
    zhangsan = mint_token("inspection", ZHANGSAN)
    assert log_of(client, ZHANGSAN) == []
    assert client.get("/v1/me/units", headers=zhangsan).status_code == 200
    unit = demo_unit(registry)
    assert client.get(f"/v1/me/units/{unit}/equipment", headers=zhangsan).status_code == 200
    [application] = client.get("/v1/me/applications", headers=zhangsan).json()["items"]
    number = application["number"]
    assert client.get(f"/v1/me/applications/{number}", headers=zhangsan).status_code == 200
    progress = client.post(
        "/v1/internal/answers/progress",
        json={"account": "dgtj", "text": "报检进度"},
        headers={
            **service_headers("gateway", "inspection"),
            CITIZEN_HEADER: zhangsan["Authorization"],
        },
    )
    assert progress.status_code == 200 and number in progress.json()["text"]
    rows = log_of(client, ZHANGSAN)
    assert [(r["resource"], r["detail"]) for r in rows] == [
        ("chat_answer", "progress"),
        ("applications", "申请详情"),
        ("applications", ""),
        ("unit_equipment", ""),
        ("units", ""),
    ]
    assert all(r["request_id"] for r in rows)


@pytest.mark.slow
def test_a_refused_read_leaves_no_row_and_logs_are_each_ones_own(
    client: TestClient, registry: Registry
) -> None:
    lisi = mint_token("inspection", LISI)
    unit = demo_unit(registry)
    assert client.get(f"/v1/me/units/{unit}/equipment", headers=lisi).status_code == 404
    assert client.get("/v1/me/applications/BJ20260613000001", headers=lisi).status_code == 404
    assert log_of(client, LISI) == []
    client.get("/v1/me/units", headers=lisi)
    assert [r["resource"] for r in log_of(client, LISI)] == ["units"]
    assert log_of(client, ZHANGSAN) == []
    assert client.get(LOG).status_code == 401


def test_the_export_is_logged_as_its_own_read(client: TestClient) -> None:
    token = mint_token("inspection", ZHANGSAN)["Authorization"]
    headers = {**service_headers("gateway", "inspection"), CITIZEN_HEADER: token}
    assert client.get("/v1/internal/export", headers=headers).status_code == 200
    [row] = log_of(client, ZHANGSAN)
    assert row["resource"] == "export"
