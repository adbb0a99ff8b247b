"""The access log of reads of citizens' personal records (servicekit.access_log)."""

from servicekit.access_log import AttributedAccessLogBase
from traffic.models.base import Table


class AccessLog(Table, AttributedAccessLogBase, table=True):
    """One read of a citizen's personal records: whose, what, when, who read."""

    __tablename__ = "access_log"
