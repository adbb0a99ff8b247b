"""Business guides (办事指南): search by Chinese text, details with materials and fees."""

import pytest
from fastapi.testclient import TestClient

from traffic.guides import search_terms


@pytest.mark.parametrize(
    ("q", "terms"),
    [
        ("换证", ["换证"]),
        (" 新车  上牌 ", ["新车", "上牌"]),
        ("年检\u3000年检", ["年检"]),
        ("驾驶证\x00换证", ["驾驶证", "换证"]),
        ("", []),
    ],
)
def test_search_terms(q: str, terms: list[str]) -> None:
    assert search_terms(q=q) == terms


@pytest.mark.parametrize(
    ("q", "ids"),
    [
        ("换证", {"licence-renewal"}),
        ("年检", {"annual-inspection"}),
        ("上牌", {"vehicle-registration"}),
        ("行驶证 补领", {"vehicle-licence-replacement"}),
        ("满分", {"full-score-study"}),
        ("审验", {"licence-review"}),
        ("违章", {"violation-handling"}),
        ("潜水艇", set()),
        ("100%", set()),
    ],
)
def test_search_by_text(client: TestClient, q: str, ids: set[str]) -> None:
    body = client.get("/v1/guides", params={"q": q}).json()
    assert {g["id"] for g in body["items"]} == ids and body["total"] == len(ids)


def test_all_guides_and_one_in_detail(client: TestClient) -> None:
    assert client.get("/v1/guides").json()["total"] == 10
    guide = client.get("/v1/guides/vehicle-registration").json()
    assert guide["title"] == "新车上牌（注册登记）"
    assert {"item": "汽车号牌", "fee_fen": 10000} in guide["fees"]
    assert guide["materials"] and guide["offices"] and "9:00" in guide["hours"]
    missing = client.get("/v1/guides/flying-car")
    assert missing.status_code == 404 and "未找到办事指南" in missing.json()["detail"]
