"""Traffic's access log and data export: every read of a citizen's records (in the app, in the
chat, by an officer, by the export) is theirs to list, and the export is theirs alone."""

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from servicekit.answers import CITIZEN_HEADER
from servicekit.state import engine_of
from servicekit.testing import mint_token, service_headers
from traffic.models import PaymentOrder
from wechat.demo_citizens import demo_citizen

Headers = Callable[[str], dict[str, str]]
# Zhangsan's red-light decision of the seed, unpaid.
SEEDED_UNPAID = "4419002600000031"


def log_of(client: TestClient, headers: dict[str, str]) -> list[dict[str, Any]]:
    page = client.get("/v1/me/access-log", params={"limit": 100}, headers=headers)
    assert page.status_code == 200, page.text
    return list(page.json()["items"])


def export_headers(key: str) -> dict[str, str]:
    """The gateway's export call for a demo citizen (tokens minted when used: they live 60 s)."""
    citizen = mint_token("traffic", demo_citizen(key).citizen_id)["Authorization"]
    return {**service_headers("gateway", "traffic"), CITIZEN_HEADER: citizen}


@pytest.mark.slow
def test_each_own_read_in_the_app_is_listed_newest_first(
    client: TestClient, headers_of: Headers
) -> None:
    zhangsan = headers_of("zhangsan")
    reads = [
        ("/v1/me/violations", "violations"),
        ("/v1/me/licence", "licence"),
        ("/v1/me/bindings", "bindings"),
        ("/v1/me/appointments", "appointments"),
        ("/v1/me/payments", "payments"),
    ]
    for path, _ in reads:
        assert client.get(path, headers=zhangsan).status_code == 200, path
    items = log_of(client, zhangsan)
    assert [i["resource"] for i in items] == [r for _, r in reversed(reads)]
    assert {(i["reader"], i["reader_text"]) for i in items} == {("citizen", "本人")}
    assert items[-1]["resource_text"] == "交通违法记录"
    assert all(i["at"].endswith("+08:00") and i["request_id"] for i in items)
    # Wangwu's review study is his; nothing of Zhangsan's is in his log.
    wangwu = headers_of("wangwu")
    assert client.get("/v1/me/review-study", headers=wangwu).status_code == 200
    assert [i["resource"] for i in log_of(client, wangwu)] == ["review_study"]


def test_a_refused_read_leaves_no_row(client: TestClient, headers_of: Headers) -> None:
    lisi = headers_of("lisi")  # bound to nothing
    assert client.get("/v1/me/licence", headers=lisi).status_code == 404
    assert log_of(client, lisi) == []
    assert client.get("/v1/me/access-log").status_code == 401
    staff = mint_token("traffic", "officer-7", roles=["traffic_officer"], kind="staff")
    assert client.get("/v1/me/access-log", headers=staff).status_code == 403


def test_chat_answers_that_show_records_are_logged_as_the_chats(
    client: TestClient, headers_of: Headers
) -> None:
    citizen = mint_token("traffic", demo_citizen("zhangsan").citizen_id)["Authorization"]
    headers = {**service_headers("gateway", "traffic"), CITIZEN_HEADER: citizen}
    body = {"account": "dgjj", "text": "", "public_base_url": "https://gw.example.cn"}
    for intent in ("points", "road_conditions"):
        answer = client.post(f"/v1/internal/answers/{intent}", json=body, headers=headers)
        assert answer.status_code == 200, answer.text
    [row] = log_of(client, headers_of("zhangsan"))
    assert (row["resource"], row["detail"], row["reader"]) == ("chat_answer", "points", "chat")
    assert row["reader_text"] == "本人（微信聊天）"


def an_order_of(client: TestClient, key: str) -> int:
    """An open order for Zhangsan's seeded decision, made by `key` (written as traffic would)."""
    now = datetime(2026, 6, 15, 4, tzinfo=UTC)
    order = PaymentOrder(
        out_trade_no="GW2026061500000001",
        decision_number=SEEDED_UNPAID,
        citizen_id=demo_citizen(key).citizen_id,
        request_hash="0" * 64,
        payer_openid="o-test",
        description="交通违法罚款",
        fine_fen=20000,
        surcharge_fen=9000,
        amount_fen=29000,
        overdue_days=3,
        priced_on=date(2026, 6, 15),
        status="created",
        created_at=now,
        expires_at=now + timedelta(hours=2),
        updated_at=now,
    )
    with Session(engine_of(client.app)) as session:
        session.add(order)
        session.commit()
        assert order.id is not None
        return order.id


def test_an_officers_read_of_an_order_is_in_its_citizens_log(
    client: TestClient, headers_of: Headers
) -> None:
    order = an_order_of(client, "zhangsan")
    officer = mint_token("traffic", "officer-7", roles=["traffic_officer", "x"], kind="staff")
    assert client.get(f"/v1/payments/{order}", headers=officer).status_code == 200
    lisi = headers_of("lisi")
    assert client.get(f"/v1/payments/{order}/events", headers=lisi).status_code == 404
    [row] = log_of(client, headers_of("zhangsan"))
    assert (row["resource"], row["detail"]) == ("payments", f"订单{order}")
    assert (row["reader"], row["reader_text"]) == ("staff:traffic_officer", "工作人员（交警）")
    assert log_of(client, lisi) == []


@pytest.mark.slow
def test_the_export_holds_the_citizens_records_unmasked_and_is_logged(
    client: TestClient, headers_of: Headers
) -> None:
    order = an_order_of(client, "zhangsan")
    answer = client.get("/v1/internal/export", headers=export_headers("zhangsan"))
    assert answer.status_code == 200, answer.text
    data = answer.json()
    [vehicle] = data["vehicles"]
    assert (vehicle["plate"], vehicle["vin"]) == ("粤S12345", "LSVAU2187N2123456")
    [licence] = data["driver_licences"]
    assert licence["licence_number"] == "441900199001011231"
    assert licence["file_number"] == "441912345678"
    assert len(data["bindings"]) == 2 and data["violations"] and data["penalty_decisions"]
    assert [o["id"] for o in data["payment_orders"]] == [order]
    assert data["payment_orders"][0]["created_at"].endswith("+08:00")
    assert [r["resource"] for r in data["access_log"]] == ["export"]
    [listed] = log_of(client, headers_of("zhangsan"))
    assert (listed["resource_text"], listed["reader"]) == ("数据导出", "citizen")


def test_another_citizens_export_holds_nothing_of_theirs(client: TestClient) -> None:
    an_order_of(client, "zhangsan")
    data = client.get("/v1/internal/export", headers=export_headers("lisi")).json()
    assert data["bindings"] == [] and data["vehicles"] == [] and data["payment_orders"] == []
    assert data["violations"] == [] and data["penalty_decisions"] == []
    assert "粤S12345" not in str(data) and "441900199001011231" not in str(data)


def test_only_the_gateway_exports_and_only_for_a_citizen(
    client: TestClient, headers_of: Headers
) -> None:
    zhangsan = headers_of("zhangsan")
    refused = {
        "citizen alone": (zhangsan, 403),
        "gateway without citizen": (service_headers("gateway", "traffic"), 401),
        "accounts for a citizen": (
            {**service_headers("accounts", "traffic"), CITIZEN_HEADER: zhangsan["Authorization"]},
            403,
        ),
    }
    for case, (headers, status) in refused.items():
        assert client.get("/v1/internal/export", headers=headers).status_code == status, case
    assert log_of(client, zhangsan) == []
