"""No citizen sees another's records; personal endpoints need a citizen token."""

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from servicekit.testing import mint_token

Headers = Callable[[str], dict[str, str]]
ZHANGSAN = {"name": "张三", "id_number": "441900199001011231", "card_number": "S19000123"}
READS = [
    "/v1/me/bindings",
    "/v1/me/profile",
    "/v1/me/contributions",
    "/v1/me/contributions/summary",
    "/v1/me/accounts",
    "/v1/me/accounts/pension/entries",
    "/v1/me/accounts/medical/entries",
    "/v1/me/card",
    "/v1/me/pension-payments",
    "/v1/me/certificate.pdf",
    "/v1/me/eligibility",
    "/v1/me/access-log",
]
CALLS = [("GET", path, None) for path in READS] + [
    ("POST", "/v1/me/bindings", ZHANGSAN),
    ("DELETE", "/v1/me/bindings/1", None),
]


@pytest.mark.parametrize("who", ["nobody", "staff", "other audience"])
def test_personal_endpoints_refuse_callers_that_are_not_citizens(
    client: TestClient, who: str
) -> None:
    headers = {
        "nobody": {},
        "staff": mint_token("socialsec", "staff-1", roles=["socialsec_officer"], kind="staff"),
        "other audience": mint_token("traffic", "c-0123456789abcdef"),
    }[who]
    for method, path, body in CALLS:
        response = client.request(method, path, json=body, headers=headers)
        assert response.status_code == (403 if who == "staff" else 401), (method, path)
        assert response.headers["content-type"] == "application/problem+json"


@pytest.mark.slow
def test_a_second_citizen_never_sees_the_firsts_records(
    client: TestClient, headers_of: Headers
) -> None:
    zhangsan, wangwu, lisi = headers_of("zhangsan"), headers_of("wangwu"), headers_of("lisi")
    mine = {path: client.get(path, headers=zhangsan) for path in READS}
    assert all(r.status_code == 200 for r in mine.values())
    binding_id = mine["/v1/me/bindings"].json()["items"][0]["id"]
    # An unbound citizen reaches nothing: no id in a path or query names a person.
    for path in READS:
        response = client.get(path, headers=lisi, params={"person_id": 1, "citizen_id": "x"})
        if path in ("/v1/me/bindings", "/v1/me/access-log"):
            assert response.json() == {"items": [], "total": 0}, path
        else:
            assert response.status_code == 404, path
            assert response.json()["type"] == "urn:guanwei:problem:socialsec-not-bound"
    assert client.delete(f"/v1/me/bindings/{binding_id}", headers=lisi).status_code == 404
    # A bound citizen sees only their own record.
    theirs = {path: client.get(path, headers=wangwu) for path in READS}
    assert theirs["/v1/me/profile"].json()["name"] == "王*"
    for path in READS:
        if path not in ("/v1/me/certificate.pdf", "/v1/me/pension-payments"):
            assert theirs[path].json() != mine[path].json(), path
    zhangsans_text = mine["/v1/me/profile"].json()["id_number"]
    for path in READS:
        assert zhangsans_text not in theirs[path].text, path
    # Zhangsan's binding survived the attempt.
    assert client.get("/v1/me/bindings", headers=zhangsan).json()["total"] == 1
