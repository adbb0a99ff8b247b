"""Money is integer fen everywhere (DESIGN §5); amounts are read and written in yuan only here."""

from decimal import Decimal, InvalidOperation


def yuan_to_fen(amount: str) -> int:
    """Convert a non-negative decimal yuan amount such as "200" or "0.05" to integer fen."""
    try:
        yuan = Decimal(amount.strip())
    except InvalidOperation:
        raise ValueError(f"not a yuan amount: {amount!r}") from None
    if not yuan.is_finite() or yuan < 0:
        raise ValueError(f"not a non-negative yuan amount: {amount!r}")
    fen = yuan * 100
    # Rounding would silently change a fine, so an amount finer than one fen is refused.
    if fen != fen.to_integral_value():
        raise ValueError(f"finer than one fen: {amount!r}")
    return int(fen)


def yuan(fen: int, *, grouped: bool = True) -> str:
    """Fen as yuan with two decimals: 1234567 -> "12,345.67" ("12345.67" when not `grouped`,
    as WeChat Pay writes amounts in its bills)."""
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(fen), 100)
    return f"{sign}{whole:,}.{cents:02d}" if grouped else f"{sign}{whole}.{cents:02d}"


def yuan_text(fen: int) -> str:
    """Fen as a chat answer writes it: "200元", "200.50元", "0.05元", "-12.30元"."""
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(fen), 100)
    return f"{sign}{whole}元" if cents == 0 else f"{sign}{whole}.{cents:02d}元"
