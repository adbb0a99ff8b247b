"""The OpenAPI document a client generator is glad to read (issue 18).

- **operationIds** are `<service>_<verbNoun>`, derived from the route: its `operation_id=` when
  it names one, else its name in lowerCamel (`list_my_payments` -> `listMyPayments`), with a
  verb put first when the name lacks one (`card` on GET -> `getCard`; a GET answering a list or
  a page -> `list...`; `post_account` -> `createAccount`). They are unique within a service
  (building the document fails otherwise) and, prefixed, across the suite. Renaming a handler
  renames its id: `tests/test_openapi_contract.py` holds a snapshot of every id to catch that.
- **Security**: a route that depends on `current_citizen` needs the citizen's bearer token
  (`citizenBearer`), one that depends on a `staff_only` dependency (`requires_staff`,
  `staff_actor`) the staff key (`staffApiKey`), and one that reads the caller's identity itself
  either; found in each route's dependency tree, never listed by hand.
- **Errors**: the `Problem` schema (RFC 9457) and, on every operation, the error responses it can
  give as `application/problem+json`: those it declares, 401/403 when it needs a caller, 404
  when its path names a resource, 422 when it takes input, 503 when it waits for the database.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any, get_origin

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute, iter_route_contexts
from pydantic import BaseModel

from servicekit.deps import database_place
from servicekit.errors import PROBLEM_JSON
from servicekit.identity import STAFF_ONLY, current_citizen, current_identity

CITIZEN = "citizenBearer"
STAFF = "staffApiKey"
SECURITY_SCHEMES: dict[str, dict[str, Any]] = {
    CITIZEN: {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": (
            "市民登录令牌：经微信网页授权登录后网关签发（`/api/v1/auth/wechat/authorize`），"
            "以 `Authorization: Bearer <令牌>` 发送；网关换成内部令牌转给服务。"
        ),
    },
    STAFF: {
        "type": "apiKey",
        "in": "header",
        "name": "X-Api-Key",
        "description": "工作人员 API 密钥（`GATEWAY_STAFF_KEYS`），网关换成带角色的内部令牌。",
    },
}
PROBLEM = "Problem"
FIELD_ERROR = "ProblemFieldError"
PROBLEM_REF = {"$ref": f"#/components/schemas/{PROBLEM}"}
PROBLEM_SCHEMAS: dict[str, dict[str, Any]] = {
    FIELD_ERROR: {
        "title": FIELD_ERROR,
        "type": "object",
        "description": "一个字段的错误。",
        "properties": {
            "field": {"type": "string", "description": "出错的字段，如 plate"},
            "in": {"type": "string", "description": "字段所在：query、path、body、header"},
            "message": {"type": "string", "description": "错误说明"},
            "type": {"type": "string", "description": "错误类型，如 missing、invalid_identifier"},
        },
        "required": ["field", "message"],
    },
    PROBLEM: {
        "title": PROBLEM,
        "type": "object",
        "description": "RFC 9457 问题详情（application/problem+json）；detail 为中文说明。",
        "properties": {
            "type": {"type": "string", "default": "about:blank"},
            "title": {"type": "string", "description": "状态码的标准短语"},
            "status": {"type": "integer", "minimum": 400, "maximum": 599},
            "detail": {"type": "string", "description": "中文说明"},
            "instance": {"type": "string", "description": "出错请求的路径"},
            "errors": {
                "type": "array",
                "items": {"$ref": f"#/components/schemas/{FIELD_ERROR}"},
                "description": "校验失败（422）时每个字段的错误",
            },
        },
        "required": ["type", "title", "status", "detail", "instance"],
        "examples": [
            {
                "type": "about:blank",
                "title": "Not Found",
                "status": 404,
                "detail": "未找到预报地点 huangjiang。",
                "instance": "/api/v1/weather/forecasts/huangjiang",
            }
        ],
    },
}
# Why each error status can come, for operations that do not say it themselves.
ERROR_TEXT = {
    401: "未登录或令牌无效、已过期",
    403: "身份不符或缺少所需角色",
    404: "资源不存在，或不属于调用者",
    422: "请求参数无效（errors 列出每个字段）",
    429: "请求过于频繁，请按 Retry-After 稍后再试",
    503: "服务繁忙或上游服务不可用，请稍后再试",
    504: "上游服务未及时响应",
}
HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
# Leading words that already are a verb; others get one from the method.
VERBS = frozenset(
    (
        *("add", "answer", "authorize", "cancel", "check", "create", "delete", "download"),
        *("export", "find", "get", "handle", "import", "issue", "list", "lookup", "move"),
        *("push", "receive", "refund", "remove", "replace", "resolve", "retire", "search"),
        *("sign", "study", "submit", "update", "upload", "verify"),
    )
)
# Method names used as a leading verb, and the verb of a method for a name lacking one.
METHOD_VERBS = {"post": "create", "put": "update", "patch": "update", "delete": "delete"}
INTERNAL_PREFIX = "/v1/internal"


def _camel(words: list[str]) -> str:
    return words[0] + "".join(word[:1].upper() + word[1:] for word in words[1:])


def _answers_many(route: Any) -> bool:
    """True when the route answers a list or a page of items (`{"items": [...]}`)."""
    model = getattr(route, "response_model", None)  # not yet set while FastAPI builds it
    if get_origin(model) is list:
        return True
    if isinstance(model, type) and issubclass(model, BaseModel):
        items = model.model_fields.get("items")
        return items is not None and get_origin(items.annotation) is list
    return False


def verb_noun(route: Any, method: str) -> str:
    """The route's `verbNoun` for `method`: its own `operation_id`, else its name in lowerCamel
    with a verb first (a method name as a verb becomes create/update)."""
    if route.operation_id:
        return route.operation_id
    words = [w for w in re.split(r"[^A-Za-z0-9]+", route.name) if w]
    words = [w.lower() for w in words] or ["operation"]
    lower = method.lower()
    if words[0] in METHOD_VERBS:
        words[0] = METHOD_VERBS[words[0]]
    elif words[0] not in VERBS:
        verb = "list" if lower == "get" and _answers_many(route) else METHOD_VERBS.get(lower, "get")
        words.insert(0, verb)
    return _camel(words)


def operation_id(service: str, route: Any, method: str) -> str:
    """`<service>_<verbNoun>` of the route for `method` (an explicit id may carry the prefix)."""
    name = verb_noun(route, method)
    return name if name.startswith(f"{service}_") else f"{service}_{name}"


def unique_id_function(service: str) -> Callable[[Any], str]:
    """FastAPI's `generate_unique_id_function` for a service: its operationIds, which also name
    the generated request-body schemas."""

    def generate(route: Any) -> str:
        return operation_id(service, route, sorted(route.methods)[0])

    return generate


def _calls(dependant: Dependant) -> Iterator[Any]:
    yield dependant.call
    for sub in dependant.dependencies:
        yield from _calls(sub)


def security_of(route: Any) -> list[dict[str, list[str]]] | None:
    """The security requirement of the route's dependencies (None: anyone may call)."""
    calls = list(_calls(route.dependant))
    if any(call is current_citizen for call in calls):
        return [{CITIZEN: []}]
    if any(getattr(call, STAFF_ONLY, False) for call in calls):
        return [{STAFF: []}]
    if any(call is current_identity for call in calls):
        return [{CITIZEN: []}, {STAFF: []}]
    return None


def _problem_response(description: str) -> dict[str, Any]:
    return {"description": description, "content": {PROBLEM_JSON: {"schema": PROBLEM_REF}}}


def add_error_responses(operation: dict[str, Any], statuses: list[int]) -> None:
    """Give `operation` each status of `statuses` it lacks, and make every error response it
    has (4xx, 5xx) an application/problem+json `Problem`."""
    responses = operation.setdefault("responses", {})
    for status in statuses:
        responses.setdefault(str(status), {"description": ERROR_TEXT[status]})
    for status, response in responses.items():
        if status[:1] in ("4", "5"):
            default = ERROR_TEXT.get(int(status), "错误") if status.isdigit() else "错误"
            text = response.get("description") or default
            if text == "Validation Error":
                text = ERROR_TEXT[422]
            responses[status] = {**response, **_problem_response(text)}


def _route_errors(route: Any, path: str, security: Any) -> list[int]:
    """The error statuses a route can give beyond those it declares."""
    statuses = []
    if security is not None or path.startswith(INTERNAL_PREFIX):
        statuses += [401, 403]
    if "{" in path:
        statuses.append(404)
    if any(call is database_place for call in _calls(route.dependant)):
        statuses.append(503)
    return statuses


def _referenced(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield value.rsplit("/", 1)[-1]
            else:
                yield from _referenced(value)
    elif isinstance(node, list):
        for item in node:
            yield from _referenced(item)


def _drop_unused_validation_schemas(doc: dict[str, Any]) -> None:
    """FastAPI's HTTPValidationError shapes, unused now that every 422 is a Problem."""
    schemas = doc.get("components", {}).get("schemas", {})
    for name in ("HTTPValidationError", "ValidationError"):
        if name in schemas:
            rest = {k: v for k, v in doc.items() if k != "components"}
            others = {k: v for k, v in schemas.items() if k != name}
            if name not in set(_referenced(rest)) | set(_referenced(others)):
                del schemas[name]


def _api_routes(app: FastAPI) -> Iterator[Any]:
    """Every route of `app` in its document, as included (routers' prefixes and dependencies)."""
    for context in iter_route_contexts(app.routes):
        if isinstance(context.original_route, APIRoute) and context.include_in_schema:
            yield context


def document(app: FastAPI, service: str) -> dict[str, Any]:
    """The app's OpenAPI document with the suite's operationIds, security and error responses;
    ValueError when two operations would share an id."""
    doc = get_openapi(
        title=app.title,
        version=app.version,
        openapi_version=app.openapi_version,
        description=app.description,
        routes=app.routes,
        tags=app.openapi_tags,
        servers=app.servers,
    )
    seen: dict[str, str] = {}
    uses: set[str] = set()
    for route in _api_routes(app):
        security = None if route.path_format.startswith(INTERNAL_PREFIX) else security_of(route)
        for method in sorted(route.methods):
            operation = doc["paths"].get(route.path_format, {}).get(method.lower())
            if operation is None:
                continue
            name = operation_id(service, route, method)
            where = f"{method} {route.path_format}"
            if name in seen:
                raise ValueError(f"operationId {name} of {where} is also that of {seen[name]}")
            seen[name] = where
            operation["operationId"] = name
            if security is not None and "security" not in operation:
                operation["security"] = security
            for requirement in operation.get("security", []):
                uses.update(requirement)
            add_error_responses(operation, _route_errors(route, route.path_format, security))
    components = doc.setdefault("components", {})
    components.setdefault("schemas", {}).update(PROBLEM_SCHEMAS)
    if uses:
        schemes = components.setdefault("securitySchemes", {})
        schemes.update(
            {name: SECURITY_SCHEMES[name] for name in sorted(uses) if name in SECURITY_SCHEMES}
        )
    _drop_unused_validation_schemas(doc)
    return doc


def install_openapi(app: FastAPI, service: str) -> None:
    """Serve `document(app, service)` as the app's OpenAPI document (built once, then kept)."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = document(app, service)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def operations(doc: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(method, path, operation) of every operation of `doc`."""
    for path, item in doc.get("paths", {}).items():
        for method in HTTP_METHODS:
            operation = item.get(method)
            if isinstance(operation, dict):
                yield method, path, operation
