"""Inspection's access log: every read of what it holds on a citizen (the units they are a
contact of, the applications they follow), as they list it at `GET /v1/me/access-log`
(servicekit.access_log). Routes log with `ACCESS_LOG.logs(...)`, chat with `ACCESS_LOG.answered`.
"""

from __future__ import annotations

from inspection.models import AccessLog
from servicekit.access_log import AccessLogTable

ACCESS_LOG = AccessLogTable(
    AccessLog,
    resources={
        "units": "单位联系人绑定",
        "unit_equipment": "单位在册设备",
        "applications": "报检申请",
        "report": "检验报告",
    },
)
