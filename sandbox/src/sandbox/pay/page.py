"""`GET /pay/{prepay_id}`: the payer's page, standing in for WeChat's cashier.

Server-rendered Chinese HTML with its own stylesheet and no script at all (works offline, no
CDN): the merchant, the description, the amount in yuan and who pays (the order's payer openid
names the simulated citizen), and two buttons, 确认支付 and 取消, that post a form and come
back to the page. The same rules as `POST /sandbox/pay/{prepay_id}/confirm|cancel`.

When the merchant's front end passes the JSAPI parameters (`?timeStamp=&nonceStr=&paySign=`,
`signType=RSA`), the page checks `paySign` with the merchant public key as WeChat's browser
does and refuses to pay on a bad one. `return_url` (http/https) adds a 返回商户 link.
"""

from __future__ import annotations

from contextlib import suppress
from datetime import datetime
from html import escape
from importlib.resources import files
from string import Template
from urllib.parse import urlencode, urlsplit

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from sandbox.clock import CHINA
from sandbox.pay.errors import PayError
from sandbox.pay.model import PAID_STATES, Order
from sandbox.pay.store import PayState
from sandbox.state import SandboxState
from sandbox.wiring import PayDep, SandboxDep
from servicekit.money import yuan
from wechat import pay as wechatpay

router = APIRouter(tags=["模拟微信支付（测试与演示）"])

_STATIC = files("sandbox.pay") / "static"
_CSP = (
    "default-src 'none'; style-src 'self'; form-action 'self'; img-src 'self' data:; "
    "frame-ancestors 'none'; base-uri 'none'"
)
_HEADERS = {"Content-Security-Policy": _CSP, "X-Content-Type-Options": "nosniff"}
_KEPT = ("appId", "timeStamp", "nonceStr", "package", "signType", "paySign", "return_url")


def _when(at: float) -> str:
    return datetime.fromtimestamp(at, CHINA).strftime("%Y-%m-%d %H:%M:%S")


def _kept_query(request: Request) -> str:
    kept = {k: v for k, v in request.query_params.items() if k in _KEPT}
    return ("?" + urlencode(kept)) if kept else ""


def _pay_sign_problem(pay: PayState, request: Request, prepay_id: str) -> str | None:
    """Why the JSAPI parameters passed to the page are refused, if they are."""
    q = request.query_params
    if "paySign" not in q:
        return None
    app_id = q.get("appId") or pay.appid
    package = q.get("package") or f"prepay_id={prepay_id}"
    if app_id != pay.appid or package != f"prepay_id={prepay_id}":
        return "支付参数与订单不符（appId 或 package 有误）"
    if q.get("signType", "RSA") != "RSA":
        return "signType 须为 RSA"
    message = f"{app_id}\n{q.get('timeStamp', '')}\n{q.get('nonceStr', '')}\n{package}\n"
    try:
        wechatpay.verify(pay.merchant_public_key, message, q["paySign"])
    except wechatpay.InvalidSignature:
        return "支付验证签名失败（paySign 无效）"
    return None


def _payer(sandbox: SandboxState, order: Order) -> str:
    account = sandbox.account_by_appid(order.appid)
    citizen = sandbox.citizen_by_openid(account, order.openid) if account else None
    if citizen is not None:
        return f"{citizen.name}（模拟市民 {citizen.id}）"
    return f"微信用户 {order.openid[:10]}…"


def _render(
    request: Request, pay: PayState, sandbox: SandboxState, prepay_id: str, notice: str = ""
) -> HTMLResponse:
    settings = pay.settings
    values = {
        "merchant": escape(settings.wechatpay_merchant_short_name),
        "merchant_full": escape(settings.wechatpay_merchant_name),
        "description": "",
        "amount": "",
        "rows": "",
        "status": "",
        "actions": "",
        "back": "",
    }
    status_code = 200
    try:
        order, valid = pay.prepay(prepay_id)
    except KeyError:
        values["status"] = _status(
            "error", "没有这笔支付", "预支付交易不存在，请返回商户重新发起支付。"
        )
        status_code = 404
        order, valid = None, False
    if order is not None:
        values["description"] = escape(order.description)
        values["amount"] = yuan(order.total, grouped=False)
        rows = [
            ("付款人", _payer(sandbox, order)),
            ("商户订单号", order.out_trade_no),
            ("下单时间", _when(order.created_at)),
        ]
        if order.transaction_id:
            rows.append(("微信支付订单号", order.transaction_id))
        if order.success_time is not None:
            rows.append(("支付时间", _when(order.success_time)))
        values["rows"] = "".join(
            f"<div class='row'><dt>{escape(k)}</dt><dd>{escape(v)}</dd></div>" for k, v in rows
        )
        sign_problem = _pay_sign_problem(pay, request, prepay_id)
        if order.trade_state in PAID_STATES:
            values["status"] = _status("ok", "支付成功", "商户将收到微信支付的支付结果通知。")
        elif order.trade_state == "CLOSED":
            values["status"] = _status("error", "订单已关闭", "该订单已关闭，无法支付。")
        elif not valid:
            values["status"] = _status(
                "error", "支付已过期", "预支付交易会话已超过2小时，请返回商户重新下单。"
            )
        elif sign_problem:
            values["status"] = _status("error", "无法支付", sign_problem)
        else:
            if order.trade_state == "PAYERROR":
                values["status"] = _status("warn", "上次支付失败", "可以再试一次。")
            elif notice:
                values["status"] = notice
            query = escape(_kept_query(request))
            base = f"/pay/{escape(prepay_id)}"
            values["actions"] = (
                f"<form method='post' action='{base}/confirm{query}'>"
                "<button class='primary' type='submit'>确认支付</button></form>"
                f"<form method='post' action='{base}/cancel{query}'>"
                "<button class='secondary' type='submit'>取消</button></form>"
            )
    return_url = request.query_params.get("return_url", "")
    if urlsplit(return_url).scheme in ("http", "https"):
        values["back"] = f"<a class='back' href='{escape(return_url)}'>返回商户</a>"
    html = Template((_STATIC / "pay.html").read_text("utf-8")).substitute(values)
    return HTMLResponse(html, status_code=status_code, headers=_HEADERS)


def _status(kind: str, title: str, text: str) -> str:
    return (
        f"<div class='status {kind}'><p class='status-title'>{escape(title)}</p>"
        f"<p>{escape(text)}</p></div>"
    )


@router.get("/pay/{prepay_id}", response_class=HTMLResponse, summary="模拟微信支付收银台")
async def pay_page(
    prepay_id: str, request: Request, pay: PayDep, sandbox: SandboxDep
) -> HTMLResponse:
    """The cashier: merchant, description, amount, payer; 确认支付 / 取消."""
    if not pay.enabled:
        return HTMLResponse("<p>模拟微信支付未配置密钥。</p>", status_code=503)
    result = request.query_params.get("result")
    notice = ""
    if result == "cancelled":
        notice = _status("warn", "已取消支付", "订单仍未支付，可以稍后再付。")
    return _render(request, pay, sandbox, prepay_id, notice)


async def _act(prepay_id: str, request: Request, pay: PayState, action: str) -> Response:
    if not pay.enabled:
        return HTMLResponse("<p>模拟微信支付未配置密钥。</p>", status_code=503)
    if _pay_sign_problem(pay, request, prepay_id) is None:
        with suppress(PayError):  # the page shows why (paid, closed, expired)
            getattr(pay, action)(prepay_id)
    query = dict((k, v) for k, v in request.query_params.items() if k in _KEPT)
    if action == "cancel":
        query["result"] = "cancelled"
    suffix = ("?" + urlencode(query)) if query else ""
    return RedirectResponse(f"/pay/{prepay_id}{suffix}", status_code=303)


@router.post("/pay/{prepay_id}/confirm", include_in_schema=False)
async def page_confirm(prepay_id: str, request: Request, pay: PayDep) -> Response:
    """确认支付 on the page."""
    return await _act(prepay_id, request, pay, "confirm")


@router.post("/pay/{prepay_id}/cancel", include_in_schema=False)
async def page_cancel(prepay_id: str, request: Request, pay: PayDep) -> Response:
    """取消 on the page."""
    return await _act(prepay_id, request, pay, "cancel")


@router.get("/pay-assets/pay.css", include_in_schema=False)
async def pay_css() -> Response:
    """The page's stylesheet."""
    return Response(
        (_STATIC / "pay.css").read_text("utf-8"),
        media_type="text/css; charset=utf-8",
        headers={**_HEADERS, "Cache-Control": "no-cache"},
    )
