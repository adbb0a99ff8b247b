"""Authenticity of a callback: the SHA-1 signature over the account token and replay protection."""

from __future__ import annotations

import hmac

from wechat.crypto import sign


def verify_signature(token: str, timestamp: str, nonce: str, signature: str) -> bool:
    """True when `signature` signs (token, timestamp, nonce); compared in constant time."""
    # Bytes, because compare_digest refuses non-ASCII str and the query value is attacker-chosen.
    return hmac.compare_digest(sign(token, timestamp, nonce).encode(), signature.encode())


def timestamp_is_fresh(timestamp: str, *, now: float, window_seconds: int) -> bool:
    """True when `timestamp` (Unix seconds) is within `window_seconds` of `now`, either way."""
    # WeChat's SDKs never check freshness; without this a captured callback replays forever.
    try:
        sent = int(timestamp)
    except ValueError:
        return False
    return abs(now - sent) <= window_seconds
