"""The merchant's WeChat Pay API v3 (`/v3/...`): JSAPI order, query, close, refund, trade bill.

Every request must carry the merchant's `Authorization` (verified against the merchant public
key, 5-minute timestamp window); every answer, refusals included, is signed with the platform's
private key (`Wechatpay-Timestamp/-Nonce/-Signature/-Serial/-Signature-Type`). Refusals are
WeChat's `{"code", "message"}` with its HTTP status, never problem+json.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any
from urllib.parse import urljoin

from fastapi import APIRouter, Request, Response
from fastapi.routing import APIRoute

from sandbox.pay import errors
from sandbox.pay.errors import PayError
from sandbox.pay.notify import signature_headers
from sandbox.pay.protocol import (
    check_jsapi,
    check_refund,
    dumps,
    parse_json,
    refund_resource,
    transaction,
)
from sandbox.pay.store import PayState
from sandbox.wiring import pay_of


def _json(status: int, value: Any) -> Response:
    return Response(dumps(value).encode(), status_code=status, media_type="application/json")


class SignedRoute(APIRoute):
    """Renders PayError as WeChat does and signs every answer with the platform's key."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def signed(request: Request) -> Response:
            pay = pay_of(request.app)
            if not pay.enabled:
                return _json(
                    503, {"code": errors.SYSTEM_ERROR, "message": "模拟微信支付未配置密钥"}
                )
            try:
                response = await handler(request)
            except PayError as exc:
                response = _json(exc.status, exc.body())
            if response.media_type == "application/json" or not response.body:
                body = bytes(response.body).decode()
                response.headers.update(
                    signature_headers(pay.platform_private_key, pay.platform_public_key_id, body)
                )
            return response

        return signed


router = APIRouter(route_class=SignedRoute, tags=["微信支付 API v3（模拟）"])


async def _authenticated(request: Request) -> tuple[PayState, bytes]:
    """The state and the raw body once the merchant's signature verified."""
    pay = pay_of(request.app)
    body = await request.body()
    url = request.scope.get("raw_path", request.url.path.encode()).decode()
    if query := request.scope.get("query_string", b"").decode():
        url += "?" + query
    try:
        text = body.decode()
    except UnicodeDecodeError:
        raise errors.param_error("请求体须为UTF-8编码") from None
    pay.authenticate(
        request.headers.get("Authorization"), method=request.method, url=url, body=text
    )
    return pay, body


@router.post("/v3/pay/transactions/jsapi", summary="JSAPI下单", status_code=200)
async def create_jsapi(request: Request) -> Response:
    """`{"prepay_id": "wx..."}`, valid 2 hours; the same order again returns the same one."""
    pay, body = await _authenticated(request)
    fields = check_jsapi(
        parse_json(body),
        appid=pay.appid,
        mchid=pay.mchid,
        allow_http=pay.allow_http,
        now=pay.clock.now(),
    )
    order = pay.create_jsapi(fields)
    return _json(200, {"prepay_id": order.prepay_id})


@router.get("/v3/pay/transactions/out-trade-no/{out_trade_no}", summary="商户订单号查询订单")
async def query_by_out_trade_no(out_trade_no: str, request: Request) -> Response:
    """The order (trade_state NOTPAY, SUCCESS, REFUND, CLOSED, PAYERROR...)."""
    pay, _ = await _authenticated(request)
    pay.check_mchid(request.query_params.get("mchid"))
    return _json(200, transaction(pay.order(out_trade_no)))


@router.get("/v3/pay/transactions/id/{transaction_id}", summary="微信支付订单号查询订单")
async def query_by_transaction_id(transaction_id: str, request: Request) -> Response:
    """The order paid under this transaction_id."""
    pay, _ = await _authenticated(request)
    pay.check_mchid(request.query_params.get("mchid"))
    return _json(200, transaction(pay.order_by_transaction_id(transaction_id)))


@router.post(
    "/v3/pay/transactions/out-trade-no/{out_trade_no}/close", summary="关闭订单", status_code=204
)
async def close_order(out_trade_no: str, request: Request) -> Response:
    """204; an order already paid is refused (400 ORDERPAID)."""
    pay, body = await _authenticated(request)
    fields = parse_json(body)
    pay.check_mchid(fields.get("mchid") if isinstance(fields.get("mchid"), str) else None)
    pay.close_order(out_trade_no)
    return Response(status_code=204)


@router.post("/v3/refund/domestic/refunds", summary="退款申请")
async def create_refund(request: Request) -> Response:
    """A refund (idempotent per out_refund_no), never more than what remains refundable."""
    pay, body = await _authenticated(request)
    fields = check_refund(parse_json(body), allow_http=pay.allow_http)
    return _json(200, refund_resource(pay.refund(fields)))


@router.get("/v3/refund/domestic/refunds/{out_refund_no}", summary="查询单笔退款")
async def query_refund(out_refund_no: str, request: Request) -> Response:
    """The refund with this out_refund_no."""
    pay, _ = await _authenticated(request)
    return _json(200, refund_resource(pay.refund_of(out_refund_no)))


@router.get("/v3/bill/tradebill", summary="申请交易账单")
async def trade_bill(request: Request) -> Response:
    """`{hash_type: "SHA1", hash_value, download_url}` for the day's trades."""
    pay, _ = await _authenticated(request)
    params = request.query_params
    bill_date = params.get("bill_date")
    if not bill_date:
        raise errors.param_error("缺少参数bill_date")
    token, bill = pay.trade_bill(
        bill_date, params.get("bill_type") or "ALL", params.get("tar_type")
    )
    url = urljoin(str(request.base_url), f"v3/billdownload/file?token={token}")
    return _json(200, {"hash_type": "SHA1", "hash_value": bill.sha1, "download_url": url})


@router.get("/v3/billdownload/file", summary="下载账单")
async def download_bill(request: Request) -> Response:
    """The bill file (gzip with tar_type=GZIP); the merchant signs this request too."""
    pay, _ = await _authenticated(request)
    bill = pay.bills.get(request.query_params.get("token") or "")
    if bill is None:
        raise PayError(404, errors.RESOURCE_NOT_EXISTS, "账单下载地址无效或已过期")
    return Response(bill.download(), media_type="application/octet-stream")
