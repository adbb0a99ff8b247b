"""`GET /h5/fines?account=dgjj`: the mobile page where a citizen pays a traffic fine.

The page, its script and its styles are files of this package (no CDN, no web fonts). It is an
edge page only: it signs the citizen in with the gateway's WeChat OAuth (`/api/v1/auth/wechat/`,
its own `/h5/` address is always an allowed return), then speaks to traffic through the public
API like any app. What it lists, what an order costs and whether it is paid are traffic's
answers; the page never takes WeChat's "ok" for a payment and polls the order instead.

The Content-Security-Policy allows only the gateway's own script and styles and calls to the
gateway itself; the script builds every text with `textContent`, so no answer becomes HTML, and
the bearer token leaves the address bar at once (`Referrer-Policy: no-referrer` besides).
"""

from __future__ import annotations

from html import escape
from importlib.resources import files
from string import Template

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse, Response

from gateway.state import StateDep
from servicekit.errors import NotFound

router = APIRouter(prefix="/h5", include_in_schema=False)

_STATIC = files("gateway.h5") / "static"
_MEDIA_TYPES = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8"}
_ASSETS = ("fines.js", "fines.css")
_PAGE_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
        "img-src 'self' data:; form-action 'none'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}


@router.get("/fines", response_class=HTMLResponse)
async def fines_page(
    gateway: StateDep,
    account: str = Query(default="dgjj", max_length=32, description="登录所用公众号代码"),
) -> HTMLResponse:
    """The fine payment page, signing in through `account` (东莞交警 by default)."""
    if gateway.settings.wechat_account(account) is None:
        raise NotFound("未找到该公众号，请从公众号菜单重新进入。")
    page = Template((_STATIC / "fines.html").read_text("utf-8"))
    return HTMLResponse(page.substitute(account=escape(account)), headers=_PAGE_HEADERS)


@router.get("/assets/{name}")
async def asset(name: str) -> Response:
    """The pages' scripts and styles."""
    if name not in _ASSETS:
        raise NotFound("没有这个文件。")
    body = (_STATIC / name).read_text("utf-8")
    return Response(body, media_type=_MEDIA_TYPES[name[name.rindex(".") :]], headers=_PAGE_HEADERS)
