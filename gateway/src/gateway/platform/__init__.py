"""Outbound: the WeChat platform API client, with one access-token owner per account (DESIGN §7)."""

from gateway.platform.client import MassSendResult, OAuthIdentity, PlatformClient, text_message
from gateway.platform.errors import PlatformError, PlatformUnavailable

__all__ = [
    "MassSendResult",
    "OAuthIdentity",
    "PlatformClient",
    "PlatformError",
    "PlatformUnavailable",
    "text_message",
]
