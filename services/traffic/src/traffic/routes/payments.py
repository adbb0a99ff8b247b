"""Fine payments over WeChat Pay: orders (citizens), notifications (the provider), refunds
(officers), receipts."""

from typing import Annotated

from fastapi import APIRouter, Header, Request, Response, status
from fastapi.responses import JSONResponse
from sqlmodel import Session, col, func, select
from starlette.concurrency import run_in_threadpool

from servicekit.clock import NowDep, as_utc, local
from servicekit.deps import Id, Page, PageDep, SessionDep
from servicekit.identity import CitizenDep, Identity, IdentityDep, requires_staff
from traffic.models import (
    JsapiPayParams,
    PaymentCreate,
    PaymentCreated,
    PaymentEvent,
    PaymentEventPublic,
    PaymentOrder,
    PaymentPublic,
    PaymentRefund,
    PaymentState,
    ReceiptPublic,
    RefundCreate,
    RefundPublic,
    RefundSummary,
)
from traffic.payments import (
    OFFICER_ROLE,
    create_payment,
    create_refund,
    events_of,
    handle_notification,
    is_finished,
    readable_order,
    refunds_of,
    status_text,
)
from traffic.receipts import receipt_of, render_pdf
from traffic.routes.params import valid
from traffic.validators import validate_decision_number
from traffic.wechatpay_client import WechatPayClient

router = APIRouter(prefix="/v1", tags=["payments"])
OfficerDep = Annotated[Identity, requires_staff(OFFICER_ROLE)]


def pay_client(request: Request) -> WechatPayClient:
    return request.app.state.wechatpay


def state_of(status_: str, failure_reason: str | None) -> PaymentState:
    return PaymentState(
        status=status_,  # type: ignore[arg-type]
        finished=is_finished(status_),
        failure_reason=failure_reason,
    )


def refund_summary(order: PaymentOrder, refunds: list[PaymentRefund]) -> RefundSummary:
    available = order.amount_fen - order.refund_reserved_fen if order.status == "success" else 0
    pending = any(r.status == "submitted" for r in refunds)
    if order.status != "success":
        summary = "unavailable"
    elif pending:
        summary = "pending"
    elif available == 0:
        summary = "full"
    else:
        summary = "available"
    return RefundSummary(
        status=summary,
        amount_available_fen=available,
        amount_submitted_fen=sum(r.amount_fen for r in refunds if r.status != "error"),
        amount_refunded_fen=order.refunded_fen,
    )


def payment_public(session: Session, order: PaymentOrder) -> PaymentPublic:
    assert order.id is not None
    return PaymentPublic(
        id=order.id,
        out_trade_no=order.out_trade_no,
        decision_number=order.decision_number,
        state=state_of(order.status, order.failure_reason),
        status_text=status_text(order),
        description=order.description,
        fine_fen=order.fine_fen,
        surcharge_fen=order.surcharge_fen,
        amount_fen=order.amount_fen,
        overdue_days=order.overdue_days,
        priced_on=order.priced_on,
        created_at=local(order.created_at),
        expires_at=local(order.expires_at),
        paid_at=None if order.paid_at is None else local(order.paid_at),
        transaction_id=order.transaction_id,
        under_review=order.flagged,
        refund_summary=refund_summary(order, refunds_of(session, order.id)),
    )


def refund_public(refund: PaymentRefund) -> RefundPublic:
    assert refund.id is not None
    return RefundPublic(
        id=refund.id,
        payment_id=refund.payment_id,
        out_refund_no=refund.out_refund_no,
        refund_id=refund.refund_id,
        amount_fen=refund.amount_fen,
        reason=refund.reason,
        status=refund.status,  # type: ignore[arg-type]
        created_at=local(refund.created_at),
        finished_at=None if refund.finished_at is None else local(refund.finished_at),
    )


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
    settings = request.app.state.settings
    pay = pay_client(request)
    order = create_payment(
        session,
        pay,
        citizen_id=citizen.subject,
        number=value,
        openid=body.openid,
        idempotency_key=idempotency_key,
        now=now,
        expire_minutes=settings.payment_expire_minutes,
    )
    public = payment_public(session, order)
    jsapi = None
    page = None
    if order.status == "started" and order.prepay_id and now < as_utc(order.expires_at):
        jsapi = JsapiPayParams(**pay.jsapi_params(order.prepay_id))
        if settings.shared.env == "dev":
            page = pay.pay_page_url(order.prepay_id)
    return PaymentCreated(**public.model_dump(), jsapi=jsapi, pay_page_url=page)


@router.get("/me/payments", response_model=Page[PaymentPublic], summary="我的缴款订单")
def list_my_payments(
    citizen: CitizenDep, session: SessionDep, page: PageDep
) -> Page[PaymentPublic]:
    """The calling citizen's payment orders, newest first."""
    query = select(PaymentOrder).where(PaymentOrder.citizen_id == citizen.subject)
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    orders = session.exec(
        query.order_by(col(PaymentOrder.id).desc()).offset(page.offset).limit(page.limit)
    ).all()
    return Page(items=[payment_public(session, o) for o in orders], total=total)


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
    return payment_public(session, readable_order(session, identity=identity, order_id=payment_id))


@router.get(
    "/payments/{payment_id}/events",
    response_model=Page[PaymentEventPublic],
    summary="缴款订单事件记录",
)
def list_payment_events(
    payment_id: Id, identity: IdentityDep, session: SessionDep, page: PageDep
) -> Page[PaymentEventPublic]:
    """Every transition of the order (and refund steps and review flags), oldest first."""
    readable_order(session, identity=identity, order_id=payment_id)
    events: list[PaymentEvent] = events_of(session, payment_id)
    return Page(
        items=[
            PaymentEventPublic(
                id=e.id or 0,
                type=e.type,
                state=state_of(e.status, None),
                source=e.source,
                detail=e.detail,
                at=local(e.at),
            )
            for e in events[page.offset : page.offset + page.limit]
        ],
        total=len(events),
    )


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
    refund = create_refund(
        session,
        pay_client(request),
        order_id=payment_id,
        body=body,
        officer_id=officer.subject,
        now=now,
    )
    return refund_public(refund)


@router.get("/payments/{payment_id}/refunds", response_model=Page[RefundPublic], summary="退款记录")
def list_refunds(
    payment_id: Id, identity: IdentityDep, session: SessionDep, page: PageDep
) -> Page[RefundPublic]:
    """The refunds of an order (its citizen, or a traffic officer)."""
    readable_order(session, identity=identity, order_id=payment_id)
    refunds = refunds_of(session, payment_id)
    return Page(
        items=[refund_public(r) for r in refunds[page.offset : page.offset + page.limit]],
        total=len(refunds),
    )


@router.get(
    "/payments/{payment_id}/receipt",
    response_model=ReceiptPublic,
    summary="电子缴款凭证",
    responses={409: {"description": "订单尚未支付成功"}},
)
def get_receipt(payment_id: Id, identity: IdentityDep, session: SessionDep) -> ReceiptPublic:
    """The electronic receipt of a successful payment; the payer is masked."""
    return receipt_of(session, readable_order(session, identity=identity, order_id=payment_id))


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
    receipt = receipt_of(session, readable_order(session, identity=identity, order_id=payment_id))
    return Response(
        render_pdf(receipt),
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="receipt-{receipt.receipt_number}.pdf"'},
    )
