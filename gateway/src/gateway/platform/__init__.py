"""Outbound: the WeChat platform API client, with one access-token owner per account (DESIGN §7)."""

from gateway.platform.client import (
    MassSendResult,
    Material,
    NewsMedia,
    OAuthIdentity,
    PlatformClient,
    Upload,
    UserInfo,
    mpnews_message,
    text_message,
)
from gateway.platform.errors import PlatformError, PlatformUnavailable

__all__ = [
    "MassSendResult",
    "Material",
    "NewsMedia",
    "OAuthIdentity",
    "PlatformClient",
    "PlatformError",
    "PlatformUnavailable",
    "Upload",
    "UserInfo",
    "mpnews_message",
    "text_message",
]
