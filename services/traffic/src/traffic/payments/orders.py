"""Creating payment orders (citizens), and closing those a newer order or a payment replaces."""

from __future__ import annotations

import hashlib
import json
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from servicekit.clock import SHANGHAI, as_utc, local_day
from servicekit.errors import Conflict, Forbidden, NotFound, Problem, UpstreamUnavailable
from servicekit.identity import WechatUser
from traffic.bindings import bound_licence, bound_vehicle_ids
from traffic.models import (
    OPEN_STATUSES,
    JsapiPayParams,
    PaymentCreated,
    PaymentOrder,
    PaymentStatus,
    PenaltyDecision,
    Violation,
)
from traffic.payments.provider import (
    ProviderError,
    ProviderRefused,
    ProviderUnavailable,
    WechatPayClient,
)
from traffic.payments.reading import refunds_of
from traffic.payments.states import record_event, transition
from traffic.payments.transactions import apply_transaction
from traffic.penalties import overdue_days, surcharge_fen
from traffic.settings import TrafficSettings
from traffic.views import payment_public

log = logging.getLogger(__name__)

IDEMPOTENCY_WINDOW = timedelta(hours=24)
SIGN_IN_WITH_WECHAT = "请在微信中登录后缴款。"
SIGN_IN_WITH_MERCHANT = "请从东莞交警公众号进入并登录后缴款。"


class PaymentRefusedByProvider(Problem):
    """502: the provider refused to create the order (recorded as `error`)."""

    status, title = 502, "Bad Gateway"


def request_hash(*, number: str, openid: str) -> str:
    """SHA-256 of what a creation request asks for, to tell a retry from another request."""
    canonical = json.dumps({"decision": number, "openid": openid}, sort_keys=True)
    return hashlib.sha256(canonical.encode()).hexdigest()


def new_out_trade_no(now: datetime) -> str:
    """A unique order number: JJ + Shanghai time to the second + 12 random hex digits (28)."""
    return f"JJ{as_utc(now).astimezone(SHANGHAI):%Y%m%d%H%M%S}{secrets.token_hex(6).upper()}"


def payer_openid(*, wechat: WechatUser | None, appid: str) -> str:
    """The payer's openid with the merchant's app, as WeChat gave it at the citizen's sign-in.

    WeChat Pay takes a JSAPI order only for an openid of the order's appid, and nobody may name
    another person as the payer: without a WeChat sign-in through that app, 409.
    """
    if wechat is None:
        raise Conflict(SIGN_IN_WITH_WECHAT)
    if wechat.appid != appid:
        raise Conflict(SIGN_IN_WITH_MERCHANT)
    return wechat.openid


@dataclass(frozen=True)
class OrderRequest:
    """A citizen's request to pay a decision, with the key that makes its retries safe."""

    citizen_id: str
    number: str
    openid: str
    idempotency_key: str

    def digest(self) -> str:
        """The hash of what it asks for, to tell a retry from another request."""
        return request_hash(number=self.number, openid=self.openid)


@dataclass(frozen=True)
class Payable:
    """A decision a citizen may pay, with its violation."""

    decision: PenaltyDecision
    violation: Violation


def payable_decision(session: Session, *, citizen_id: str, number: str) -> Payable:
    """The decision, if the citizen may pay it: they bound its vehicle or its licence."""
    row = session.exec(
        select(PenaltyDecision, Violation)
        .join(Violation, col(Violation.id) == PenaltyDecision.violation_id)
        .where(PenaltyDecision.number == number)
    ).first()
    if row is None:
        raise NotFound(f"未找到编号为{number}的处罚决定书，请核对决定书编号。")
    decision, violation = row
    licence = bound_licence(session, citizen_id=citizen_id)
    own_licence = licence is not None and licence.id == decision.licence_id
    if not own_licence and violation.vehicle_id not in bound_vehicle_ids(
        session, citizen_id=citizen_id
    ):
        raise Forbidden("只有绑定了该违法车辆或当事人驾驶证的本人可以缴纳此决定书的罚款。")
    return Payable(decision=decision, violation=violation)


def _replay(session: Session, request: OrderRequest, *, now: datetime) -> PaymentOrder | None:
    """The order made earlier with this key within 24 h; 409 if it was for another request."""
    earlier = session.exec(
        select(PaymentOrder).where(
            PaymentOrder.citizen_id == request.citizen_id,
            PaymentOrder.idempotency_key == request.idempotency_key,
        )
    ).first()
    if earlier is None:
        return None
    if as_utc(earlier.created_at) <= now - IDEMPOTENCY_WINDOW:
        # The key has expired: it may start a new request.
        session.execute(
            update(PaymentOrder)
            .where(col(PaymentOrder.id) == earlier.id)
            .values(idempotency_key=None)
        )
        session.commit()
        return None
    if earlier.request_hash != request.digest():
        raise Conflict("该 Idempotency-Key 已用于另一笔缴款请求，请为新的缴款使用新的键。")
    return earlier


def start_payment(
    session: Session,
    pay: WechatPayClient,
    request: OrderRequest,
    *,
    now: datetime,
    settings: TrafficSettings,
) -> PaymentCreated:
    """Create (or replay) the order and answer it with what the WeChat browser needs to pay it;
    in development also the sandbox's pay page."""
    order = create_payment(
        session, pay, request, now=now, expire_minutes=settings.payment_expire_minutes
    )
    assert order.id is not None
    public = payment_public(order, refunds_of(session, order.id))
    jsapi = None
    page = None
    if order.status == "started" and order.prepay_id and now < as_utc(order.expires_at):
        jsapi = JsapiPayParams(**pay.jsapi_params(order.prepay_id))
        if settings.shared.env == "dev":
            page = pay.pay_page_url(
                order.prepay_id, browser_base_url=settings.wechatpay_pay_page_base_url
            )
    return PaymentCreated(**public.model_dump(), jsapi=jsapi, pay_page_url=page)


def create_payment(
    session: Session,
    pay: WechatPayClient,
    request: OrderRequest,
    *,
    now: datetime,
    expire_minutes: int = 120,
) -> PaymentOrder:
    """A new order for the amount due today (or the original one for a retried key).

    Earlier open orders of the decision are closed first, at the provider and here.
    """
    earlier = _replay(session, request, now=now)
    if earlier is not None:
        return ensure_started(session, pay, earlier, now=now)
    number = request.number
    payable = payable_decision(session, citizen_id=request.citizen_id, number=number)
    decision = payable.decision
    if decision.paid_on is not None:
        raise Conflict(f"该决定书已于{decision.paid_on.isoformat()}缴款，无需重复缴纳。")
    for open_order in session.exec(
        select(PaymentOrder).where(
            PaymentOrder.decision_number == number,
            col(PaymentOrder.status).in_(OPEN_STATUSES),
        )
    ).all():
        supersede(session, pay, open_order, now=now)
    session.refresh(decision)
    if decision.paid_on is not None:
        raise Conflict("该决定书的上一笔缴款已支付成功，无需重复缴纳。")
    day = local_day(now)
    surcharge = surcharge_fen(fine_fen=decision.fine_fen, decided_on=decision.decided_on, on=day)
    order = PaymentOrder(
        out_trade_no=new_out_trade_no(now),
        decision_number=number,
        citizen_id=request.citizen_id,
        idempotency_key=request.idempotency_key,
        request_hash=request.digest(),
        payer_openid=request.openid,
        description=f"东莞交警-交通违法罚款-决定书{number}",
        fine_fen=decision.fine_fen,
        surcharge_fen=surcharge,
        amount_fen=decision.fine_fen + surcharge,
        overdue_days=overdue_days(decided_on=decision.decided_on, on=day),
        priced_on=day,
        status="created",
        created_at=now,
        expires_at=now + timedelta(minutes=expire_minutes),
        updated_at=now,
    )
    session.add(order)
    try:
        session.flush()
        assert order.id is not None
        record_event(
            session,
            order.id,
            type_="created",
            status="created",
            source="citizen",
            now=now,
            detail=f"应缴{order.amount_fen}分（罚款{order.fine_fen}，加处罚款{surcharge}）",
        )
        session.commit()
    except IntegrityError:
        session.rollback()
        again = _replay(session, request, now=now)
        if again is not None:  # a concurrent retry with the same key won
            return ensure_started(session, pay, again, now=now)
        # Another order of the same decision was opened at the same moment.
        raise Conflict("该决定书正在缴款中，请稍后刷新再试。") from None
    session.refresh(order)
    return ensure_started(session, pay, order, now=now)


def _leave_created(
    session: Session,
    order: PaymentOrder,
    *,
    to: PaymentStatus,
    event: str,
    now: datetime,
    **values: Any,
) -> PaymentOrder:
    """Move a `created` order on at the citizen's request, commit and reload it."""
    assert order.id is not None
    transition(
        session,
        order.id,
        to=to,
        from_=("created",),
        event=event,
        source="citizen",
        now=now,
        **values,
    )
    session.commit()
    session.refresh(order)
    return order


def ensure_started(
    session: Session, pay: WechatPayClient, order: PaymentOrder, *, now: datetime
) -> PaymentOrder:
    """Create the order at the provider if that has not happened yet (created -> started)."""
    if order.status != "created":
        return order
    if now >= as_utc(order.expires_at):
        return _leave_created(
            session, order, to="failed", event="expired", now=now, failure_reason="expired"
        )
    try:
        prepay_id = pay.create_jsapi_order(order)
    except ProviderRefused as exc:
        _leave_created(
            session, order, to="error", event="error", now=now, detail=f"{exc.code} {exc}"
        )
        raise PaymentRefusedByProvider(f"微信支付下单失败：{exc}，未扣款。") from None
    except ProviderUnavailable:
        # Stays `created`: a retry with the same Idempotency-Key tries again.
        raise UpstreamUnavailable("微信支付暂时无法访问，未扣款；请稍后用同一请求重试。") from None
    return _leave_created(
        session, order, to="started", event="started", now=now, prepay_id=prepay_id
    )


def supersede(
    session: Session,
    pay: WechatPayClient,
    order: PaymentOrder,
    *,
    now: datetime,
    source: str = "citizen",
    why: str = "发起了新的缴款订单，本订单已关闭",
) -> None:
    """Close an open order because a newer one replaces it (or another order paid the
    decision); a paid one becomes success instead."""
    assert order.id is not None
    try:
        pay.close_order(order.out_trade_no)
    except ProviderRefused as exc:
        if exc.code != "ORDERPAID":
            raise UpstreamUnavailable("无法关闭上一笔未完成的缴款，请稍后再试。") from None
        # Paid after all: the signed query tells how much, and the order becomes success.
        try:
            transaction = pay.query_order(order.out_trade_no)
        except ProviderError:
            raise UpstreamUnavailable("微信支付暂时无法访问，请稍后再试。") from None
        if transaction is not None:
            apply_transaction(
                session, order, transaction, source=source, now=now, config=pay.config
            )
        return
    except ProviderUnavailable:
        raise UpstreamUnavailable("微信支付暂时无法访问，请稍后再试。") from None
    expired = now >= as_utc(order.expires_at)
    transition(
        session,
        order.id,
        to="failed" if expired else "cancelled",
        event="expired" if expired else "cancelled",
        source=source,
        now=now,
        detail=None if expired else why,
        failure_reason="expired" if expired else None,
    )
    session.commit()


def close_other_orders(
    session: Session, pay: WechatPayClient, paid: PaymentOrder, *, source: str, now: datetime
) -> None:
    """Best effort, once an order paid its decision: close the decision's other open orders so
    nobody pays twice (reconciliation closes any left when they expire)."""
    others = session.exec(
        select(PaymentOrder).where(
            PaymentOrder.decision_number == paid.decision_number,
            PaymentOrder.id != paid.id,
            col(PaymentOrder.status).in_(OPEN_STATUSES),
        )
    ).all()
    for other in others:
        try:
            supersede(session, pay, other, now=now, source=source, why="决定书已由另一笔缴款付清")
        except (Problem, ProviderError):
            session.rollback()
            log.warning("could not close an open order", extra={"payment_id": other.id})
