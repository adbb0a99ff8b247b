"""The access log: every read of personal records leaves a row the citizen can list.

Rows (servicekit.access_log) say whose records were read (the citizen_id the gateway vouched
for), what (a resource name and a detail without personal data, such as the period asked for),
when, and under which request id, so a read can be traced through the gateway's and the
service's logs; socialsec also keeps which insured person's record it was.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from servicekit.access_log import CITIZEN_READER, AccessLogTable, Reading
from socialsec.bindings import Bound
from socialsec.models import AccessLog

RESOURCE_TEXT = {
    "bindings": "绑定信息",
    "profile": "参保信息",
    "contributions": "缴费明细",
    "contribution_summary": "缴费汇总",
    "accounts": "个人账户余额",
    "account_entries": "个人账户明细",
    "card": "社保卡及制卡进度",
    "pension_payments": "养老金发放记录",
    "certificate": "参保证明",
    "eligibility": "政策资格",
}
ACCESS_LOG = AccessLogTable(AccessLog, resources=RESOURCE_TEXT)


@dataclass(frozen=True)
class Me:
    """The calling citizen's bound record, and a way to log each read of it."""

    bound: Bound
    citizen_id: str
    request_id: str
    now: datetime

    @property
    def person_id(self) -> int:
        """The bound insured person's id."""
        assert self.bound.person.id is not None
        return self.bound.person.id

    def log_read(self, session: Session, resource: str, detail: str = "") -> None:
        """Record that this request read `resource` of the bound record, committing the row with
        whatever the request changed."""
        reading = Reading(self.citizen_id, CITIZEN_READER, self.request_id, self.now)
        ACCESS_LOG.record(session, reading, resource, detail, person_id=self.person_id)
