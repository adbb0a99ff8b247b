"""Identifier validation at the HTTP edge: a validator's Chinese message becomes a 422 problem."""

from collections.abc import Callable
from typing import TypeVar

from servicekit.errors import ValidationFailed
from traffic.validators import InvalidIdentifier

T = TypeVar("T")


def valid(field: str, location: str, check: Callable[[], T]) -> T:
    """Run `check`; an InvalidIdentifier becomes a 422 naming `field` (in `location`)."""
    try:
        return check()
    except InvalidIdentifier as exc:
        message = str(exc)
        raise ValidationFailed(
            message,
            errors=[
                {"field": field, "in": location, "message": message, "type": "invalid_identifier"}
            ],
        ) from None
