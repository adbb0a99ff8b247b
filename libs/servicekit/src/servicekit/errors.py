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
    """An error with an HTTP status and a human-readable detail (Chinese for citizens).

    A subclass names its status in its bases, `class NotFound(Problem, status=404)`, and gets
    the status's standard phrase as its title unless it names one."""

    status: int = 500
    title: str = "Internal Server Error"

    def __init_subclass__(cls, *, status: int | None = None, title: str | None = None) -> None:
        """Give the subclass `status` and `title` (by default the status's phrase)."""
        super().__init_subclass__()
        if status is not None:
            cls.status = status
            cls.title = title or HTTPStatus(status).phrase

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

    def response(self, instance: str) -> JSONResponse:
        """This problem as an application/problem+json response about `instance`."""
        body: dict[str, Any] = {
            "type": self.type,
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
            "instance": instance,
        }
        if self.errors is not None:
            body["errors"] = self.errors
        return JSONResponse(
            body, status_code=self.status, media_type=PROBLEM_JSON, headers=self.headers
        )


class BadRequest(Problem, status=400):
    """The request as a whole cannot be served as sent."""


class Unauthorized(Problem, status=401):
    """No valid identity token came with the request."""


class Forbidden(Problem, status=403):
    """The caller is known but may not do this."""


class NotFound(Problem, status=404):
    """The resource does not exist (or is not the caller's to see)."""


class Conflict(Problem, status=409):
    """The request contradicts the resource's current state."""


# RFC 9110's name for 422 (Python 3.11's HTTPStatus still says "Unprocessable Entity").
class ValidationFailed(Problem, status=422, title="Unprocessable Content"):
    """A request that is well-formed but wrong, with per-field `errors`."""


class TooManyRequests(Problem, status=429):
    """The caller sent too many requests; it may try again later."""


class ServiceBusy(Problem, status=503):
    """No database place or connection freed in time: the client is asked to come back soon."""

    def __init__(self, detail: str = "服务繁忙，请稍后再试。") -> None:
        super().__init__(detail, headers={"Retry-After": BUSY_RETRY_AFTER})


class UpstreamUnavailable(Problem, status=503):
    """An upstream part is down or cannot be reached."""


class UpstreamTimeout(Problem, status=504):
    """An upstream part did not answer in time."""


class _StatusProblem(Problem):
    """A problem of any status (titled with its phrase), for errors raised outside our code."""

    def __init__(self, status: int, detail: str, **options: Any) -> None:
        super().__init__(detail, **options)
        self.status, self.title = status, HTTPStatus(status).phrase


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
        return exc.response(request.url.path)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = _field_errors(exc)
        names = "、".join(sorted({e["field"] for e in errors}))
        problem = _StatusProblem(422, f"请求参数无效：{names}", errors=errors)
        return problem.response(request.url.path)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        detail = (
            exc.detail
            if isinstance(exc.detail, str)
            and exc.detail not in (HTTPStatus(exc.status_code).phrase,)
            else _STATUS_DETAIL.get(exc.status_code, HTTPStatus(exc.status_code).phrase)
        )
        problem = _StatusProblem(exc.status_code, detail, headers=getattr(exc, "headers", None))
        return problem.response(request.url.path)

    @app.exception_handler(PoolTimeout)
    async def _pool_timeout(request: Request, exc: PoolTimeout) -> JSONResponse:
        # Every connection stayed busy for the whole checkout wait: overloaded, not broken.
        log.warning("database pool exhausted on %s %s", request.method, request.url.path)
        return ServiceBusy().response(request.url.path)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return Problem("服务内部错误，请稍后再试。").response(request.url.path)
