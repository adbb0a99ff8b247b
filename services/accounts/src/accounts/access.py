"""Accounts' access log: every read of a citizen's personal records (their openids and
consents), as they list it at `GET /v1/me/access-log` (servicekit.access_log).

The citizen's own reads are logged by the routes' `ACCESS_LOG.logs(...)` dependency; the
gateway's lookup of a citizen's openids where it is read. Resolving a WeChat identity to a
citizen id (every chat message) shows no records and is not logged.
"""

from __future__ import annotations

from accounts.models import AccessLog
from servicekit.access_log import AccessLogTable

ACCESS_LOG = AccessLogTable(
    AccessLog,
    resources={
        "profile": "我的资料（各公众号 openid 与授权）",
        "consents": "授权记录",
        "openids": "各公众号 openid",
        "follows": "关注的公众号",
    },
)
