"""WeChat Pay's payment and refund notifications: verified, decrypted, checked, applied."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session, select

from traffic.models import PaymentOrder, PaymentRefund
from traffic.payments.metrics import RefusalReason
from traffic.payments.orders import close_other_orders
from traffic.payments.provider import MerchantConfig, WechatPayClient
from traffic.payments.refunds import RefundReport, apply_refund_status
from traffic.payments.states import alert, flag
from traffic.payments.transactions import apply_transaction, mismatches
from wechat import pay as wechatpay

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class NotifyAnswer:
    """What to answer the provider: 204, or a status with `{"code": "FAIL", "message"}` and the
    reason it is counted under."""

    status: int
    message: str = ""
    refused: RefusalReason | None = None


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
        if stale:
            return NotifyAnswer(401, "stale timestamp", "stale_timestamp")
        return NotifyAnswer(401, "signature does not verify", "bad_signature")
    envelope = _envelope(body)
    if envelope is None:
        alert("WeChat Pay notification is not a JSON object")
        return NotifyAnswer(400, "body is not a JSON object", "not_json")
    try:
        resource = _decrypt(config, envelope)
    except (wechatpay.WechatPayError, ValueError, RecursionError):
        alert("WeChat Pay notification does not decrypt", event_id=envelope.get("id"))
        return NotifyAnswer(400, "resource does not decrypt", "undecryptable")
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
        return NotifyAnswer(400, "unknown out_trade_no", "unknown_order")
    outcome = apply_transaction(
        session, order, resource, source="notification", now=now, config=config
    )
    if outcome == "mismatch":
        return NotifyAnswer(400, "transaction does not match the order", "mismatch")
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
        return NotifyAnswer(400, "unknown out_refund_no", "unknown_refund")
    order = session.get(PaymentOrder, refund.payment_id)
    assert order is not None and order.id is not None
    amount = resource.get("amount") or {}
    problems = mismatches(resource, mchid=config.mchid, out_trade_no=order.out_trade_no)
    if amount.get("refund") != refund.amount_fen:
        problems.append(f"退款金额{amount.get('refund')}分与退款单{refund.amount_fen}分不符")
    if problems:
        reason = "退款通知数据不符：" + "；".join(problems)
        alert("WeChat Pay refund notification does not match", refund_id=refund.id)
        flag(session, order.id, reason=reason, source="notification", now=now)
        return NotifyAnswer(400, "refund does not match", "refund_mismatch")
    report = RefundReport.of(resource)
    apply_refund_status(session, refund, report, source="notification", now=now)
    return NotifyAnswer(204)
