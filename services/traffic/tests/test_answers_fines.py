"""罚款缴纳 / 交罚款: a bound citizen's unpaid decisions priced today, and the payment link."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from fastapi.testclient import TestClient

from servicekit.answers import CITIZEN_HEADER
from servicekit.chattext import TEXT_LIMIT_BYTES, utf8_len
from servicekit.money import yuan_text
from servicekit.testing import mint_token, service_headers
from traffic.answers.texts import NOT_BOUND_FINES, PAY_IN_APP, format_unpaid_fines, mask_plate
from traffic.models import ViolationPublic
from traffic.population import DEMO_PEOPLE

BASE = "https://gw.example.cn"
PAY_PAGE = f"{BASE}/h5/fines?account=dgjj"
PEOPLE = {p.citizen.id: p for p in DEMO_PEOPLE}


def unpaid(number: str, *, surcharge: int = 0, overdue: int = 0, plate: str = "粤S12345") -> Any:
    return ViolationPublic.model_validate(
        {
            "id": 1,
            "plate": plate,
            "code": "1345",
            "description": "机动车违反禁令标志指示的",
            "occurred_at": "2026-05-01T08:00:00+08:00",
            "place": "东莞大道",
            "points": 3,
            "fine_fen": 20000,
            "status": "decided_unpaid",
            "decision_number": number,
            "decided_on": "2026-05-10",
            "due_on": "2026-05-25",
            "overdue_days": overdue,
            "surcharge_fen": surcharge,
            "amount_due_fen": 20000 + surcharge,
        }
    )


@pytest.mark.parametrize(
    ("plate", "shown"),
    [("粤S12345", "粤S***45"), ("粤SD66888", "粤S****88"), ("粤SB7788", "粤S***88")],
)
def test_plates_are_masked(plate: str, shown: str) -> None:
    assert mask_plate(plate) == shown


def test_unpaid_decisions_with_surcharge_total_and_link() -> None:
    text = format_unpaid_fines(
        [unpaid("4419002600000031", surcharge=3000, overdue=5), unpaid("4419002600000049")],
        unhandled=2,
        on=date(2026, 5, 30),
        pay_url=PAY_PAGE,
    )
    lines = text.splitlines()
    assert lines[0] == "您有2笔待缴罚款，截至5月30日应缴合计430元："
    assert lines[1] == "1. 粤S***45 决定书编号4419002600000031"
    assert lines[2] == "机动车违反禁令标志指示的，应缴230元（含逾期5天加处罚款30元）"
    assert lines[4] == "机动车违反禁令标志指示的，应缴200元（2026-05-25前缴纳不加处罚款）"
    assert "另有2条违法尚未处理" in lines[5]
    assert lines[-1] == f"点击缴纳罚款（微信支付）：{PAY_PAGE}"
    assert "粤S12345" not in text


def test_none_unpaid_and_no_link_without_the_gateways_origin() -> None:
    assert format_unpaid_fines([], unhandled=0, on=date(2026, 5, 30), pay_url=PAY_PAGE) == (
        "您绑定的机动车和驾驶证目前没有待缴的罚款。"
    )
    text = format_unpaid_fines(
        [unpaid("4419002600000031")], unhandled=0, on=date(2026, 5, 30), pay_url=None
    )
    assert text.splitlines()[-1] == PAY_IN_APP


def test_many_decisions_stay_within_the_limit_and_keep_the_link() -> None:
    many = [unpaid(f"44190026{i:08d}") for i in range(80)]
    text = format_unpaid_fines(many, unhandled=0, on=date(2026, 5, 30), pay_url=PAY_PAGE)
    assert utf8_len(text) <= TEXT_LIMIT_BYTES
    assert "笔未列出" in text and text.endswith(PAY_PAGE)


def ask(client: TestClient, citizen: str | None, **fields: Any) -> dict[str, Any]:
    headers = service_headers("gateway", "traffic")
    if citizen is not None:
        token = mint_token("traffic", PEOPLE[citizen].citizen.citizen_id)["Authorization"]
        headers[CITIZEN_HEADER] = token
    body = {"account": "dgjj", "text": "交罚款", "public_base_url": BASE, **fields}
    response = client.post("/v1/internal/answers/fine_payment", json=body, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def test_a_bound_citizen_gets_their_unpaid_decisions_and_the_link(
    client: TestClient, headers_of: Callable[[str], dict[str, str]]
) -> None:
    mine = client.get("/v1/me/violations", params={"limit": 100}, headers=headers_of("zhangsan"))
    due = [v for v in mine.json()["items"] if v["status"] == "decided_unpaid"]
    assert due
    answer = ask(client, "zhangsan")
    assert answer["personal"] and not answer["needs_citizen"]
    text = answer["text"]
    assert text.startswith(f"您有{len(due)}笔待缴罚款")
    total = sum(v["amount_due_fen"] for v in due)
    assert f"应缴合计{yuan_text(total)}" in text
    for v in due:
        assert f"决定书编号{v['decision_number']}" in text
        assert f"应缴{yuan_text(v['amount_due_fen'])}" in text
    assert "粤S***45" in text and "粤S12345" not in text
    assert text.endswith(PAY_PAGE)
    assert answer["links"] == [{"title": "缴纳罚款", "url": PAY_PAGE}]
    # The menu button answers the same; the link names the account asked.
    assert ask(client, "zhangsan", text="TRAFFIC_FINE_PAYMENT", menu_click=True) == answer
    other = ask(client, "zhangsan", account="dgjj2")["links"][0]["url"]
    assert other == f"{BASE}/h5/fines?account=dgjj2"


def test_without_the_citizen_bound_or_unknown(client: TestClient) -> None:
    assert ask(client, None)["needs_citizen"]
    unbound = ask(client, "lisi")
    assert (unbound["text"], unbound["personal"], unbound["links"]) == (NOT_BOUND_FINES, True, [])


def test_a_citizen_with_nothing_unpaid_is_told_so(client: TestClient) -> None:
    # 王五's seeded violations: one unhandled, none decided and unpaid.
    answer = ask(client, "wangwu")
    assert answer["text"].splitlines() == [
        "您绑定的机动车和驾驶证目前没有待缴的罚款。",
        "另有1条违法尚未处理，处理后才能缴款，回复“违章”查看。",
    ]
    assert answer["links"] == []
