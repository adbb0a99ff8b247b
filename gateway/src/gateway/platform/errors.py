"""Errors of the WeChat platform API as the gateway sees them."""

from __future__ import annotations

from typing import Any

# The token was refused: not the latest (another fetch replaced it), malformed, or expired.
TOKEN_REJECTED = frozenset({40001, 40014, 42001})
SYSTEM_BUSY = -1


class PlatformError(Exception):
    """The platform refused a call: WeChat's `errcode` and `errmsg`, and the whole answer."""

    def __init__(self, errcode: int, errmsg: str, body: dict[str, Any] | None = None) -> None:
        super().__init__(f"WeChat errcode {errcode}: {errmsg}")
        self.errcode = errcode
        self.errmsg = errmsg
        self.body = body or {}

    @property
    def token_rejected(self) -> bool:
        """True when the access token itself was refused (worth one refetch and retry)."""
        return self.errcode in TOKEN_REJECTED


class PlatformUnavailable(PlatformError):
    """The platform (or the shared token cache) could not be reached or answered nonsense."""

    def __init__(self, errmsg: str) -> None:
        super().__init__(SYSTEM_BUSY, errmsg)
