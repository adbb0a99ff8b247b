"""The v3 request bodies checked as WeChat checks them, and its answers and notifications."""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from sandbox.pay.errors import PayError, param_error
from sandbox.pay.model import PAID_STATES, TRADE_STATE_DESC, Order, Refund, wechat_time

OUT_TRADE_NO = re.compile(r"[0-9A-Za-z_\-*]{6,32}")
OUT_REFUND_NO = re.compile(r"[0-9A-Za-z_\-*|@]{1,64}")
MAX_DESCRIPTION = 127
MAX_ATTACH = 128
MAX_NOTIFY_URL = 256
MAX_REASON = 80


def parse_json(body: bytes) -> dict[str, Any]:
    """A JSON object body; 400 PARAM_ERROR for anything else."""
    try:
        value = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise param_error("请求体不是合法的JSON") from exc
    if not isinstance(value, dict):
        raise param_error("请求体应为JSON对象")
    return value


def _string(body: dict[str, Any], name: str, *, path: str | None = None) -> str:
    value = body.get(name)
    field = path or f"/{name}"
    if value is None or value == "":
        raise param_error(f"缺少参数{field.strip('/')}", field)
    if not isinstance(value, str):
        raise param_error(f"参数{field.strip('/')}应为字符串", field, value)
    return value


def _optional_string(body: dict[str, Any], name: str) -> str | None:
    value = body.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise param_error(f"参数{name}应为字符串", f"/{name}", value)
    return value


def check_notify_url(url: str, field: str, *, allow_http: bool) -> str:
    """An absolute https URL without a query string (http too when allowed)."""
    parts = urlsplit(url)
    schemes = ("https", "http") if allow_http else ("https",)
    if len(url) > MAX_NOTIFY_URL or parts.scheme not in schemes or not parts.netloc:
        raise param_error("通知地址须为https开头的外网可访问地址", field, url)
    if parts.query or parts.fragment:
        raise param_error("通知地址不允许携带查询串", field, url)
    return url


def parse_time(value: str, field: str) -> float:
    """An RFC 3339 time with an offset (`2018-06-08T10:34:56+08:00`) as epoch seconds."""
    try:
        at = datetime.fromisoformat(value)
    except ValueError as exc:
        raise param_error("时间格式应为yyyy-MM-DDTHH:mm:ss+TIMEZONE", field, value) from exc
    if at.tzinfo is None:
        raise param_error("时间格式应为yyyy-MM-DDTHH:mm:ss+TIMEZONE", field, value)
    return at.timestamp()


def _amount(body: dict[str, Any], name: str, field: str) -> int:
    amount = body.get("amount")
    if not isinstance(amount, dict):
        raise param_error("缺少参数amount", "/amount")
    value = amount.get(name)
    if value is None:
        raise param_error(f"缺少参数amount.{name}", field)
    if isinstance(value, bool) or not isinstance(value, int):
        raise param_error(f"参数amount.{name}应为整数（单位：分）", field, value)
    if value <= 0:
        raise param_error(f"参数amount.{name}应大于0", field, value)
    return value


def _currency(body: dict[str, Any]) -> str:
    currency = body["amount"].get("currency", "CNY")
    if currency != "CNY":
        raise param_error("境内商户仅支持人民币CNY", "/amount/currency", currency)
    return "CNY"


def check_jsapi(
    body: dict[str, Any], *, appid: str, mchid: str, allow_http: bool, now: float
) -> dict[str, Any]:
    """The fields of a valid JSAPI order request (`POST /v3/pay/transactions/jsapi`)."""
    body_appid = _string(body, "appid")
    body_mchid = _string(body, "mchid")
    if body_mchid != mchid:
        raise PayError(400, "MCH_NOT_EXISTS", "商户号不存在")
    if body_appid != appid:
        raise PayError(400, "APPID_MCHID_NOT_MATCH", "appid和mch_id不匹配")
    description = _string(body, "description")
    if len(description) > MAX_DESCRIPTION:
        raise param_error(f"商品描述不能超过{MAX_DESCRIPTION}个字符", "/description", description)
    out_trade_no = _string(body, "out_trade_no")
    if not OUT_TRADE_NO.fullmatch(out_trade_no):
        raise param_error(
            "商户订单号须为6-32个字符，只能是数字、大小写字母_-*", "/out_trade_no", out_trade_no
        )
    notify_url = check_notify_url(_string(body, "notify_url"), "/notify_url", allow_http=allow_http)
    total = _amount(body, "total", "/amount/total")
    currency = _currency(body)
    payer = body.get("payer")
    openid = payer.get("openid") if isinstance(payer, dict) else None
    if not isinstance(openid, str) or not openid:
        raise param_error("JSAPI下单须提供payer.openid", "/payer/openid")
    attach = _optional_string(body, "attach")
    if attach is not None and len(attach) > MAX_ATTACH:
        raise param_error(f"附加数据不能超过{MAX_ATTACH}个字符", "/attach", attach)
    time_expire: float | None = None
    raw_expire = _optional_string(body, "time_expire")
    if raw_expire is not None:
        time_expire = parse_time(raw_expire, "/time_expire")
        if time_expire <= now:
            raise param_error("订单失效时间须晚于当前时间", "/time_expire", raw_expire)
    return {
        "appid": body_appid,
        "mchid": body_mchid,
        "description": description,
        "out_trade_no": out_trade_no,
        "notify_url": notify_url,
        "total": total,
        "currency": currency,
        "openid": openid,
        "attach": attach,
        "time_expire": time_expire,
    }


def check_refund(body: dict[str, Any], *, allow_http: bool) -> dict[str, Any]:
    """The fields of a valid refund request (`POST /v3/refund/domestic/refunds`)."""
    transaction_id = _optional_string(body, "transaction_id")
    out_trade_no = _optional_string(body, "out_trade_no")
    if not transaction_id and not out_trade_no:
        raise param_error("transaction_id和out_trade_no须二选一", "/out_trade_no")
    out_refund_no = _string(body, "out_refund_no")
    if not OUT_REFUND_NO.fullmatch(out_refund_no):
        raise param_error(
            "商户退款单号须为1-64个字符，只能是数字、大小写字母_-|*@",
            "/out_refund_no",
            out_refund_no,
        )
    reason = _optional_string(body, "reason")
    if reason is not None and len(reason) > MAX_REASON:
        raise param_error(f"退款原因不能超过{MAX_REASON}个字符", "/reason", reason)
    notify_url = _optional_string(body, "notify_url")
    if notify_url:
        check_notify_url(notify_url, "/notify_url", allow_http=allow_http)
    refund = _amount(body, "refund", "/amount/refund")
    total = _amount(body, "total", "/amount/total")
    currency = _currency(body)
    return {
        "transaction_id": transaction_id or None,
        "out_trade_no": out_trade_no or None,
        "out_refund_no": out_refund_no,
        "reason": reason,
        "notify_url": notify_url or None,
        "refund": refund,
        "total": total,
        "currency": currency,
    }


def transaction(order: Order) -> dict[str, Any]:
    """An order as the query answers it and a TRANSACTION.SUCCESS notification carries it."""
    result: dict[str, Any] = {
        "appid": order.appid,
        "mchid": order.mchid,
        "out_trade_no": order.out_trade_no,
    }
    paid = order.trade_state in PAID_STATES
    if order.transaction_id:
        result["transaction_id"] = order.transaction_id
    result["trade_type"] = "JSAPI"
    result["trade_state"] = order.trade_state
    result["trade_state_desc"] = TRADE_STATE_DESC[order.trade_state]
    if paid:
        result["bank_type"] = "OTHERS"
    if order.attach is not None:
        result["attach"] = order.attach
    if order.success_time is not None:
        result["success_time"] = wechat_time(order.success_time)
    result["payer"] = {"openid": order.openid}
    amount: dict[str, Any] = {"total": order.total}
    if paid:
        amount["payer_total"] = order.total
    amount["currency"] = order.currency
    amount["payer_currency"] = order.currency
    result["amount"] = amount
    return result


def refund_resource(refund: Refund) -> dict[str, Any]:
    """A refund as the refund API answers it."""
    result: dict[str, Any] = {
        "refund_id": refund.refund_id,
        "out_refund_no": refund.out_refund_no,
        "transaction_id": refund.transaction_id,
        "out_trade_no": refund.out_trade_no,
        "channel": "ORIGINAL",
        "user_received_account": "支付用户零钱",
        "create_time": wechat_time(refund.created_at),
        "status": refund.status,
        "funds_account": "AVAILABLE",
        "amount": {
            "total": refund.total,
            "refund": refund.refund,
            "payer_total": refund.total,
            "payer_refund": refund.refund,
            "settlement_refund": refund.refund,
            "settlement_total": refund.total,
            "discount_refund": 0,
            "currency": refund.currency,
            "refund_fee": 0,
        },
    }
    if refund.success_time is not None:
        result["success_time"] = wechat_time(refund.success_time)
    if refund.reason:
        result["reason"] = refund.reason
    return result


def refund_notification(refund: Refund, mchid: str) -> dict[str, Any]:
    """The plaintext of a REFUND.SUCCESS notification."""
    return {
        "mchid": mchid,
        "out_trade_no": refund.out_trade_no,
        "transaction_id": refund.transaction_id,
        "out_refund_no": refund.out_refund_no,
        "refund_id": refund.refund_id,
        "refund_status": refund.status,
        "success_time": wechat_time(refund.success_time or refund.created_at),
        "user_received_account": "支付用户零钱",
        "amount": {
            "total": refund.total,
            "refund": refund.refund,
            "payer_total": refund.total,
            "payer_refund": refund.refund,
        },
    }


def dumps(value: Any) -> str:
    """Compact JSON with Chinese as is, as WeChat sends it."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
