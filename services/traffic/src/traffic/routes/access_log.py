"""`/v1/me/access-log`: every read of the calling citizen's traffic records, newest first."""

from traffic.access import ACCESS_LOG

router = ACCESS_LOG.router()
