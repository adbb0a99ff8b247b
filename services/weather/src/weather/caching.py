"""HTTP caching of public GETs: a strong ETag on the body, Cache-Control, 304 when it matches.

The ETag is a hash of the exact bytes sent, so it changes exactly when the answer does (a new
issuance, a signal issued or lifted) and every replica computes the same one.
"""

from __future__ import annotations

import hashlib
from typing import Any

from fastapi import Request
from fastapi.responses import Response
from pydantic import BaseModel

# Forecasts change when an issuance or a signal does; a minute bounds how stale a cache may be.
FORECAST_MAX_AGE = 60
# Locations change only with a new release of the reference table.
REFERENCE_MAX_AGE = 3600
# Ends the OpenAPI description of every GET answered through `cached_json`.
ETAG_NOTE = "带 ETag 与 Cache-Control。"
# The documented 304 of a cached GET.
NOT_MODIFIED: dict[int | str, dict[str, Any]] = {304: {"description": "内容未变"}}


def etag_of(content: bytes) -> str:
    """A strong entity tag for `content`."""
    return '"' + hashlib.sha256(content).hexdigest()[:32] + '"'


def etag_matches(if_none_match: str | None, etag: str) -> bool:
    """True when an If-None-Match header names `etag` (weak comparison, as RFC 9110 asks)."""
    if not if_none_match:
        return False
    if if_none_match.strip() == "*":
        return True
    tags = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
    return etag.removeprefix("W/") in tags


def cached_response(
    request: Request, content: bytes, *, media_type: str, max_age: int = FORECAST_MAX_AGE
) -> Response:
    """`content` with ETag and Cache-Control, or an empty 304 when the client has it already."""
    etag = etag_of(content)
    headers = {"ETag": etag, "Cache-Control": f"public, max-age={max_age}"}
    if etag_matches(request.headers.get("if-none-match"), etag):
        return Response(status_code=304, headers=headers)
    return Response(content, media_type=media_type, headers=headers)


def cached_json(request: Request, model: BaseModel, *, max_age: int = FORECAST_MAX_AGE) -> Response:
    """A pydantic model as a cached JSON answer."""
    return cached_response(
        request, model.model_dump_json().encode(), media_type="application/json", max_age=max_age
    )
