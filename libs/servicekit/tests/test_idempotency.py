"""The request hash stored with an Idempotency-Key: equal for a retry, different for another
request, whatever the field order, dates included."""

from datetime import date

from pydantic import BaseModel

from servicekit.idempotency import request_hash


class Body(BaseModel):
    code: str
    day: date | None = None
    note: str = ""


def test_a_retry_hashes_alike_and_another_request_does_not() -> None:
    first = request_hash(body=Body(code="A", day=date(2026, 6, 25)))
    assert first == request_hash(body=Body(day=date(2026, 6, 25), code="A"))
    assert len(first) == 64
    assert first != request_hash(body=Body(code="A", day=date(2026, 6, 26)))
    assert first != request_hash(body=Body(code="A", day=date(2026, 6, 25), note="备注"))
