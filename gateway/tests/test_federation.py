"""REST federation end to end: the gateway and small fake upstreams (accounts, traffic and
weather), each served by uvicorn on a free port, with socialsec down."""

from __future__ import annotations

import asyncio
import http.client
import socket
import time
from collections.abc import Iterator
from typing import Any, Generic, TypeVar

import httpx
import pytest
from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel

from gateway.main import create_app
from gateway.settings import SERVICES, GatewaySettings
from servicekit.errors import NotFound, install_error_handlers
from servicekit.identity import verify_token
from servicekit.settings import SharedSettings
from servicekit.testing import TEST_SECRET, serve_in_thread

T = TypeVar("T")
SLOW_SECONDS = 3.0
TRAFFIC_TIMEOUT = 0.5
READINESS_DEADLINE = 1.0
MAX_BODY = 4096
STAFF_KEY = "a-registry-admin-key"


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int


def accounts_app(internal_hits: list[str]) -> FastAPI:
    """An upstream that echoes what it received; it also has an internal path and a `Page_Item_`."""
    app = FastAPI(title="accounts (fake)")

    class Item(BaseModel):
        id: int
        name: str

    @app.api_route(
        "/v1/echo/{rest:path}",
        methods=["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"],
        include_in_schema=False,
    )
    async def echo(request: Request, rest: str) -> Response:
        body = await request.body()
        received = {
            "method": request.method,
            "raw_path": request.scope["raw_path"].decode("latin-1"),
            "query": request.scope["query_string"].decode("latin-1"),
            "headers": [[k.decode(), v.decode()] for k, v in request.scope["headers"]],
            "body": body.decode("latin-1"),
        }
        headers = [
            ("x-upstream", "accounts"),
            ("x-multi", "one"),
            ("x-multi", "two"),
            ("keep-alive", "timeout=5"),
            ("proxy-authenticate", "Basic"),
            ("trailer", "x-checksum"),
            ("upgrade", "foo/1"),
            ("connection", "x-hop"),
            ("x-hop", "1"),
        ]
        response = JSONResponse(received, status_code=int(request.query_params.get("status", 200)))
        for name, value in headers:
            response.headers.append(name, value)
        return response

    @app.get("/v1/stream")
    async def stream() -> StreamingResponse:
        async def chunks() -> Any:
            for part in (b"alpha,", b"beta,", b"gamma"):
                yield part

        return StreamingResponse(chunks(), media_type="text/plain")

    @app.delete("/v1/nocontent", status_code=204)
    async def nocontent() -> Response:
        return Response(status_code=204)

    @app.get("/v1/internal/secret")
    async def secret() -> dict[str, str]:
        internal_hits.append("hit")
        return {"secret": "never through the gateway"}

    @app.get("/v1/items", response_model=Page[Item])
    async def items(limit: int = 20) -> Page[Item]:
        return Page(items=[Item(id=1, name="张三")][:limit], total=1)

    @app.get("/readyz")
    async def readyz() -> dict[str, str]:
        return {"status": "ready"}

    return app


def traffic_app() -> FastAPI:
    """An upstream with a slow endpoint and an `Item` (so a `Page_Item_`) unlike accounts'."""
    app = FastAPI(title="traffic (fake)")

    class Item(BaseModel):
        plate: str

    @app.get("/v1/slow")
    async def slow() -> dict[str, str]:
        await asyncio.sleep(SLOW_SECONDS)
        return {"status": "late"}

    @app.get("/v1/items", response_model=Page[Item])
    async def items(limit: int = 20) -> Page[Item]:
        return Page(items=[Item(plate="粤S12345")][:limit], total=1)

    @app.get("/readyz")
    async def readyz() -> dict[str, str]:
        return {"status": "ready"}

    return app


def weather_app() -> FastAPI:
    """An upstream with tagged routes and the kit's problem documents, as every service has."""
    app = FastAPI(title="weather (fake)")
    install_error_handlers(app)

    @app.get("/v1/locations", tags=["locations"], response_model=Page[str])
    async def locations(limit: int = 20) -> Page[str]:
        towns = ["dongguan", "humen", "changan"]
        return Page(items=towns[:limit], total=len(towns))

    @app.get("/v1/forecasts/{location_code}", tags=["forecasts"])
    async def forecast(location_code: str) -> dict[str, str]:
        if location_code != "dongguan":
            raise NotFound(f"未找到地点 {location_code}。")
        return {"location": location_code}

    @app.get("/readyz")
    async def readyz() -> dict[str, str]:
        return {"status": "ready"}

    return app


def hung_app() -> FastAPI:
    """An upstream that accepts connections but never answers in time."""
    app = FastAPI(title="hung (fake)")

    @app.get("/readyz")
    async def readyz() -> dict[str, str]:
        await asyncio.sleep(30)
        return {"status": "ready"}

    return app


@pytest.fixture(scope="module")
def internal_hits() -> list[str]:
    return []


@pytest.fixture(scope="module")
def accounts_url(internal_hits: list[str]) -> Iterator[str]:
    with serve_in_thread(accounts_app(internal_hits)) as url:
        yield url


@pytest.fixture(scope="module")
def traffic_url() -> Iterator[str]:
    with serve_in_thread(traffic_app()) as url:
        yield url


@pytest.fixture(scope="module")
def weather_url() -> Iterator[str]:
    with serve_in_thread(weather_app()) as url:
        yield url


@pytest.fixture(scope="module")
def hung_url() -> Iterator[str]:
    with serve_in_thread(hung_app()) as url:
        yield url


@pytest.fixture(scope="module")
def closed_url() -> str:
    """A URL where nothing listens."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return f"http://127.0.0.1:{port}"


def gateway_settings(**urls: str) -> GatewaySettings:
    return GatewaySettings(
        **{f"{name}_url": url for name, url in urls.items()},
        upstream_timeouts={"traffic": TRAFFIC_TIMEOUT},
        readiness_timeout_seconds=READINESS_DEADLINE,
        openapi_cache_seconds=0,
        max_body_bytes=MAX_BODY,
        staff_keys={STAFF_KEY: ["registry_admin"]},
        shared=SharedSettings(env="dev"),
    )


@pytest.fixture(scope="module")
def gateway(
    accounts_url: str, traffic_url: str, weather_url: str, closed_url: str
) -> Iterator[str]:
    """The gateway with socialsec down (inspection played by the accounts fake)."""
    settings = gateway_settings(
        accounts=accounts_url,
        traffic=traffic_url,
        weather=weather_url,
        socialsec=closed_url,
        inspection=accounts_url,
    )
    with serve_in_thread(create_app(settings)) as url:
        yield url


@pytest.fixture(scope="module")
def full_gateway(accounts_url: str, traffic_url: str, weather_url: str) -> Iterator[str]:
    """The gateway with all five upstreams up (socialsec and inspection played by the accounts
    fake)."""
    settings = gateway_settings(
        accounts=accounts_url,
        traffic=traffic_url,
        weather=weather_url,
        socialsec=accounts_url,
        inspection=accounts_url,
    )
    with serve_in_thread(create_app(settings)) as url:
        yield url


def raw_get(base_url: str, raw_path: str) -> tuple[int, dict[str, Any]]:
    """GET a path sent byte for byte (httpx would normalise dot segments and slashes)."""
    host, port = base_url.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=10)
    try:
        conn.request("GET", raw_path)
        response = conn.getresponse()
        return response.status, {
            "content_type": response.getheader("content-type", ""),
            "body": response.read(),
        }
    finally:
        conn.close()


def received_headers(response: httpx.Response) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for name, value in response.json()["headers"]:
        out.setdefault(name, []).append(value)
    return out


def assert_problem(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["status"] == status
    return problem


# -- forwarding --------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["GET", "POST", "PUT", "PATCH", "DELETE"])
def test_method_path_query_and_body_are_forwarded(gateway: str, method: str) -> None:
    query = "a=1&a=2&b=%20x%2By&c=%E4%B8%AD"
    body = b'{"name": "\xe5\xbc\xa0\xe4\xb8\x89"}' if method != "GET" else b""
    response = httpx.request(
        method,
        f"{gateway}/api/v1/accounts/echo/a%2Fb/c%20d?{query}",
        content=body,
        headers={"content-type": "application/json"} if body else {},
    )
    assert response.status_code == 200
    received = response.json()
    assert received["method"] == method
    assert received["raw_path"] == "/v1/echo/a%2Fb/c%20d"
    assert received["query"] == query
    assert received["body"].encode("latin-1") == body
    headers = received_headers(response)
    if body:
        assert headers["content-length"] == [str(len(body))]
        assert headers["content-type"] == ["application/json"]


def test_status_and_response_headers_are_relayed(gateway: str) -> None:
    response = httpx.post(f"{gateway}/api/v1/accounts/echo/x?status=201", content=b"{}")
    assert response.status_code == 201
    assert response.headers["x-upstream"] == "accounts"
    assert response.headers.get_list("x-multi") == ["one", "two"]
    assert response.headers["content-type"] == "application/json"
    assert response.headers["content-length"] == str(len(response.content))
    assert len(response.headers.get_list("date")) == 1


def test_upstream_error_status_passes_through(gateway: str) -> None:
    response = httpx.get(f"{gateway}/api/v1/accounts/echo/x?status=409")
    assert response.status_code == 409
    assert response.json()["method"] == "GET"


def test_hop_by_hop_request_headers_are_stripped(gateway: str, accounts_url: str) -> None:
    response = httpx.get(
        f"{gateway}/api/v1/accounts/echo/x",
        headers={
            "Connection": "keep-alive, X-Drop-Me",
            "X-Drop-Me": "1",
            "Keep-Alive": "timeout=5",
            "TE": "trailers",
            "Trailer": "x-checksum",
            "Upgrade": "foo/1",
            "Proxy-Authorization": "Basic eDp5",
            "Proxy-Connection": "keep-alive",
            "X-Custom": "kept",
        },
    )
    headers = received_headers(response)
    for name in (
        "connection",
        "x-drop-me",
        "keep-alive",
        "te",
        "trailer",
        "upgrade",
        "proxy-authorization",
        "proxy-connection",
        "authorization",
        "transfer-encoding",
    ):
        assert name not in headers, name
    assert headers["x-custom"] == ["kept"]
    assert headers["host"] == [accounts_url.removeprefix("http://")]
    assert headers["x-forwarded-for"] == ["127.0.0.1"]
    assert headers["x-forwarded-proto"] == ["http"]
    assert headers["x-forwarded-host"] == [gateway.removeprefix("http://")]


def test_hop_by_hop_response_headers_are_stripped(gateway: str, accounts_url: str) -> None:
    hop_by_hop = ("keep-alive", "proxy-authenticate", "trailer", "upgrade", "x-hop")
    direct = httpx.get(f"{accounts_url}/v1/echo/x")
    assert all(name in direct.headers for name in hop_by_hop)
    response = httpx.get(f"{gateway}/api/v1/accounts/echo/x")
    for name in hop_by_hop:
        assert name not in response.headers, name
    assert response.headers.get("connection", "keep-alive") == "keep-alive"


def test_chunked_request_body_is_forwarded_with_a_length(gateway: str) -> None:
    response = httpx.post(f"{gateway}/api/v1/accounts/echo/x", content=iter([b"ab", b"cd"]))
    received = response.json()
    assert received["body"] == "abcd"
    headers = received_headers(response)
    assert headers["content-length"] == ["4"]
    assert "transfer-encoding" not in headers


def test_chunked_upstream_response_is_reframed(gateway: str) -> None:
    response = httpx.get(f"{gateway}/api/v1/accounts/stream")
    assert response.status_code == 200
    assert response.text == "alpha,beta,gamma"
    assert "transfer-encoding" not in response.headers
    assert response.headers["content-length"] == str(len(response.content))


def test_head_keeps_the_upstream_length(gateway: str) -> None:
    get = httpx.get(f"{gateway}/api/v1/accounts/echo/x")
    head = httpx.head(f"{gateway}/api/v1/accounts/echo/x")
    assert head.status_code == 200
    assert head.content == b""
    assert int(head.headers["content-length"]) > 0
    assert head.headers["content-type"] == get.headers["content-type"]


def test_no_content_is_relayed(gateway: str) -> None:
    response = httpx.delete(f"{gateway}/api/v1/accounts/nocontent")
    assert response.status_code == 204
    assert response.content == b""


def test_request_id_is_forwarded_and_echoed(gateway: str) -> None:
    response = httpx.get(f"{gateway}/api/v1/accounts/echo/x", headers={"X-Request-ID": "rid-42"})
    assert received_headers(response)["x-request-id"] == ["rid-42"]
    assert response.headers["x-request-id"] == "rid-42"


def test_request_id_is_minted_when_missing_or_invalid(gateway: str) -> None:
    for headers in ({}, {"X-Request-ID": "not valid!"}):
        response = httpx.get(f"{gateway}/api/v1/accounts/echo/x", headers=headers)
        minted = response.headers["x-request-id"]
        assert minted != "not valid!"
        assert received_headers(response)["x-request-id"] == [minted]


def test_body_over_the_cap_is_413(gateway: str) -> None:
    too_big = b"x" * (MAX_BODY + 1)
    assert_problem(httpx.post(f"{gateway}/api/v1/accounts/echo/x", content=too_big), 413)
    chunked = iter([b"x" * MAX_BODY, b"x"])
    assert_problem(httpx.post(f"{gateway}/api/v1/accounts/echo/x", content=chunked), 413)


# -- what is not forwarded ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw_path",
    [
        "/api/v1/accounts/internal/secret",
        "/api/v1/accounts/internal",
        "/api/v1/accounts/%69nternal/secret",
        "/api/v1/accounts//internal/secret",
        "/api/v1/accounts/./internal/secret",
        "/api/v1/accounts/x/../internal/secret",
        "/api/v1/accounts/INTERNAL/secret",
        "/api/v1/accounts/internal%2Fsecret",
        "/api/v1/accounts/../traffic/items",
    ],
)
def test_internal_paths_are_never_exposed(
    gateway: str, internal_hits: list[str], raw_path: str
) -> None:
    status, response = raw_get(gateway, raw_path)
    assert status == 404
    assert response["content_type"] == "application/problem+json"
    assert not internal_hits


def test_unknown_service_is_404_problem(gateway: str) -> None:
    problem = assert_problem(httpx.get(f"{gateway}/api/v1/payroll/anything"), 404)
    assert "payroll" in problem["detail"]


# -- failing upstreams -------------------------------------------------------------------------


def test_unreachable_upstream_is_503_naming_it(gateway: str) -> None:
    started = time.monotonic()
    response = httpx.get(f"{gateway}/api/v1/socialsec/cards", timeout=10)
    elapsed = time.monotonic() - started
    problem = assert_problem(response, 503)
    assert "socialsec" in problem["detail"]
    assert problem["instance"] == "/api/v1/socialsec/cards"
    assert elapsed < GatewaySettings.model_fields["connect_timeout_seconds"].default + 2


@pytest.mark.slow
def test_slow_upstream_is_504_after_its_timeout(gateway: str) -> None:
    started = time.monotonic()
    response = httpx.get(f"{gateway}/api/v1/traffic/slow", timeout=10)
    elapsed = time.monotonic() - started
    problem = assert_problem(response, 504)
    assert "traffic" in problem["detail"]
    assert TRAFFIC_TIMEOUT <= elapsed < SLOW_SECONDS


def test_other_upstreams_keep_the_default_timeout(gateway: str) -> None:
    response = httpx.get(f"{gateway}/api/v1/weather/locations?limit=2")
    assert response.status_code == 200
    assert len(response.json()["items"]) == 2


# -- readiness ---------------------------------------------------------------------------------


def test_readyz_is_503_while_an_upstream_is_down(gateway: str) -> None:
    response = httpx.get(f"{gateway}/readyz", timeout=10)
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "not_ready"
    checks = body["checks"]
    assert set(checks) == {"accounts", "traffic", "weather", "socialsec", "inspection"}
    for name in ("accounts", "traffic", "weather", "inspection"):
        assert checks[name]["ready"] is True
        assert checks[name]["latency_ms"] >= 0
    assert checks["socialsec"]["ready"] is False
    assert checks["socialsec"]["error"] == "unavailable"


def test_readyz_is_200_when_every_upstream_is_ready(full_gateway: str) -> None:
    response = httpx.get(f"{full_gateway}/readyz", timeout=10)
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ready"
    assert all(check["ready"] for check in body["checks"].values())


@pytest.mark.slow
def test_readyz_probes_upstreams_concurrently_with_a_deadline(
    accounts_url: str, hung_url: str
) -> None:
    settings = gateway_settings(
        accounts=accounts_url,
        traffic=hung_url,
        weather=hung_url,
        socialsec=hung_url,
        inspection=hung_url,
    )
    with serve_in_thread(create_app(settings)) as url:
        started = time.monotonic()
        response = httpx.get(f"{url}/readyz", timeout=30)
        elapsed = time.monotonic() - started
    assert response.status_code == 503
    checks = response.json()["checks"]
    assert checks["accounts"]["ready"] is True
    for name in ("traffic", "weather", "socialsec", "inspection"):
        assert checks[name]["ready"] is False
        assert checks[name]["error"] == "timeout"
    # Four hung upstreams probed one after another would take four deadlines.
    assert elapsed < 2.5 * READINESS_DEADLINE


# -- merged OpenAPI ----------------------------------------------------------------------------


def resolve(doc: dict[str, Any], ref: str) -> Any:
    assert ref.startswith("#/"), ref
    node: Any = doc
    for part in ref[2:].split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def all_refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield value
            else:
                yield from all_refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from all_refs(item)


@pytest.mark.slow
def test_openapi_merges_every_available_service(gateway: str, internal_hits: list[str]) -> None:
    doc = httpx.get(f"{gateway}/openapi.json", timeout=10).json()
    paths = doc["paths"]
    assert "/api/v1/accounts/items" in paths
    assert "/api/v1/traffic/items" in paths
    assert "/api/v1/weather/locations" in paths
    assert "/api/v1/weather/forecasts/{location_code}" in paths
    assert not [p for p in paths if "internal" in p]
    assert not [p for p in paths if p.startswith("/v1/") or "{service}" in p]
    for ref in all_refs(doc):
        resolve(doc, ref)
    schemas = doc["components"]["schemas"]
    # Identical schemas are shared rather than duplicated.
    assert "HTTPValidationError" in schemas
    assert not [name for name in schemas if name.endswith("_HTTPValidationError")]
    operation_ids = [
        op["operationId"] for item in paths.values() for op in item.values() if "operationId" in op
    ]
    assert len(operation_ids) == len(set(operation_ids))
    weather_op = paths["/api/v1/weather/locations"]["get"]
    assert weather_op["operationId"].startswith("weather_")
    assert weather_op["tags"] == ["weather · locations"]
    services = doc["x-guanwei-services"]
    assert services["socialsec"]["available"] is False
    others = ("accounts", "traffic", "weather", "inspection")
    assert all(services[name]["available"] for name in others)
    assert doc["x-guanwei-complete"] is False
    assert "socialsec" in doc["info"]["description"]
    assert not internal_hits


def item_schema(doc: dict[str, Any], path: str) -> dict[str, Any]:
    ok = doc["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]
    page = resolve(doc, ok["schema"]["$ref"])
    return resolve(doc, page["properties"]["items"]["items"]["$ref"])


def test_openapi_clashing_schema_names_are_renamed(gateway: str) -> None:
    doc = httpx.get(f"{gateway}/openapi.json", timeout=10).json()
    schemas = doc["components"]["schemas"]
    # Same name, different shape: the later service's `Item` is renamed, and so is its
    # `Page_Item_`, identical in text but now referring to a different `Item`.
    assert {"Item", "Page_Item_", "traffic_Item", "traffic_Page_Item_"} <= set(schemas)
    assert set(item_schema(doc, "/api/v1/accounts/items")["properties"]) == {"id", "name"}
    assert set(item_schema(doc, "/api/v1/traffic/items")["properties"]) == {"plate"}


def test_openapi_identical_schemas_of_two_services_are_shared(full_gateway: str) -> None:
    doc = httpx.get(f"{full_gateway}/openapi.json", timeout=10).json()
    schemas = doc["components"]["schemas"]
    # socialsec is played by the accounts fake here: its schemas equal accounts' exactly.
    assert not [name for name in schemas if name.startswith("socialsec_")]
    assert item_schema(doc, "/api/v1/socialsec/items") == schemas["Item"]


def test_docs_show_all_five_services_with_local_assets(full_gateway: str) -> None:
    doc = httpx.get(f"{full_gateway}/openapi.json", timeout=10).json()
    for service in SERVICES:
        assert [p for p in doc["paths"] if p.startswith(f"/api/v1/{service}/")], service
    assert doc["x-guanwei-complete"] is True
    page = httpx.get(f"{full_gateway}/docs")
    assert page.status_code == 200
    assert "/openapi.json" in page.text
    assert "/docs-static/swagger-ui-bundle.js" in page.text
    assert "cdn" not in page.text.lower()
    asset = httpx.get(f"{full_gateway}/docs-static/swagger-ui-bundle.js")
    assert asset.status_code == 200


def test_service_problems_name_the_public_path(gateway: str) -> None:
    response = httpx.get(f"{gateway}/api/v1/weather/forecasts/atlantis")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["instance"] == "/api/v1/weather/forecasts/atlantis"
    assert "未找到地点" in problem["detail"]


def test_a_staff_key_becomes_an_internal_staff_token(gateway: str) -> None:
    response = httpx.get(f"{gateway}/api/v1/accounts/echo/x", headers={"X-Api-Key": STAFF_KEY})
    headers = received_headers(response)
    assert "x-api-key" not in headers
    scheme, token = headers["authorization"][0].split(" ")
    identity = verify_token(token, secret=TEST_SECRET, audience="accounts")
    assert scheme == "Bearer" and identity.kind == "staff"
    assert identity.roles == {"registry_admin"} and STAFF_KEY not in identity.subject


@pytest.mark.slow
def test_an_unknown_staff_key_is_refused_before_the_upstream(gateway: str) -> None:
    response = httpx.get(f"{gateway}/api/v1/accounts/echo/x", headers={"X-Api-Key": "guess"})
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert "method" not in response.json()
