"""Fine payments over WeChat Pay: orders (citizens), notifications (the provider), refunds
(officers), receipts."""

from typing import Annotated

from fastapi import APIRouter, Header, Request, Response, status
from fastapi.responses import JSONResponse
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from servicekit.clock import NowDep
from servicekit.deps import Id, Page, PageDep, SessionDep
from servicekit.errors import valid
from servicekit.identity import CitizenDep, Identity, IdentityDep, requires_staff
from traffic.models import (
    PaymentCreate,
    PaymentCreated,
    PaymentEventPublic,
    PaymentPublic,
    ReceiptPublic,
    RefundCreate,
    RefundPublic,
)
from traffic.payments.notifications import handle_notification
from traffic.payments.orders import start_payment
from traffic.payments.provider import WechatPayClient
from traffic.payments.reading import (
    OFFICER_ROLE,
    my_payments,
    payment_events,
    payment_of,
    payment_refunds,
)
from traffic.payments.receipts import payment_receipt, receipt_pdf
from traffic.payments.refunds import create_refund
from traffic.settings import TrafficSettingsDep
from traffic.validators import validate_decision_number
from traffic.views import refund_public

router = APIRouter(prefix="/v1", tags=["payments"])
OfficerDep = Annotated[Identity, requires_staff(OFFICER_ROLE)]


def pay_client(request: Request) -> WechatPayClient:
    return request.app.state.wechatpay


@router.post(
    "/decisions/{number}/payments",
    response_model=PaymentCreated,
    status_code=status.HTTP_201_CREATED,
    summary="微信支付缴纳罚款：创建缴款订单",
    responses={
        403: {"description": "未绑定该违法车辆或当事人驾驶证"},
        404: {"description": "决定书不存在"},
        409: {"description": "已缴款，或 Idempotency-Key 用于另一请求"},
        422: {"description": "缺少 Idempotency-Key、决定书编号或请求体无效"},
        502: {"description": "微信支付拒绝下单（订单记为 error，未扣款）"},
        503: {"description": "微信支付暂时无法访问（用同一 Idempotency-Key 重试）"},
    },
)
def create_decision_payment(
    number: str,
    body: PaymentCreate,
    citizen: CitizenDep,
    session: SessionDep,
    now: NowDep,
    request: Request,
    settings: TrafficSettingsDep,
    idempotency_key: Annotated[
        str,
        Header(
            alias="Idempotency-Key",
            min_length=1,
            max_length=64,
            description="客户端生成的唯一键；24小时内重试用同一键和请求体，返回同一订单",
        ),
    ],
) -> PaymentCreated:
    """Freeze the amount due today (fine + late surcharge) into a new order and create it at
    WeChat Pay as a JSAPI order; earlier unpaid orders of the decision are closed.

    Only the citizen who bound the violation's vehicle or the party's licence may pay. `openid`
    is the payer's openid with 东莞交警 (the gateway knows it). The answer carries `jsapi`, the
    parameters of `WeixinJSBridge.invoke('getBrandWCPayRequest', jsapi)`; the page's "ok" is
    never proof of payment: the order's state changes when WeChat Pay's notification arrives
    (or reconciliation finds the payment). Unpaid orders expire after 2 hours.

    WeChat Pay may take up to 10 s per call, so the gateway waits longer here than elsewhere;
    after a 504 or a lost connection the order may exist all the same: retry with the same
    Idempotency-Key and body to get that order back (never a second one).
    """
    value = valid("number", "path", lambda: validate_decision_number(number=number))
    return start_payment(
        session,
        pay_client(request),
        citizen_id=citizen.subject,
        number=value,
        openid=body.openid,
        idempotency_key=idempotency_key,
        now=now,
        expire_minutes=settings.payment_expire_minutes,
        dev=settings.shared.env == "dev",
    )


@router.get("/me/payments", response_model=Page[PaymentPublic], summary="我的缴款订单")
def list_my_payments(
    citizen: CitizenDep, session: SessionDep, page: PageDep
) -> Page[PaymentPublic]:
    """The calling citizen's payment orders, newest first."""
    return my_payments(session, citizen_id=citizen.subject, page=page)


@router.get(
    "/payments/{payment_id}",
    response_model=PaymentPublic,
    summary="缴款订单状态",
    responses={404: {"description": "不是本人的订单"}},
)
def get_payment(payment_id: Id, identity: IdentityDep, session: SessionDep) -> PaymentPublic:
    """An order and its state, for the citizen who created it (or a traffic officer).

    This is how a page learns the outcome: look the order up, never trust the browser's "ok".
    """
    return payment_of(session, identity=identity, order_id=payment_id)


@router.get(
    "/payments/{payment_id}/events",
    response_model=Page[PaymentEventPublic],
    summary="缴款订单事件记录",
)
def list_payment_events(
    payment_id: Id, identity: IdentityDep, session: SessionDep, page: PageDep
) -> Page[PaymentEventPublic]:
    """Every transition of the order (and refund steps and review flags), oldest first."""
    return payment_events(session, identity=identity, order_id=payment_id, page=page)


@router.post(
    "/payments/notify/wechatpay",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    summary="微信支付通知（支付平台调用）",
    responses={
        204: {"description": "已接受（含重复通知）"},
        400: {"description": '{"code": "FAIL"}：无法解密、订单不存在或金额不符'},
        401: {"description": '{"code": "FAIL"}：签名无效或时间戳超出5分钟'},
    },
)
async def wechatpay_notification(request: Request, now: NowDep) -> Response:
    """WeChat Pay's payment and refund notifications (public: the signature is the check).

    Verified (platform signature, 5-minute window), decrypted (AES-256-GCM with the APIv3 key)
    and checked against our order (appid, mchid, out_trade_no, amount) before SUCCESS is
    applied, exactly once. Duplicates and out-of-order deliveries are answered 204 and change
    nothing; a refused notification is answered `{"code": "FAIL", "message"}` and logged as an
    alert, and its order is flagged for review.
    """
    body = (await request.body()).decode("utf-8", errors="replace")
    headers = request.headers
    app = request.app

    def work():
        with Session(app.state.engine) as session:
            return handle_notification(
                session, app.state.wechatpay, headers=headers, body=body, now=now
            )

    answer = await run_in_threadpool(work)
    if answer.status == 204:
        return Response(status_code=204)
    return JSONResponse({"code": "FAIL", "message": answer.message}, status_code=answer.status)


@router.post(
    "/payments/{payment_id}/refunds",
    response_model=RefundPublic,
    status_code=status.HTTP_201_CREATED,
    summary="退款（交警）",
    responses={
        404: {"description": "订单不存在"},
        409: {"description": "订单未支付成功，或退款单号用于另一笔退款"},
        412: {"description": "expected_available_fen 已过时"},
        422: {"description": "退款金额超过可退金额"},
    },
)
def refund_payment(
    payment_id: Id,
    body: RefundCreate,
    officer: OfficerDep,
    session: SessionDep,
    now: NowDep,
    request: Request,
) -> RefundPublic:
    """Refund part or all of a successful payment (traffic officers).

    A retry with the same `out_refund_no` returns the same refund and refunds once;
    `expected_available_fen` must equal what can still be refunded (412 otherwise).
    Refunds do not change the decision.
    """
    return refund_public(
        create_refund(
            session,
            pay_client(request),
            order_id=payment_id,
            body=body,
            officer_id=officer.subject,
            now=now,
        )
    )


@router.get("/payments/{payment_id}/refunds", response_model=Page[RefundPublic], summary="退款记录")
def list_refunds(
    payment_id: Id, identity: IdentityDep, session: SessionDep, page: PageDep
) -> Page[RefundPublic]:
    """The refunds of an order (its citizen, or a traffic officer)."""
    return payment_refunds(session, identity=identity, order_id=payment_id, page=page)


@router.get(
    "/payments/{payment_id}/receipt",
    response_model=ReceiptPublic,
    summary="电子缴款凭证",
    responses={409: {"description": "订单尚未支付成功"}},
)
def get_receipt(payment_id: Id, identity: IdentityDep, session: SessionDep) -> ReceiptPublic:
    """The electronic receipt of a successful payment; the payer is masked."""
    return payment_receipt(session, identity=identity, order_id=payment_id)


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
def get_receipt_pdf(payment_id: Id, identity: IdentityDep, session: SessionDep) -> Response:
    """The receipt as a PDF, in Chinese."""
    filename, pdf = receipt_pdf(session, identity=identity, order_id=payment_id)
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{filename}"'},
    )
