"""Fine payments over WeChat Pay: orders, their state machine, notifications and refunds.

States follow GOV.UK Pay::

    created ──provider order──► started ──paid──► success
       │                          ├──expired / payer cancelled / payment error──► failed
       │                          └──superseded by a newer order (closed by us)──► cancelled
       └──provider refused, or never reached it──► error (no money taken)

success, failed, cancelled and error are `finished`. The provider is the truth about money: a
verified SUCCESS turns any order into success (also one we had marked failed or cancelled, when
the payer paid just before the close), and is never lost; if the decision was already paid by
another order, the order is flagged for review so an officer refunds it.

Exactly once: every transition is one conditional UPDATE (`... WHERE status IN (<from>)`), with
its event and the decision's "paid" in the same transaction. PostgreSQL makes a concurrent
updater wait for the row and re-check the condition, so of twenty identical notifications one
changes the row and nineteen change nothing; SQLite serialises writers. The decision is marked
paid with `WHERE paid_on IS NULL` likewise. Points were applied when the decision was made and
payment does not touch them.

The amount of an order is computed when it is created (fine + late surcharge on that Asia/Shanghai
day, `traffic.penalties`) and frozen: the provider is asked for exactly that sum, and a notification
or query reporting any other amount is refused and the order flagged. A new order recomputes.
"""

from __future__ import annotations

import hashlib
import json
import logging
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, or_, select

from servicekit import wechatpay
from servicekit.clock import as_utc, local_day
from servicekit.errors import Conflict, Forbidden, NotFound, Problem, UpstreamUnavailable
from servicekit.identity import Identity, require_staff
from traffic.bindings import bound_licence, bound_vehicle_ids
from traffic.models import (
    OPEN_STATUSES,
    PaymentEvent,
    PaymentOrder,
    PaymentRefund,
    PenaltyDecision,
    RefundCreate,
    Violation,
)
from traffic.penalties import overdue_days, surcharge_fen
from traffic.wechatpay_client import (
    ALERT,
    MerchantConfig,
    ProviderError,
    ProviderRefused,
    ProviderUnavailable,
    WechatPayClient,
)

log = logging.getLogger("traffic.payments")

FINISHED = frozenset({"success", "failed", "cancelled", "error"})
IDEMPOTENCY_WINDOW = timedelta(hours=24)
OFFICER_ROLE = "traffic_officer"
STATUS_TEXT = {
    "created": "待支付",
    "started": "待支付",
    "success": "已支付",
    "cancelled": "已关闭（已重新发起缴款）",
    "error": "下单失败，未扣款",
}
FAILURE_TEXT = {
    "expired": "超过2小时未支付，订单已失效",
    "user_cancelled": "已取消支付",
    "payment_error": "支付失败",
    "closed": "订单已关闭",
}


class PreconditionFailed(Problem):
    """412: the caller's picture of the resource is stale."""

    status, title = 412, "Precondition Failed"


class PaymentRefusedByProvider(Problem):
    """502: the provider refused to create the order (recorded as `error`)."""

    status, title = 502, "Bad Gateway"


def is_finished(status: str) -> bool:
    return status in FINISHED


def status_text(order: PaymentOrder) -> str:
    if order.status == "failed":
        return FAILURE_TEXT.get(order.failure_reason or "", "支付失败")
    return STATUS_TEXT[order.status]


def alert(message: str, **fields: Any) -> None:
    """An alert log line: someone must look (bad signatures, amount mismatches, double payment)."""
    log.error(message, extra={"alert": ALERT, **fields})


# Creating orders.


def request_hash(*, number: str, openid: str) -> str:
    """SHA-256 of what a creation request asks for, to tell a retry from another request."""
    canonical = json.dumps({"decision": number, "openid": openid}, sort_keys=True)
    return hashlib.sha256(canonical.encode()).hexdigest()


def new_out_trade_no(now: datetime) -> str:
    """A unique order number: JJ + Shanghai time to the second + 12 random hex digits (28)."""
    from servicekit.clock import SHANGHAI

    return f"JJ{as_utc(now).astimezone(SHANGHAI):%Y%m%d%H%M%S}{secrets.token_hex(6).upper()}"


def record_event(
    session: Session,
    order_id: int,
    *,
    type_: str,
    status: str,
    source: str,
    now: datetime,
    detail: str | None = None,
) -> None:
    session.add(
        PaymentEvent(
            payment_id=order_id,
            type=type_,
            status=status,
            source=source,
            detail=None if detail is None else detail[:300],
            at=now,
        )
    )


def transition(
    session: Session,
    order_id: int,
    *,
    to: str,
    from_: Iterable[str] = OPEN_STATUSES,
    event: str,
    source: str,
    now: datetime,
    detail: str | None = None,
    **values: Any,
) -> bool:
    """Move the order to `to` if it is in one of `from_`, with its event; not committed.

    False (and nothing written) when the order was not in `from_`: someone moved it first.
    """
    result = session.execute(
        update(PaymentOrder)
        .where(col(PaymentOrder.id) == order_id, col(PaymentOrder.status).in_(list(from_)))
        .values(status=to, updated_at=now, **values)
    )
    if result.rowcount != 1:
        return False
    record_event(session, order_id, type_=event, status=to, source=source, now=now, detail=detail)
    return True


def flag(session: Session, order_id: int, *, reason: str, source: str, now: datetime) -> None:
    """Flag an order for review (once per reason) and commit."""
    result = session.execute(
        update(PaymentOrder)
        .where(
            col(PaymentOrder.id) == order_id,
            or_(col(PaymentOrder.flag_reason).is_(None), col(PaymentOrder.flag_reason) != reason),
        )
        .values(flagged=True, flag_reason=reason[:200], updated_at=now)
    )
    if result.rowcount == 1:
        status = session.exec(select(PaymentOrder.status).where(PaymentOrder.id == order_id)).one()
        record_event(
            session, order_id, type_="flagged", status=status, source=source, now=now, detail=reason
        )
    session.commit()


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


def _replay(
    session: Session, *, citizen_id: str, key: str, digest: str, now: datetime
) -> PaymentOrder | None:
    """The order made earlier with this key within 24 h; 409 if it was for another request."""
    earlier = session.exec(
        select(PaymentOrder).where(
            PaymentOrder.citizen_id == citizen_id, PaymentOrder.idempotency_key == key
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
    if earlier.request_hash != digest:
        raise Conflict("该 Idempotency-Key 已用于另一笔缴款请求，请为新的缴款使用新的键。")
    return earlier


def create_payment(
    session: Session,
    pay: WechatPayClient,
    *,
    citizen_id: str,
    number: str,
    openid: str,
    idempotency_key: str,
    now: datetime,
    expire_minutes: int = 120,
) -> PaymentOrder:
    """A new order for the amount due today (or the original one for a retried key).

    Earlier open orders of the decision are closed first, at the provider and here.
    """
    digest = request_hash(number=number, openid=openid)
    earlier = _replay(session, citizen_id=citizen_id, key=idempotency_key, digest=digest, now=now)
    if earlier is not None:
        return ensure_started(session, pay, earlier, now=now)
    payable = payable_decision(session, citizen_id=citizen_id, number=number)
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
        citizen_id=citizen_id,
        idempotency_key=idempotency_key,
        request_hash=digest,
        payer_openid=openid,
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
        again = _replay(session, citizen_id=citizen_id, key=idempotency_key, digest=digest, now=now)
        if again is not None:  # a concurrent retry with the same key won
            return ensure_started(session, pay, again, now=now)
        # Another order of the same decision was opened at the same moment.
        raise Conflict("该决定书正在缴款中，请稍后刷新再试。") from None
    session.refresh(order)
    return ensure_started(session, pay, order, now=now)


def ensure_started(
    session: Session, pay: WechatPayClient, order: PaymentOrder, *, now: datetime
) -> PaymentOrder:
    """Create the order at the provider if that has not happened yet (created -> started)."""
    if order.status != "created":
        return order
    assert order.id is not None
    if now >= as_utc(order.expires_at):
        transition(
            session,
            order.id,
            to="failed",
            from_=("created",),
            event="expired",
            source="citizen",
            now=now,
            failure_reason="expired",
        )
        session.commit()
        session.refresh(order)
        return order
    try:
        prepay_id = pay.create_jsapi_order(
            out_trade_no=order.out_trade_no,
            description=order.description,
            amount_fen=order.amount_fen,
            openid=order.payer_openid,
            time_expire=as_utc(order.expires_at),
        )
    except ProviderRefused as exc:
        transition(
            session,
            order.id,
            to="error",
            from_=("created",),
            event="error",
            source="citizen",
            now=now,
            detail=f"{exc.code} {exc}",
        )
        session.commit()
        raise PaymentRefusedByProvider(f"微信支付下单失败：{exc}，未扣款。") from None
    except ProviderUnavailable:
        # Stays `created`: a retry with the same Idempotency-Key tries again.
        raise UpstreamUnavailable("微信支付暂时无法访问，未扣款；请稍后用同一请求重试。") from None
    transition(
        session,
        order.id,
        to="started",
        from_=("created",),
        event="started",
        source="citizen",
        now=now,
        prepay_id=prepay_id,
    )
    session.commit()
    session.refresh(order)
    return order


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


# What the provider says about an order (notifications and queries).


class Mismatch(Exception):
    """A transaction that does not match our order: refused, and the order flagged."""


def check_transaction(
    order: PaymentOrder, transaction: Mapping[str, Any], config: MerchantConfig
) -> None:
    """Raise Mismatch unless the transaction is this order's, at its frozen amount."""
    amount = transaction.get("amount") or {}
    problems = []
    if transaction.get("appid") != config.appid:
        problems.append(f"appid {transaction.get('appid')!r}")
    if transaction.get("mchid") != config.mchid:
        problems.append(f"mchid {transaction.get('mchid')!r}")
    if transaction.get("out_trade_no") != order.out_trade_no:
        problems.append(f"out_trade_no {transaction.get('out_trade_no')!r}")
    if transaction.get("trade_state") in ("SUCCESS", "REFUND"):
        if amount.get("total") != order.amount_fen:
            problems.append(f"金额{amount.get('total')}分与订单金额{order.amount_fen}分不符")
        if amount.get("currency", "CNY") != "CNY":
            problems.append(f"currency {amount.get('currency')!r}")
    if problems:
        raise Mismatch("；".join(problems))


def _parse_time(value: Any, default: datetime) -> datetime:
    try:
        parsed = datetime.fromisoformat(str(value))
    except ValueError:
        return default
    return as_utc(parsed) if parsed.tzinfo is not None else default


def apply_success(
    session: Session,
    order: PaymentOrder,
    transaction: Mapping[str, Any],
    *,
    source: str,
    now: datetime,
) -> bool:
    """Mark the order paid and its decision paid, exactly once; False for a repeat."""
    assert order.id is not None
    paid_at = _parse_time(transaction.get("success_time"), now)
    amount = transaction.get("amount") or {}
    late = order.status in ("failed", "cancelled", "error")
    changed = transition(
        session,
        order.id,
        to="success",
        from_=("created", "started", "failed", "cancelled", "error"),
        event="paid",
        source=source,
        now=now,
        detail=(
            f"微信支付订单号{transaction.get('transaction_id')}"
            + ("（订单关闭前已支付）" if late else "")
        ),
        failure_reason=None,
        transaction_id=str(transaction.get("transaction_id") or "")[:32] or None,
        payer_total_fen=amount.get("payer_total", amount.get("total")),
        paid_at=paid_at,
    )
    if not changed:
        session.rollback()
        return False
    paid = session.execute(
        update(PenaltyDecision)
        .where(
            col(PenaltyDecision.number) == order.decision_number,
            col(PenaltyDecision.paid_on).is_(None),
        )
        .values(paid_on=local_day(paid_at), paid_fen=order.amount_fen)
    )
    double = paid.rowcount != 1
    session.commit()
    log.info(
        "payment succeeded",
        extra={"payment_id": order.id, "out_trade_no": order.out_trade_no, "source": source},
    )
    if double:
        reason = "决定书已由另一笔缴款付清，本笔重复缴款须退款"
        alert("double payment of a decision", payment_id=order.id, decision=order.decision_number)
        flag(session, order.id, reason=reason, source=source, now=now)
    return True


def apply_transaction(
    session: Session,
    order: PaymentOrder,
    transaction: Mapping[str, Any],
    *,
    source: str,
    now: datetime,
    config: MerchantConfig,
) -> str:
    """Bring the order in line with the provider's transaction; what happened.

    Outcomes: success (newly paid), duplicate, failed, unchanged, mismatch.
    """
    assert order.id is not None
    try:
        check_transaction(order, transaction, config)
    except Mismatch as exc:
        alert(
            "WeChat Pay transaction does not match the order",
            payment_id=order.id,
            problem=str(exc),
            source=source,
        )
        flag(session, order.id, reason=f"支付平台数据不符：{exc}", source=source, now=now)
        return "mismatch"
    state = transaction.get("trade_state")
    if state in ("SUCCESS", "REFUND"):
        return (
            "success"
            if apply_success(session, order, transaction, source=source, now=now)
            else "duplicate"
        )
    failures = {"CLOSED": "closed", "REVOKED": "closed", "PAYERROR": "payment_error"}
    if state in failures:
        reason = failures[state]
        if reason == "closed" and now >= as_utc(order.expires_at):
            reason = "expired"
        changed = transition(
            session,
            order.id,
            to="failed",
            event="expired" if reason == "expired" else reason,
            source=source,
            now=now,
            failure_reason=reason,
            detail=str(transaction.get("trade_state_desc") or state),
        )
        session.commit()
        return "failed" if changed else "unchanged"
    return "unchanged"


# Notifications.


@dataclass(frozen=True)
class NotifyAnswer:
    """What to answer the provider: 204, or a status with `{"code": "FAIL", "message"}`."""

    status: int
    message: str = ""


def _envelope(body: str) -> dict[str, Any] | None:
    """The notification's JSON object; None for anything else, however deeply nested."""
    try:
        envelope = json.loads(body)
    except (ValueError, RecursionError):
        return None
    return envelope if isinstance(envelope, dict) else None


def _decrypt(config: MerchantConfig, envelope: Mapping[str, Any]) -> dict[str, Any]:
    resource = envelope.get("resource")
    if not isinstance(resource, dict):
        raise wechatpay.DecryptionFailed("no resource")
    value = json.loads(wechatpay.decrypt_resource(config.apiv3_key, resource))
    if not isinstance(value, dict):
        raise wechatpay.DecryptionFailed("resource is not an object")
    return value


def _order_by_trade_no(session: Session, out_trade_no: Any) -> PaymentOrder | None:
    if not isinstance(out_trade_no, str):
        return None
    return session.exec(
        select(PaymentOrder).where(PaymentOrder.out_trade_no == out_trade_no)
    ).first()


def handle_notification(
    session: Session,
    pay: WechatPayClient,
    *,
    headers: Mapping[str, str],
    body: str,
    now: datetime,
) -> NotifyAnswer:
    """Verify, decrypt, check and apply one notification (payment or refund).

    The signature is checked over the raw body before anything parses it; a refused body is
    read afterwards only to flag its order, and one too deeply nested to read is just refused.
    """
    config = pay.config
    try:
        wechatpay.verify_signed(
            config.platform_public_key, headers, body, serial=config.platform_public_key_id
        )
    except wechatpay.WechatPayError as exc:
        stale = isinstance(exc, wechatpay.StaleTimestamp)
        envelope = _envelope(body) or {}
        alert(
            "WeChat Pay notification refused: " + ("stale timestamp" if stale else "bad signature"),
            event_id=envelope.get("id"),
        )
        # The resource is authenticated by the APIv3 key: if it decrypts, flag its order.
        try:
            resource = _decrypt(config, envelope)
        except (wechatpay.WechatPayError, ValueError, RecursionError):
            resource = {}
        order = _order_by_trade_no(session, resource.get("out_trade_no"))
        if order is not None and order.id is not None:
            reason = "收到时间戳超出5分钟的支付通知" if stale else "收到签名无效的支付通知"
            flag(session, order.id, reason=reason, source="notification", now=now)
        return NotifyAnswer(401, "stale timestamp" if stale else "signature does not verify")
    envelope = _envelope(body)
    if envelope is None:
        alert("WeChat Pay notification is not a JSON object")
        return NotifyAnswer(400, "body is not a JSON object")
    try:
        resource = _decrypt(config, envelope)
    except (wechatpay.WechatPayError, ValueError, RecursionError):
        alert("WeChat Pay notification does not decrypt", event_id=envelope.get("id"))
        return NotifyAnswer(400, "resource does not decrypt")
    event_type = str(envelope.get("event_type") or "")
    if event_type.startswith("REFUND."):
        return _refund_notification(session, config, resource, now=now)
    if not event_type.startswith("TRANSACTION."):
        log.info("WeChat Pay notification ignored", extra={"event_type": event_type})
        return NotifyAnswer(204)
    order = _order_by_trade_no(session, resource.get("out_trade_no"))
    if order is None:
        alert(
            "WeChat Pay notification for an unknown order",
            out_trade_no=str(resource.get("out_trade_no"))[:40],
        )
        return NotifyAnswer(400, "unknown out_trade_no")
    outcome = apply_transaction(
        session, order, resource, source="notification", now=now, config=config
    )
    if outcome == "mismatch":
        return NotifyAnswer(400, "transaction does not match the order")
    if outcome == "success":
        close_other_orders(session, pay, order, source="notification", now=now)
    return NotifyAnswer(204)


def _refund_notification(
    session: Session, config: MerchantConfig, resource: Mapping[str, Any], *, now: datetime
) -> NotifyAnswer:
    refund = session.exec(
        select(PaymentRefund).where(PaymentRefund.out_refund_no == resource.get("out_refund_no"))
    ).first()
    if refund is None:
        alert(
            "WeChat Pay refund notification for an unknown refund",
            out_refund_no=str(resource.get("out_refund_no"))[:64],
        )
        return NotifyAnswer(400, "unknown out_refund_no")
    order = session.get(PaymentOrder, refund.payment_id)
    assert order is not None and order.id is not None
    amount = resource.get("amount") or {}
    problems = []
    if resource.get("mchid") != config.mchid:
        problems.append(f"mchid {resource.get('mchid')!r}")
    if resource.get("out_trade_no") != order.out_trade_no:
        problems.append(f"out_trade_no {resource.get('out_trade_no')!r}")
    if amount.get("refund") != refund.amount_fen:
        problems.append(f"退款金额{amount.get('refund')}分与退款单{refund.amount_fen}分不符")
    if problems:
        reason = "退款通知数据不符：" + "；".join(problems)
        alert("WeChat Pay refund notification does not match", refund_id=refund.id)
        flag(session, order.id, reason=reason, source="notification", now=now)
        return NotifyAnswer(400, "refund does not match")
    apply_refund_status(
        session,
        refund,
        str(resource.get("refund_status") or ""),
        refund_id=resource.get("refund_id"),
        source="notification",
        now=now,
    )
    return NotifyAnswer(204)


# Refunds.


def apply_refund_status(
    session: Session,
    refund: PaymentRefund,
    provider_status: str,
    *,
    refund_id: Any,
    source: str,
    now: datetime,
) -> bool:
    """Apply the provider's refund status to a submitted refund, once; True if it changed."""
    assert refund.id is not None
    if provider_status not in ("SUCCESS", "CLOSED", "ABNORMAL"):
        if refund_id and not refund.refund_id:
            refund.refund_id = str(refund_id)[:32]
            session.add(refund)
            session.commit()
        return False
    to = "success" if provider_status == "SUCCESS" else "error"
    changed = session.execute(
        update(PaymentRefund)
        .where(col(PaymentRefund.id) == refund.id, col(PaymentRefund.status) == "submitted")
        .values(
            status=to,
            provider_status=provider_status,
            refund_id=str(refund_id)[:32] if refund_id else refund.refund_id,
            finished_at=now,
        )
    )
    if changed.rowcount != 1:
        session.rollback()
        return False
    values: dict[str, Any] = {"updated_at": now}
    if provider_status == "SUCCESS":
        values["refunded_fen"] = col(PaymentOrder.refunded_fen) + refund.amount_fen
    elif provider_status == "CLOSED":
        # The money never left: it is available to refund again.
        values["refund_reserved_fen"] = col(PaymentOrder.refund_reserved_fen) - refund.amount_fen
    session.execute(
        update(PaymentOrder).where(col(PaymentOrder.id) == refund.payment_id).values(**values)
    )
    record_event(
        session,
        refund.payment_id,
        type_="refunded" if to == "success" else "refund_failed",
        status="success",
        source=source,
        now=now,
        detail=f"退款单{refund.out_refund_no}：{refund.amount_fen}分（{provider_status}）",
    )
    session.commit()
    if provider_status == "ABNORMAL":
        alert("WeChat Pay refund abnormal", refund_id=refund.id)
        flag(
            session,
            refund.payment_id,
            reason=f"退款单{refund.out_refund_no}退款异常，须人工处理",
            source=source,
            now=now,
        )
    session.refresh(refund)
    return True


def create_refund(
    session: Session,
    pay: WechatPayClient,
    *,
    order_id: int,
    body: RefundCreate,
    officer_id: str,
    now: datetime,
) -> PaymentRefund:
    """Refund part of a successful payment; a retried out_refund_no refunds once."""
    order = session.get(PaymentOrder, order_id)
    if order is None:
        raise NotFound("未找到该缴款订单。")
    existing = session.exec(
        select(PaymentRefund).where(PaymentRefund.out_refund_no == body.out_refund_no)
    ).first()
    if existing is not None:
        if existing.payment_id != order_id or existing.amount_fen != body.amount_fen:
            raise Conflict("该退款单号已用于另一笔退款。")
        return _submit_refund(session, pay, order, existing, now=now)
    if order.status != "success":
        raise Conflict("只有支付成功的订单可以退款。")
    available = order.amount_fen - order.refund_reserved_fen
    if body.expected_available_fen != available:
        raise PreconditionFailed(
            f"可退金额已变为{available}分，请刷新后重新确认。",
            errors=[
                {
                    "field": "expected_available_fen",
                    "in": "body",
                    "message": f"当前可退{available}分",
                    "type": "stale",
                }
            ],
        )
    if body.amount_fen > available:
        raise RefundTooLarge(available)
    reserved = session.execute(
        update(PaymentOrder)
        .where(
            col(PaymentOrder.id) == order_id,
            col(PaymentOrder.status) == "success",
            col(PaymentOrder.refund_reserved_fen) == order.refund_reserved_fen,
        )
        .values(
            refund_reserved_fen=col(PaymentOrder.refund_reserved_fen) + body.amount_fen,
            updated_at=now,
        )
    )
    if reserved.rowcount != 1:
        session.rollback()
        raise PreconditionFailed("可退金额已被另一笔退款改变，请刷新后重新确认。")
    refund = PaymentRefund(
        payment_id=order_id,
        out_refund_no=body.out_refund_no,
        amount_fen=body.amount_fen,
        reason=body.reason,
        status="submitted",
        officer_id=officer_id,
        created_at=now,
    )
    session.add(refund)
    record_event(
        session,
        order_id,
        type_="refund_submitted",
        status="success",
        source="officer",
        now=now,
        detail=f"退款单{body.out_refund_no}：{body.amount_fen}分，{body.reason}",
    )
    try:
        session.commit()
    except IntegrityError:
        # The same out_refund_no submitted at the same moment: the rollback frees our reservation.
        session.rollback()
        return create_refund(
            session, pay, order_id=order_id, body=body, officer_id=officer_id, now=now
        )
    log.info("refund submitted", extra={"payment_id": order_id, "officer": officer_id})
    session.refresh(refund)
    session.refresh(order)
    return _submit_refund(session, pay, order, refund, now=now)


class RefundTooLarge(Problem):
    status, title = 422, "Unprocessable Content"

    def __init__(self, available: int) -> None:
        message = f"退款金额超过可退金额{available}分。"
        super().__init__(
            message,
            errors=[{"field": "amount_fen", "in": "body", "message": message, "type": "range"}],
        )


def _submit_refund(
    session: Session,
    pay: WechatPayClient,
    order: PaymentOrder,
    refund: PaymentRefund,
    *,
    now: datetime,
) -> PaymentRefund:
    """Ask the provider (again: it is idempotent per out_refund_no) for a submitted refund."""
    if refund.status != "submitted":
        return refund
    try:
        answer = pay.refund(
            out_trade_no=order.out_trade_no,
            transaction_id=order.transaction_id,
            out_refund_no=refund.out_refund_no,
            refund_fen=refund.amount_fen,
            total_fen=order.amount_fen,
            reason=refund.reason,
        )
    except ProviderRefused as exc:
        # Refused outright: nothing was refunded, the amount is available again.
        apply_refund_status(session, refund, "CLOSED", refund_id=None, source="officer", now=now)
        session.refresh(refund)
        log.warning(
            "refund refused by WeChat Pay", extra={"refund_id": refund.id, "code": exc.code}
        )
        return refund
    except ProviderUnavailable:
        raise UpstreamUnavailable(
            "退款已登记，但微信支付暂时无法访问；请稍后用同一退款单号重试。"
        ) from None
    apply_refund_status(
        session,
        refund,
        str(answer.get("status") or ""),
        refund_id=answer.get("refund_id"),
        source="officer",
        now=now,
    )
    session.refresh(refund)
    return refund


# Reading.


def readable_order(session: Session, *, identity: Identity, order_id: int) -> PaymentOrder:
    """An order its citizen, or a traffic officer, may read; another's is as unknown as none."""
    order = session.get(PaymentOrder, order_id)
    if identity.kind == "citizen":
        if order is None or order.citizen_id != identity.subject:
            raise NotFound("未找到该缴款订单。")
        return order
    require_staff(identity, OFFICER_ROLE)
    if order is None:
        raise NotFound("未找到该缴款订单。")
    return order


def events_of(session: Session, order_id: int) -> list[PaymentEvent]:
    return list(
        session.exec(
            select(PaymentEvent)
            .where(PaymentEvent.payment_id == order_id)
            .order_by(col(PaymentEvent.at), col(PaymentEvent.id))
        ).all()
    )


def refunds_of(session: Session, order_id: int) -> list[PaymentRefund]:
    return list(
        session.exec(
            select(PaymentRefund)
            .where(PaymentRefund.payment_id == order_id)
            .order_by(col(PaymentRefund.id))
        ).all()
    )
