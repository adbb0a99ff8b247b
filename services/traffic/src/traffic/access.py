"""Traffic's access log: every read of a citizen's personal records, as they list it at
`GET /v1/me/access-log` (servicekit.access_log).

Their own reads in the app are logged by the routes' `ACCESS_LOG.logs(...)` dependency, chat
answers that show their records by `ACCESS_LOG.answered`, and reads of a payment order (by the
citizen or a traffic officer) where the order is read.
"""

from __future__ import annotations

from servicekit.access_log import AccessLogTable
from traffic.models import AccessLog

ACCESS_LOG = AccessLogTable(
    AccessLog,
    resources={
        "violations": "交通违法记录",
        "licence": "驾驶证记分",
        "review_study": "审验学习",
        "bindings": "绑定的机动车和驾驶证",
        "payments": "缴款订单",
        "appointments": "业务预约",
    },
)
