"""Penalty decisions: payment deadline, late surcharge and decision numbers (pure functions).

Late surcharge per 行政处罚法 (2021) Art. 67 and 72, as reference/traffic-and-payment.md states
it: pay within 15 days of the decision; after that 3% of the fine per day, never more than the
fine. All dates are Asia/Shanghai calendar days.
"""

from __future__ import annotations

from datetime import date, timedelta

from traffic.validators import luhn_check_digit

PAYMENT_DAYS = 15
SURCHARGE_PERCENT_PER_DAY = 3
# The agency area code that starts every decision number issued here (Dongguan).
AGENCY_AREA_CODE = "441900"
SERIAL_DIGITS = 7


def due_date(*, decided_on: date) -> date:
    """The last day the fine can be paid without surcharge."""
    return decided_on + timedelta(days=PAYMENT_DAYS)


def overdue_days(*, decided_on: date, on: date) -> int:
    """Days past the payment deadline on day `on` (0 while within it)."""
    return max(0, (on - decided_on).days - PAYMENT_DAYS)


def surcharge_fen(*, fine_fen: int, decided_on: date, on: date) -> int:
    """The late surcharge (加处罚款) on day `on`: 3% of the fine a day overdue, at most the fine."""
    days = overdue_days(decided_on=decided_on, on=on)
    # Integer arithmetic rounds a fraction of a fen down, in the citizen's favour.
    return min(fine_fen, fine_fen * SURCHARGE_PERCENT_PER_DAY * days // 100)


def amount_due_fen(*, fine_fen: int, decided_on: date, on: date) -> int:
    """Fine plus late surcharge owed on day `on`."""
    return fine_fen + surcharge_fen(fine_fen=fine_fen, decided_on=decided_on, on=on)


def decision_number(*, decided_on: date, serial: int) -> str:
    """The 16-digit number of a decision: area code, year, 7-digit serial, Luhn check digit."""
    if not 0 < serial < 10**SERIAL_DIGITS:
        raise ValueError(f"serial out of range: {serial}")
    body = f"{AGENCY_AREA_CODE}{decided_on.year % 100:02d}{serial:0{SERIAL_DIGITS}d}"
    return body + luhn_check_digit(digits=body)
