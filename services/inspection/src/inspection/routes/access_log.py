"""`GET /v1/me/access-log`: who read the citizen's records here, and when."""

from inspection.access import ACCESS_LOG

router = ACCESS_LOG.router()
