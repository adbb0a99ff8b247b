"""`merge_openapi` on hand-written documents: paths, prefixes and component clashes."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from fastapi import FastAPI

from gateway.openapi_merge import FederatedOpenAPI, merge_openapi
from gateway.upstreams import UpstreamResponse
from servicekit.errors import UpstreamUnavailable

OWN = {
    "openapi": "3.1.0",
    "info": {"title": "gateway", "description": "统一入口。", "version": "1.0.0"},
    "paths": {"/wechat/{code}": {"get": {"operationId": "verify", "tags": ["wechat"]}}},
}


def ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def ok(schema: dict[str, Any]) -> dict[str, Any]:
    return {"200": {"description": "OK", "content": {"application/json": {"schema": schema}}}}


def service_doc(item: dict[str, Any], **extra_paths: Any) -> dict[str, Any]:
    """A service with `Item`, `Page_Item_` referring to it, and an identical error schema."""
    return {
        "openapi": "3.1.0",
        "info": {"title": "svc", "version": "2.0.0"},
        "tags": [{"name": "items", "description": "条目"}],
        "paths": {
            "/v1/items": {
                "get": {
                    "operationId": "list_items",
                    "tags": ["items"],
                    "responses": ok(ref("Page_Item_")),
                }
            },
            "/v1/internal/sync": {"post": {"operationId": "sync", "responses": ok(ref("Item"))}},
            "/v1/internal": {"get": {"operationId": "internal_index"}},
            "/healthz": {"get": {"operationId": "healthz"}},
            **extra_paths,
        },
        "components": {
            "schemas": {
                "Item": item,
                "Page_Item_": {
                    "type": "object",
                    "properties": {"items": {"type": "array", "items": ref("Item")}},
                },
                "HTTPValidationError": {"type": "object", "title": "HTTPValidationError"},
            }
        },
    }


def all_refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref":
                yield value
            else:
                yield from all_refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from all_refs(item)


def resolve(doc: dict[str, Any], pointer: str) -> Any:
    node: Any = doc
    for part in pointer.removeprefix("#/").split("/"):
        node = node[part]
    return node


ACCOUNTS_ITEM = {"type": "object", "properties": {"id": {"type": "integer"}}}
TRAFFIC_ITEM = {"type": "object", "properties": {"plate": {"type": "string"}}}


def test_paths_are_rewritten_and_internal_ones_dropped() -> None:
    doc = merge_openapi(OWN, {"accounts": service_doc(ACCOUNTS_ITEM)}, {})
    assert set(doc["paths"]) == {"/wechat/{code}", "/api/v1/accounts/items"}
    operation = doc["paths"]["/api/v1/accounts/items"]["get"]
    assert operation["operationId"] == "accounts_list_items"
    assert operation["tags"] == ["accounts · items"]
    assert {"name": "accounts · items", "description": "条目"} in doc["tags"]
    assert doc["paths"]["/wechat/{code}"]["get"]["operationId"] == "verify"


def test_identical_components_are_shared_and_differing_ones_renamed() -> None:
    services = {
        "accounts": service_doc(ACCOUNTS_ITEM),
        "traffic": service_doc(TRAFFIC_ITEM),
        "weather": service_doc(ACCOUNTS_ITEM),
    }
    doc = merge_openapi(OWN, services, {})
    schemas = doc["components"]["schemas"]
    assert set(schemas) == {
        "Problem",
        "ProblemFieldError",
        "Item",
        "Page_Item_",
        "HTTPValidationError",
        "traffic_Item",
        "traffic_Page_Item_",
    }
    # traffic's Page_Item_ reads the same as accounts' but refers to a different Item.
    assert schemas["traffic_Page_Item_"]["properties"]["items"]["items"] == ref("traffic_Item")
    traffic_ok = doc["paths"]["/api/v1/traffic/items"]["get"]["responses"]["200"]
    assert traffic_ok["content"]["application/json"]["schema"] == ref("traffic_Page_Item_")
    weather_ok = doc["paths"]["/api/v1/weather/items"]["get"]["responses"]["200"]
    assert weather_ok["content"]["application/json"]["schema"] == ref("Page_Item_")
    for pointer in all_refs(doc):
        resolve(doc, pointer)


def test_inputs_are_not_modified() -> None:
    traffic = service_doc(TRAFFIC_ITEM)
    before = repr(traffic)
    merge_openapi(OWN, {"accounts": service_doc(ACCOUNTS_ITEM), "traffic": traffic}, {})
    assert repr(traffic) == before


def test_discriminator_mappings_and_security_schemes_follow_renames() -> None:
    def with_union(bearer_format: str) -> dict[str, Any]:
        spec = service_doc(
            TRAFFIC_ITEM if bearer_format == "traffic" else ACCOUNTS_ITEM,
            **{
                "/v1/me": {
                    "get": {
                        "operationId": "me",
                        "security": [{"HTTPBearer": []}],
                        "responses": ok(ref("Owned")),
                    }
                }
            },
        )
        spec["components"]["schemas"]["Owned"] = {
            "oneOf": [ref("Item")],
            "discriminator": {"propertyName": "kind", "mapping": {"item": ref("Item")["$ref"]}},
        }
        spec["components"]["securitySchemes"] = {
            "HTTPBearer": {"type": "http", "scheme": "bearer", "bearerFormat": bearer_format}
        }
        return spec

    doc = merge_openapi(OWN, {"accounts": with_union("a"), "traffic": with_union("traffic")}, {})
    owned = doc["components"]["schemas"]["traffic_Owned"]
    assert owned["discriminator"]["mapping"] == {"item": "#/components/schemas/traffic_Item"}
    assert set(doc["components"]["securitySchemes"]) == {"HTTPBearer", "traffic_HTTPBearer"}
    assert doc["paths"]["/api/v1/traffic/me"]["get"]["security"] == [{"traffic_HTTPBearer": []}]
    assert doc["paths"]["/api/v1/accounts/me"]["get"]["security"] == [{"HTTPBearer": []}]


def test_missing_services_are_noted() -> None:
    doc = merge_openapi(
        OWN,
        {"accounts": service_doc(ACCOUNTS_ITEM), "socialsec": None},
        {"socialsec": "Service Unavailable"},
    )
    assert doc["x-guanwei-complete"] is False
    assert doc["x-guanwei-services"]["socialsec"] == {
        "available": False,
        "error": "Service Unavailable",
    }
    assert doc["x-guanwei-services"]["accounts"]["available"] is True
    assert "socialsec" in doc["info"]["description"]
    assert doc["info"]["description"].startswith("统一入口。")
    assert OWN["info"]["description"] == "统一入口。"


class FakeUpstreams:
    """Serves `/openapi.json` per service from a dict, counting fetches; None means down."""

    def __init__(self, docs: dict[str, dict[str, Any] | None]) -> None:
        self.urls = {name: f"http://{name}" for name in docs}
        self.docs = docs
        self.fetches = 0

    async def request(self, service: str, method: str, path: str, **_: Any) -> UpstreamResponse:
        self.fetches += 1
        doc = self.docs[service]
        if doc is None:
            raise UpstreamUnavailable(f"上游服务 {service} 暂时不可用，请稍后再试。")
        return UpstreamResponse(200, [], json.dumps(doc).encode())


async def test_merged_document_is_cached_for_its_ttl() -> None:
    upstreams = FakeUpstreams({"accounts": service_doc(ACCOUNTS_ITEM)})
    app = FastAPI()
    cached = FederatedOpenAPI(upstreams, timeout=1, ttl=60)  # type: ignore[arg-type]
    first = await cached.document(app)
    assert "/api/v1/accounts/items" in first["paths"]
    assert await cached.document(app) is first
    assert upstreams.fetches == 1
    uncached = FederatedOpenAPI(upstreams, timeout=1, ttl=0)  # type: ignore[arg-type]
    await uncached.document(app)
    await uncached.document(app)
    assert upstreams.fetches == 3


async def test_incomplete_document_is_kept_only_briefly(monkeypatch: Any) -> None:
    monkeypatch.setattr("gateway.openapi_merge.INCOMPLETE_TTL_SECONDS", 0)
    upstreams = FakeUpstreams({"accounts": service_doc(ACCOUNTS_ITEM), "traffic": None})
    federated = FederatedOpenAPI(upstreams, timeout=1, ttl=60)  # type: ignore[arg-type]
    app = FastAPI()
    first = await federated.document(app)
    assert first["x-guanwei-services"]["traffic"]["available"] is False
    upstreams.docs["traffic"] = service_doc(TRAFFIC_ITEM)
    second = await federated.document(app)
    assert second["x-guanwei-complete"] is True
    assert "/api/v1/traffic/items" in second["paths"]
    # Complete now, so kept for the full ttl.
    assert await federated.document(app) is second
