"""Ranges of local days given as `from`/`to` query parameters: their defaults, order and length."""

from dataclasses import dataclass
from datetime import date, timedelta

from servicekit.clock import today
from servicekit.errors import ValidationFailed


@dataclass(frozen=True)
class DayRange:
    """How one endpoint completes and bounds its from..to range, in that endpoint's own words."""

    default_days: int
    max_days: int
    too_long: str
    # The problem detail and the `from` error message when from is after to.
    reversed: tuple[str, str] = ("起始日期不能晚于截止日期。", "晚于 to")
    error_type: str = "value_error"

    def resolve(self, start: date | None, end: date | None) -> tuple[date, date]:
        """start..end, by default ending today and `default_days` long; 422 when invalid."""
        end = end or today()
        start = start or end - timedelta(days=self.default_days - 1)
        if start > end:
            raise self._invalid(*self.reversed)
        if (end - start).days + 1 > self.max_days:
            raise self._invalid(self.too_long, "范围过长")
        return start, end

    def _invalid(self, detail: str, message: str) -> ValidationFailed:
        error = {"field": "from", "in": "query", "message": message, "type": self.error_type}
        return ValidationFailed(detail, errors=[error])
