"""RFC 9457 problem details, raised by domain code and rendered once for every part.

Hierarchy::

    Problem                      any error that becomes application/problem+json
    ├── BadRequest               400
    ├── Unauthorized             401
    ├── Forbidden                403
    ├── NotFound                 404
    ├── Conflict                 409
    ├── ValidationFailed         422, with per-field `errors`
    ├── TooManyRequests          429
    ├── ServiceBusy              503, no database place freed in time (with Retry-After)
    ├── UpstreamUnavailable      503, an upstream part is down
    └── UpstreamTimeout          504, an upstream part did not answer in time

Domain code raises these, never `HTTPException`. FastAPI's own 404/405/422 and any unexpected
exception are rendered in the same shape; an unexpected exception never shows its trace.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from http import HTTPStatus
from typing import Any, TypeVar

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException

PROBLEM_JSON = "application/problem+json"
# When a busy service asks clients to come back (seconds).
BUSY_RETRY_AFTER = "2"
log = logging.getLogger("servicekit.errors")
T = TypeVar("T")


class Problem(Exception):
    """An error with an HTTP status and a human-readable detail (Chinese for citizens)."""

    status: int = 500
    title: str = "Internal Server Error"

    def __init__(
        self,
        detail: str,
        *,
        errors: list[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
        type_: str = "about:blank",
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = errors
        self.headers = headers
        self.type = type_


class BadRequest(Problem):
    status, title = 400, "Bad Request"


class Unauthorized(Problem):
    status, title = 401, "Unauthorized"


class Forbidden(Problem):
    status, title = 403, "Forbidden"


class NotFound(Problem):
    status, title = 404, "Not Found"


class Conflict(Problem):
    status, title = 409, "Conflict"


class ValidationFailed(Problem):
    status, title = 422, "Unprocessable Content"


class TooManyRequests(Problem):
    status, title = 429, "Too Many Requests"


class ServiceBusy(Problem):
    status, title = 503, "Service Unavailable"


class UpstreamUnavailable(Problem):
    status, title = 503, "Service Unavailable"


class UpstreamTimeout(Problem):
    status, title = 504, "Gateway Timeout"


class InvalidIdentifier(ValueError):
    """An identifier that cannot be right; the message says why, in Chinese, for the citizen."""


def valid(field: str, location: str, check: Callable[[], T]) -> T:
    """Run `check`; an InvalidIdentifier becomes a 422 naming `field` (in `location`)."""
    try:
        return check()
    except InvalidIdentifier as exc:
        message = str(exc)
        raise ValidationFailed(
            message,
            errors=[
                {"field": field, "in": location, "message": message, "type": "invalid_identifier"}
            ],
        ) from None


def problem_response(
    *,
    status: int,
    detail: str,
    instance: str,
    title: str | None = None,
    type_: str = "about:blank",
    errors: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    """Render one problem document."""
    body: dict[str, Any] = {
        "type": type_,
        "title": title or HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        "instance": instance,
    }
    if errors is not None:
        body["errors"] = errors
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


_STATUS_DETAIL = {
    404: "未找到请求的资源。",
    405: "该资源不支持此请求方法。",
}


def _field_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    out = []
    for err in exc.errors():
        loc = [str(part) for part in err.get("loc", ())]
        out.append(
            {
                "field": ".".join(loc[1:]) or ".".join(loc),
                "in": loc[0] if loc else "",
                "message": err.get("msg", ""),
                "type": err.get("type", ""),
            }
        )
    return out


def install_error_handlers(app: FastAPI) -> None:
    """Make every error of `app` an application/problem+json response."""

    @app.exception_handler(Problem)
    async def _problem(request: Request, exc: Problem) -> JSONResponse:
        return problem_response(
            status=exc.status,
            title=exc.title,
            detail=exc.detail,
            instance=request.url.path,
            type_=exc.type,
            errors=exc.errors,
            headers=exc.headers,
        )

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = _field_errors(exc)
        names = "、".join(sorted({e["field"] for e in errors}))
        return problem_response(
            status=422, detail=f"请求参数无效：{names}", errors=errors, instance=request.url.path
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        detail = (
            exc.detail
            if isinstance(exc.detail, str)
            and exc.detail not in (HTTPStatus(exc.status_code).phrase,)
            else _STATUS_DETAIL.get(exc.status_code, HTTPStatus(exc.status_code).phrase)
        )
        return problem_response(
            status=exc.status_code,
            detail=detail,
            instance=request.url.path,
            headers=getattr(exc, "headers", None),
        )

    @app.exception_handler(PoolTimeout)
    async def _pool_timeout(request: Request, exc: PoolTimeout) -> JSONResponse:
        # Every connection stayed busy for the whole checkout wait: overloaded, not broken.
        log.warning("database pool exhausted on %s %s", request.method, request.url.path)
        return problem_response(
            status=503,
            detail="服务繁忙，请稍后再试。",
            instance=request.url.path,
            headers={"Retry-After": BUSY_RETRY_AFTER},
        )

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return problem_response(
            status=500, detail="服务内部错误，请稍后再试。", instance=request.url.path
        )
