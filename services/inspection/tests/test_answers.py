"""东莞特检's chat answers at `/v1/internal/answers`: the gateway's token, the catalogue, and each
intent's text; the message parsing as table tests."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from inspection.answers.texts import HELP, HOW_TO_ASK, identifier_in
from inspection.population import DEMO_LIFT, DEMO_OVERDUE_LIFT
from servicekit.chattext import utf8_len
from servicekit.testing import mint_token, service_headers


def ask(client: TestClient, intent: str, text: str = "", *, menu_click: bool = False) -> str:
    """The text of intent `intent` answering `text` (or a menu click)."""
    answer = client.post(
        f"/v1/internal/answers/{intent}",
        json={"account": "dgtj", "text": text, "menu_click": menu_click},
        headers=service_headers("gateway", "inspection"),
    )
    assert answer.status_code == 200, answer.text
    return answer.json()["text"]


@pytest.mark.parametrize(
    ("text", "found"),
    [
        (f"电梯 {DEMO_LIFT}", ("registration_code", DEMO_LIFT)),
        (f"电梯{DEMO_LIFT}", ("registration_code", DEMO_LIFT)),
        (DEMO_LIFT, ("registration_code", DEMO_LIFT)),
        (f"请帮我查一下{DEMO_LIFT}这台电梯", ("registration_code", DEMO_LIFT)),
        ("电梯 31104419", ("registration_code", "31104419")),
        ("检验 梯11粤S00001(15)", ("certificate", "梯11粤S00001(15)")),
        ("梯11粤S00001(15)", ("certificate", "梯11粤S00001(15)")),
        ("检验 3110", ("certificate", "3110")),
        ("电梯", None),
        ("  ", None),
    ],
)
def test_identifier_in(text: str, found: tuple[str, str] | None) -> None:
    assert identifier_in(text) == found


def test_the_catalogue(client: TestClient) -> None:
    body = client.get(
        "/v1/internal/answers", headers=service_headers("gateway", "inspection")
    ).json()
    assert body["service"] == "inspection"
    assert {i["name"]: i["citizen"] for i in body["intents"]} == {
        "about": "none",
        "guide": "none",
        "help": "none",
        "query": "none",
    }


def test_only_the_gateway_may_ask(client: TestClient) -> None:
    body = {"account": "dgtj", "text": "帮助"}
    assert client.post("/v1/internal/answers/help", json=body).status_code == 401
    citizen = mint_token("inspection", "citizen-1")
    assert client.post("/v1/internal/answers/help", json=body, headers=citizen).status_code in {
        401,
        403,
    }


def test_a_lift_lookup_answers_its_next_inspection_date(client: TestClient) -> None:
    text = ask(client, "query", f"电梯 {DEMO_LIFT}")
    assert "下次检验日期：2027年03月07日" in text and "南城街道" in text
    assert "上次检验：2026年03月07日 合格" in text and "96333" in text
    assert "超过检验有效期" not in text


def test_a_certificate_lookup_and_an_overdue_warning(client: TestClient) -> None:
    assert DEMO_LIFT in ask(client, "query", "检验 梯11粤S00001(15)")
    assert "超过检验有效期" in ask(client, "query", f"电梯 {DEMO_OVERDUE_LIFT}")


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("电梯 3110441900201506000", "20位数字"),
        ("检验 梯99粤S00001(15)", "梯99"),
        ("电梯 31104419002015069999", "未找到该设备"),
    ],
)
def test_a_bad_identifier_says_what_is_wrong_and_how_to_ask(
    client: TestClient, text: str, says: str
) -> None:
    answer = ask(client, "query", text)
    assert says in answer and answer.endswith(HOW_TO_ASK)


def test_the_menu_click_explains_how_to_ask(client: TestClient) -> None:
    assert ask(client, "query", "query", menu_click=True) == HOW_TO_ASK


def test_guides_about_and_help(client: TestClient) -> None:
    guides = ask(client, "guide")
    assert "特种设备使用登记" in guides and "电梯维护保养" in guides
    assert utf8_len(guides) <= 2048
    assert "东莞检测院" in ask(client, "about")
    assert ask(client, "help", "你好") == HELP


def test_an_intent_not_served_is_404(client: TestClient) -> None:
    answer = client.post(
        "/v1/internal/answers/progress",
        json={"account": "dgtj", "text": "报检进度"},
        headers=service_headers("gateway", "inspection"),
    )
    assert answer.status_code == 404
