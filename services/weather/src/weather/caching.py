"""HTTP caching of public GETs: a strong ETag on the body, Cache-Control, 304 when it matches.

The ETag is a hash of the exact bytes sent, so it changes exactly when the answer does (a new
issuance, a signal issued or lifted) and every replica computes the same one.
"""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import Response
from pydantic import BaseModel

from servicekit.http_cache import etag_matches, etag_of

# Signals change at any moment, and so may forecasts and indices (they carry the signals in force,
# and a forecaster may publish a new issuance at any time): half a minute bounds a stale one.
FORECAST_MAX_AGE = 30
# Ends the OpenAPI description of every GET answered through `cached_json`.
ETAG_NOTE = "带 ETag 与 Cache-Control。"


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
