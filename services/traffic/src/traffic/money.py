"""Money is integer fen everywhere (DESIGN §5); amounts written in yuan are converted here."""

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
