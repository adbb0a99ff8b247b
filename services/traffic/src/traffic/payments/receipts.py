"""Electronic receipts (电子缴款凭证) of successful fine payments: JSON and a PDF in Chinese.

The payer is masked (the party's surname, the WeChat openid's ends). The PDF draws with a CJK
font subset (`servicekit.pdf`): with no font that draws every character, the receipt answers a
clear 503 rather than a PDF of empty boxes.
"""

from __future__ import annotations

from sqlmodel import Session

from servicekit.clock import local, local_day
from servicekit.errors import Conflict
from servicekit.money import yuan
from servicekit.pdf import table_pdf
from traffic.models import (
    DriverLicence,
    PaymentOrder,
    PenaltyDecision,
    ReceiptPublic,
    Vehicle,
    Violation,
    ViolationCode,
)
from traffic.views import mask_name

TITLE = "东莞市公安局交通警察支队 交通违法罚款电子缴款凭证"
PAYEE = "东莞市公安局交通警察支队"


def mask_openid(openid: str) -> str:
    """An openid with only its first three and last four characters shown."""
    if len(openid) <= 8:
        return "*" * len(openid)
    return f"{openid[:3]}{'*' * (len(openid) - 7)}{openid[-4:]}"


def receipt_of(session: Session, order: PaymentOrder) -> ReceiptPublic:
    """The receipt of a successful payment; 409 for any other."""
    if order.status != "success" or order.paid_at is None or order.transaction_id is None:
        raise Conflict("该订单尚未支付成功，暂无缴款凭证。")
    assert order.id is not None
    decision = session.get(PenaltyDecision, order.decision_number)
    assert decision is not None
    violation = session.get(Violation, decision.violation_id)
    licence = session.get(DriverLicence, decision.licence_id)
    assert violation is not None and licence is not None
    vehicle = session.get(Vehicle, violation.vehicle_id)
    code = session.get(ViolationCode, violation.code)
    assert vehicle is not None and code is not None
    return ReceiptPublic(
        receipt_number=f"JJ{local_day(order.paid_at):%Y%m%d}{order.id:08d}",
        payee=PAYEE,
        payer=mask_name(licence.holder_name),
        payer_openid=mask_openid(order.payer_openid),
        decision_number=decision.number,
        plate=vehicle.plate,
        violation_code=violation.code,
        violation=code.description,
        occurred_at=local(violation.occurred_at),
        place=violation.place,
        fine_fen=order.fine_fen,
        surcharge_fen=order.surcharge_fen,
        amount_fen=order.amount_fen,
        fine_yuan=yuan(order.fine_fen),
        surcharge_yuan=yuan(order.surcharge_fen),
        amount_yuan=yuan(order.amount_fen),
        out_trade_no=order.out_trade_no,
        transaction_id=order.transaction_id,
        paid_at=local(order.paid_at),
        refunded_fen=order.refunded_fen,
    )


def receipt_lines(receipt: ReceiptPublic) -> list[tuple[str, str]]:
    """The receipt's rows: label, value."""
    rows = [
        ("凭证号", receipt.receipt_number),
        ("收款单位", receipt.payee),
        ("当事人", receipt.payer),
        ("付款微信用户", receipt.payer_openid),
        ("决定书编号", receipt.decision_number),
        ("号牌号码", receipt.plate),
        ("违法行为", f"{receipt.violation_code} {receipt.violation}"),
        ("违法时间", f"{receipt.occurred_at:%Y-%m-%d %H:%M}"),
        ("违法地点", receipt.place),
        ("罚款金额", f"{receipt.fine_yuan} 元"),
        ("加处罚款", f"{receipt.surcharge_yuan} 元"),
        ("实缴金额", f"{receipt.amount_yuan} 元"),
        ("商户订单号", receipt.out_trade_no),
        ("微信支付订单号", receipt.transaction_id),
        ("缴款时间", f"{receipt.paid_at:%Y-%m-%d %H:%M:%S}（北京时间）"),
    ]
    if receipt.refunded_fen:
        rows.append(("已退款", f"{yuan(receipt.refunded_fen)} 元"))
    return rows


FOOTER = "本凭证由东莞交警微信缴款系统出具，个人信息已脱敏显示。"


def render_pdf(receipt: ReceiptPublic) -> bytes:
    """The receipt as a one-page A4 PDF with an embedded CJK font subset."""
    return table_pdf(
        title="交通违法罚款电子缴款凭证",
        heading=TITLE,
        rows=receipt_lines(receipt),
        footer=[FOOTER],
        creator="guanwei traffic",
        what="缴款凭证",
    )


def receipt_pdf(session: Session, order: PaymentOrder) -> tuple[str, bytes]:
    """The receipt's file name and PDF; 409 for an order not paid."""
    receipt = receipt_of(session, order)
    return f"receipt-{receipt.receipt_number}.pdf", render_pdf(receipt)
