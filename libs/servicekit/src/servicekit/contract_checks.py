"""What every service's tests check of its HTTP contract (DESIGN §5-§6): paging and problems,
HTTP caching, the bindings-deletion contract, bounded integer parameters. Called from each
service's tests with its own client, paths and roles."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from servicekit.testing import mint_token, service_headers
from wechat.demo_citizens import demo_citizen


def assert_suite_conventions(client: Any, list_path: str) -> None:
    """A service follows DESIGN §5 on `list_path`: capped paging, 422 problems, ready at head."""
    capped = client.get(list_path, params={"limit": 1000}).json()
    assert len(capped["items"]) <= 100 and isinstance(capped["total"], int)
    bad = client.get(list_path, params={"limit": "abc"})
    assert bad.status_code == 422
    assert bad.headers["content-type"] == "application/problem+json"
    assert [e["field"] for e in bad.json()["errors"]] == ["limit"]
    ready = client.get("/readyz").json()
    assert ready["status"] == "ready" and ready["checks"]["database"]["at_head"]


def assert_public_get_is_cacheable(client: Any, path: str, max_age: int) -> None:
    """A public, non-personal GET is marked `public, max-age=<max_age>` with an ETag, answers
    that ETag in If-None-Match with an empty 304, and another ETag with the full answer."""
    first = client.get(path)
    assert first.status_code == 200, first.text
    assert first.headers["cache-control"] == f"public, max-age={max_age}"
    etag = first.headers["etag"]
    conditional = client.get(path, headers={"If-None-Match": etag})
    assert conditional.status_code == 304 and conditional.content == b""
    assert conditional.headers["etag"] == etag
    assert client.get(path, headers={"If-None-Match": '"stale"'}).json() == first.json()


def assert_never_cacheable(response: Any) -> None:
    """A personal answer (200) is never marked for shared caches, nor given an ETag."""
    assert response.status_code == 200, response.text
    assert "public" not in response.headers.get("cache-control", "")
    assert "etag" not in response.headers


def assert_bindings_deletion_contract(client: Any, service: str) -> None:
    """`DELETE /v1/internal/citizens/{id}/bindings` (consent withdrawal) as DESIGN §6 needs it.

    Only accounts may call it, repeating it is harmless, and every refusal is a problem.
    """
    path = "/v1/internal/citizens/c-0123456789abcdef/bindings"
    for _ in range(2):
        response = client.delete(path, headers=service_headers("accounts", service))
        assert response.status_code == 204 and response.content == b""
    refused = {
        "citizen": mint_token(service, "c-0123456789abcdef"),
        "staff": mint_token(service, "staff-1", roles=[f"{service}_officer"], kind="staff"),
        "gateway": service_headers("gateway", service),
        "weather": service_headers("weather", service),
    }
    for caller, headers in refused.items():
        response = client.delete(path, headers=headers)
        assert response.status_code == 403, caller
        assert response.headers["content-type"] == "application/problem+json"
    assert client.delete(path).status_code == 401
    other_audience = service_headers("accounts", "weather" if service != "weather" else "traffic")
    assert client.delete(path, headers=other_audience).status_code == 401


OVERSIZED_INTEGERS = (2**31, 2**63, 2**64)


def _integer_parameters(openapi: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, operations in openapi["paths"].items():
        for method, operation in operations.items():
            for parameter in operation.get("parameters", []):
                schema = parameter.get("schema", {})
                types = {schema.get("type")} | {s.get("type") for s in schema.get("anyOf", [])}
                if "integer" in types and parameter["in"] in ("path", "query"):
                    yield path, method, parameter


def assert_integers_bounded(client: Any, service: str, staff_roles: list[str]) -> None:
    """Every integer path or query parameter of the app refuses a number beyond what the
    database holds with a 422 problem naming it, whoever calls, never a 5xx.

    The citizen is zhangsan, whom every service's seed knows (a stranger stops at 404 first).
    """
    callers = [
        mint_token(service, demo_citizen("zhangsan").citizen_id),
        mint_token(service, "staff-1", roles=staff_roles, kind="staff"),
        service_headers("gateway", service),
    ]
    checked = 0
    for path, method, parameter in _integer_parameters(client.get("/openapi.json").json()):
        name = parameter["name"]
        for value in OVERSIZED_INTEGERS:
            url = path
            for other in re.findall(r"{(\w+)}", path):
                url = url.replace("{" + other + "}", str(value) if other == name else "1")
            params = {name: str(value)} if parameter["in"] == "query" else {}
            answers = [
                client.request(method, url, params=params, headers=headers) for headers in callers
            ]
            assert all(a.status_code < 500 for a in answers), (method, url, params)
            named = [
                a
                for a in answers
                if a.status_code == 422 and name in {e["field"] for e in a.json()["errors"]}
            ]
            assert named, (method, url, params, [a.status_code for a in answers])
            assert named[0].headers["content-type"] == "application/problem+json"
            checked += 1
    assert checked, "the app has no integer parameter"
