"""`GET /chat`: a WeChat-like chat page for trying the city's accounts as a simulated citizen.

The page, its script and its styles are files of this package served by the sandbox itself (no
CDN, no web fonts), so it works offline. The script builds every message with `textContent`, and
the Content-Security-Policy allows only the sandbox's own script: message text cannot become HTML.
"""

from __future__ import annotations

from importlib.resources import files

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response

from servicekit.errors import NotFound

router = APIRouter(tags=["聊天页面"])

_STATIC = files("sandbox") / "static"
_ASSETS = {"chat.js": "text/javascript; charset=utf-8", "chat.css": "text/css; charset=utf-8"}
# News cards may show pictures from anywhere; everything else comes from the sandbox.
_CSP = (
    "default-src 'self'; img-src 'self' http: https: data:; script-src 'self'; "
    "style-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'"
)
_HEADERS = {"Content-Security-Policy": _CSP, "X-Content-Type-Options": "nosniff"}


@router.get("/chat", response_class=HTMLResponse, summary="模拟微信聊天页面")
async def chat_page() -> HTMLResponse:
    """The chat page: choose a citizen and an account, follow, tap the menu, type, read replies."""
    return HTMLResponse((_STATIC / "chat.html").read_text("utf-8"), headers=_HEADERS)


@router.get("/chat/assets/{name}", include_in_schema=False)
async def chat_asset(name: str) -> Response:
    """The chat page's script or styles."""
    media_type = _ASSETS.get(name)
    if media_type is None:
        raise NotFound("没有这个文件。")
    return Response(
        (_STATIC / name).read_text("utf-8"),
        media_type=media_type,
        headers={**_HEADERS, "Cache-Control": "no-cache"},
    )
