"""Fine payments over WeChat Pay: orders (citizens), notifications (the provider), refunds
(officers), receipts."""

from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response, status
from fastapi.responses import JSONResponse
from sqlmodel import Session

from servicekit.access_log import Reader, ReaderDep
from servicekit.clock import NowDep
from servicekit.deps import Id, Page, PageDep, PageParams, SessionDep
from servicekit.errors import valid
from servicekit.idempotency import idempotency_header
from servicekit.identity import CitizenDep, Identity, requires_staff
from servicekit.metrics import metrics_of
from traffic.access import ACCESS_LOG
from traffic.models import (
    PaymentCreated,
    PaymentEventPublic,
    PaymentOrder,
    PaymentPublic,
    ReceiptPublic,
    RefundCreate,
    RefundPublic,
)
from traffic.payments.client import WeChatPayDep
from traffic.payments.metrics import PaymentMetrics
from traffic.payments.notifications import handle_notification
from traffic.payments.orders import OrderRequest, payer_openid, start_payment
from traffic.payments.reading import (
    EVENTS,
    OFFICER_ROLE,
    REFUNDS,
    my_payments,
    order_rows,
    payment_of,
    readable_order,
)
from traffic.payments.receipts import receipt_of, receipt_pdf
from traffic.payments.refunds import create_refund
from traffic.routes.creation import created, described
from traffic.settings import TrafficSettingsDep
from traffic.validators import validate_decision_number
from traffic.views import refund_public

router = APIRouter(prefix="/v1", tags=["payments"])
OfficerDep = Annotated[Identity, requires_staff(OFFICER_ROLE)]
OrderKey = Annotated[
    str, idempotency_header("客户端生成的唯一键；24小时内重试用同一键和请求体，返回同一订单")
]
PAYMENT_ERRORS = {
    403: "未绑定该违法车辆或当事人驾驶证",
    404: "决定书不存在",
    409: "已缴款、Idempotency-Key 用于另一请求，或未在东莞交警公众号中微信登录",
    422: "缺少 Idempotency-Key、决定书编号或请求体无效",
    502: "微信支付拒绝下单（订单记为 error，未扣款）",
    503: "微信支付暂时无法访问（用同一 Idempotency-Key 重试）",
}
NOTIFICATION_ANSWERS = {
    204: "已接受（含重复通知）",
    400: '{"code": "FAIL"}：无法解密、订单不存在或金额不符',
    401: '{"code": "FAIL"}：签名无效或时间戳超出5分钟',
}
REFUND_ERRORS = {
    404: "订单不存在",
    409: "订单未支付成功，或退款单号用于另一笔退款",
    412: "expected_available_fen 已过时",
    422: "退款金额超过可退金额",
}


def read_order(session: Session, reader: Reader, payment_id: int) -> PaymentOrder:
    """The order of the path, for its citizen or a traffic officer (404 for anyone else), the
    read written to the access log of the order's citizen."""
    order = readable_order(session, identity=reader.identity, order_id=payment_id)
    reading = reader.reading(order.citizen_id, role=OFFICER_ROLE)
    ACCESS_LOG.record(session, reading, "payments", f"订单{order.id}")
    return order


def readable_payment(payment_id: Id, reader: ReaderDep, session: SessionDep) -> PaymentOrder:
    """The order of the path, for its citizen or a traffic officer (404 for anyone else)."""
    return read_order(session, reader, payment_id)


ReadableOrderDep = Annotated[PaymentOrder, Depends(readable_payment)]


@dataclass(frozen=True)
class OrderPage:
    """A readable order and the page of its rows asked for."""

    order: PaymentOrder
    page: PageParams


def readable_order_page(
    payment_id: Id, reader: ReaderDep, session: SessionDep, page: PageDep
) -> OrderPage:
    """The order of the path and the page asked for; the paging is a parameter here so that a
    bad `limit` or `offset` answers 422 before the order is read."""
    return OrderPage(read_order(session, reader, payment_id), page)


OrderPageDep = Annotated[OrderPage, Depends(readable_order_page)]


async def raw_body(request: Request) -> str:
    """The request body as text, as it was signed (undecodable bytes replaced)."""
    return (await request.body()).decode("utf-8", errors="replace")


@created(
    router,
    "/decisions/{number}/payments",
    summary="微信支付缴纳罚款：创建缴款订单",
    errors=PAYMENT_ERRORS,
)
def create_decision_payment(
    number: str,
    citizen: CitizenDep,
    session: SessionDep,
    now: NowDep,
    pay: WeChatPayDep,
    settings: TrafficSettingsDep,
    idempotency_key: OrderKey,
) -> PaymentCreated:
    """Freeze the amount due today (fine + late surcharge) into a new order and create it at
    WeChat Pay as a JSAPI order; earlier unpaid orders of the decision are closed.

    Only the citizen who bound the violation's vehicle or the party's licence may pay, signed in
    through WeChat OAuth with 东莞交警: the payer's openid is the one WeChat gave at that sign-in
    (the gateway's token carries it), never one from the request, which has no body. The answer
    carries `jsapi`, the parameters of `WeixinJSBridge.invoke('getBrandWCPayRequest', jsapi)`;
    the page's "ok" is never proof of payment: the order's state changes when WeChat Pay's
    notification arrives (or reconciliation finds the payment). Unpaid orders expire after 2
    hours.

    WeChat Pay may take up to 10 s per call, so the gateway waits longer here than elsewhere;
    after a 504 or a lost connection the order may exist all the same: retry with the same
    Idempotency-Key to get that order back (never a second one).
    """
    value = valid("number", "path", lambda: validate_decision_number(number=number))
    wanted = OrderRequest(
        citizen_id=citizen.subject,
        number=value,
        openid=payer_openid(wechat=citizen.wechat, appid=pay.config.appid),
        idempotency_key=idempotency_key,
    )
    return start_payment(session, pay, wanted, now=now, settings=settings)


@router.get("/me/payments", summary="我的缴款订单", dependencies=[ACCESS_LOG.logs("payments")])
def list_my_payments(
    citizen: CitizenDep, session: SessionDep, page: PageDep
) -> Page[PaymentPublic]:
    """The calling citizen's payment orders, newest first."""
    return my_payments(session, citizen_id=citizen.subject, page=page)


@router.get(
    "/payments/{payment_id}",
    summary="缴款订单状态",
    responses={404: {"description": "不是本人的订单"}},
)
def get_payment(order: ReadableOrderDep, session: SessionDep) -> PaymentPublic:
    """An order and its state, for the citizen who created it (or a traffic officer).

    This is how a page learns the outcome: look the order up, never trust the browser's "ok".
    """
    return payment_of(session, order)


@router.get("/payments/{payment_id}/events", summary="缴款订单事件记录")
def list_payment_events(asked: OrderPageDep, session: SessionDep) -> Page[PaymentEventPublic]:
    """Every transition of the order (and refund steps and review flags), oldest first."""
    return order_rows(session, EVENTS, asked.order, asked.page)


@router.post(
    "/payments/notify/wechatpay",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    operation_id="receiveWechatpayNotification",
    summary="微信支付通知（支付平台调用）",
    responses=described(NOTIFICATION_ANSWERS),
)
def wechatpay_notification(
    request: Request,
    body: Annotated[str, Depends(raw_body)],
    session: SessionDep,
    pay: WeChatPayDep,
    now: NowDep,
) -> Response:
    """WeChat Pay's payment and refund notifications (public: the signature is the check).

    Verified (platform signature, 5-minute window), decrypted (AES-256-GCM with the APIv3 key)
    and checked against our order (appid, mchid, out_trade_no, amount) before SUCCESS is
    applied, exactly once. Duplicates and out-of-order deliveries are answered 204 and change
    nothing; a refused notification is answered `{"code": "FAIL", "message"}` and logged as an
    alert, and its order is flagged for review.
    """
    answer = handle_notification(session, pay, headers=request.headers, body=body, now=now)
    if answer.refused is not None:
        metrics_of(request.app, PaymentMetrics).refused.labels(answer.refused).inc()
    if answer.status == 204:
        return Response(status_code=204)
    return JSONResponse({"code": "FAIL", "message": answer.message}, status_code=answer.status)


@created(router, "/payments/{payment_id}/refunds", summary="退款（交警）", errors=REFUND_ERRORS)
def refund_payment(
    payment_id: Id,
    body: RefundCreate,
    officer: OfficerDep,
    session: SessionDep,
    now: NowDep,
    pay: WeChatPayDep,
) -> RefundPublic:
    """Refund part or all of a successful payment (traffic officers).

    A retry with the same `out_refund_no` returns the same refund and refunds once;
    `expected_available_fen` must equal what can still be refunded (412 otherwise).
    Refunds do not change the decision.
    """
    return refund_public(
        create_refund(
            session,
            pay,
            order_id=payment_id,
            body=body,
            officer_id=officer.subject,
            now=now,
        )
    )


@router.get("/payments/{payment_id}/refunds", summary="退款记录")
def list_refunds(asked: OrderPageDep, session: SessionDep) -> Page[RefundPublic]:
    """The refunds of an order (its citizen, or a traffic officer)."""
    return order_rows(session, REFUNDS, asked.order, asked.page)


@router.get(
    "/payments/{payment_id}/receipt",
    summary="电子缴款凭证",
    responses={409: {"description": "订单尚未支付成功"}},
)
def get_receipt(order: ReadableOrderDep, session: SessionDep) -> ReceiptPublic:
    """The electronic receipt of a successful payment; the payer is masked."""
    return receipt_of(session, order)


@router.get(
    "/payments/{payment_id}/receipt.pdf",
    response_class=Response,
    summary="电子缴款凭证（PDF）",
    responses={
        200: {"content": {"application/pdf": {}}},
        409: {"description": "订单尚未支付成功"},
        503: {"description": "服务器缺少中文字体"},
    },
)
def get_receipt_pdf(order: ReadableOrderDep, session: SessionDep) -> Response:
    """The receipt as a PDF, in Chinese."""
    filename, pdf = receipt_pdf(session, order)
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{filename}"'},
    )
