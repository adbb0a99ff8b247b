"""`/v1/me/access-log`: every read of the calling citizen's openids and consents, newest first."""

from accounts.access import ACCESS_LOG

router = ACCESS_LOG.router()
