import pytest
from fastapi.testclient import TestClient

from servicekit.errors import InvalidIdentifier, ValidationFailed, valid

PROBLEM = "application/problem+json"


def test_domain_not_found_is_a_problem(client: TestClient) -> None:
    response = client.get("/v1/things/nope")
    assert response.status_code == 404
    assert response.headers["content-type"] == PROBLEM
    assert response.json() == {
        "type": "about:blank",
        "title": "Not Found",
        "status": 404,
        "detail": "未找到“nope”。",
        "instance": "/v1/things/nope",
    }


def test_unknown_route_and_method_are_problems(client: TestClient) -> None:
    missing = client.get("/v1/nowhere")
    assert missing.status_code == 404 and missing.headers["content-type"] == PROBLEM
    assert missing.json()["detail"] == "未找到请求的资源。"
    wrong = client.delete("/v1/things/known")
    assert wrong.status_code == 405 and wrong.headers["content-type"] == PROBLEM


def test_validation_errors_name_each_field(client: TestClient) -> None:
    response = client.get("/v1/things/known", params={"size": "abc"})
    assert response.status_code == 422 and response.headers["content-type"] == PROBLEM
    body = response.json()
    assert [e["field"] for e in body["errors"]] == ["size"]
    assert body["errors"][0]["in"] == "query"
    assert "size" in body["detail"]


def test_unexpected_error_is_a_500_problem_without_internals(client: TestClient) -> None:
    response = client.get("/v1/boom")
    assert response.status_code == 500 and response.headers["content-type"] == PROBLEM
    assert "secret internals" not in response.text and "Traceback" not in response.text


def test_limit_is_capped_at_100(client: TestClient) -> None:
    body = client.get("/v1/things", params={"limit": 1000}).json()
    assert len(body["items"]) == 100 and body["total"] == 250
    assert client.get("/v1/things", params={"offset": -1}).status_code == 422


def _refuse() -> str:
    raise InvalidIdentifier("号牌号码格式不正确。")


def test_valid_turns_a_validators_message_into_a_422_naming_the_field() -> None:
    assert valid("plate", "query", lambda: "粤S12345") == "粤S12345"
    with pytest.raises(ValidationFailed) as caught:
        valid("plate", "query", _refuse)
    assert caught.value.status == 422
    assert caught.value.detail == "号牌号码格式不正确。"
    assert caught.value.errors == [
        {
            "field": "plate",
            "in": "query",
            "message": "号牌号码格式不正确。",
            "type": "invalid_identifier",
        }
    ]
