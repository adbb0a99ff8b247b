"""The service's shape: routes hold no queries, modules stay readable, status columns are typed."""

import re
import typing
from pathlib import Path

import pytest

import traffic
from traffic.models import (
    Appointment,
    AppointmentStatus,
    PaymentEvent,
    PaymentOrder,
    PaymentRefund,
    PaymentStatus,
    RefundStatus,
)

SOURCE = Path(traffic.__file__).parent
# Tables of reference data may run long; code may not.
DATA_TABLES = {"catalogue.py", "population.py"}


def test_routes_run_no_queries() -> None:
    """A route calls a domain function: selects and session reads live in the domain modules."""
    found = [
        f"{path.name}:{number}"
        for path in sorted((SOURCE / "routes").glob("*.py"))
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if re.search(r"\bselect\(|session\.(exec|get|execute)\(", line)
    ]
    assert found == []


def test_no_module_passes_500_lines() -> None:
    long = {
        str(path.relative_to(SOURCE)): lines
        for path in SOURCE.rglob("*.py")
        if path.name not in DATA_TABLES and "migrations" not in path.parts
        if (lines := len(path.read_text().splitlines())) > 500
    }
    assert long == {}


def test_no_type_ignores() -> None:
    ignored = [
        str(path.relative_to(SOURCE))
        for path in SOURCE.rglob("*.py")
        if "type: ignore" in path.read_text()
    ]
    assert ignored == []


@pytest.mark.parametrize(
    ("model", "field", "kind"),
    [
        (PaymentOrder, "status", PaymentStatus),
        (PaymentEvent, "status", PaymentStatus),
        (PaymentRefund, "status", RefundStatus),
        (Appointment, "status", AppointmentStatus),
    ],
)
def test_status_columns_carry_their_literal_type(model: type, field: str, kind: object) -> None:
    assert model.model_fields[field].annotation == kind
    assert typing.get_args(kind)
