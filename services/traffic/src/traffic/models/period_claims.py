"""The claims of scheduled jobs that run once per period across replicas (servicekit.background)."""

from servicekit.background import PeriodClaimBase
from traffic.models.base import Table


class PeriodClaim(Table, PeriodClaimBase, table=True):
    """The one run of a job (reconciliation) that took a period."""

    __tablename__ = "period_claim"
