"""Reading a request body with a size cap, so an oversized body is never held in memory."""

from __future__ import annotations

from starlette.requests import Request

from servicekit.errors import Problem

# Real WeChat callbacks are a few KiB; anything near this cap is not from WeChat.
MAX_BODY_BYTES = 64 * 1024


class BodyTooLarge(Exception):
    """The body exceeds the cap."""


class PayloadTooLarge(Problem):
    """The 413 problem a route answers for a body over its cap."""

    status, title = 413, "Content Too Large"


async def read_capped_body(request: Request, limit: int = MAX_BODY_BYTES) -> bytes:
    """The request body, read chunk by chunk; raise BodyTooLarge as soon as it passes `limit`."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise BodyTooLarge
    received = bytearray()
    async for chunk in request.stream():
        received += chunk
        if len(received) > limit:
            raise BodyTooLarge
    return bytes(received)
