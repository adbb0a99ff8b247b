"""Staff API keys (`X-Api-Key`, GATEWAY_STAFF_KEYS) turned into internal staff tokens.

Keys are held only as SHA-256 digests and the staff id derives from the digest, so neither
logs nor tokens ever carry a key.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from servicekit.identity import issue_token


@dataclass(frozen=True)
class Staff:
    """Who an API key belongs to."""

    subject: str
    roles: tuple[str, ...]


class StaffKeys:
    """Look up the staff member behind an API key."""

    def __init__(self, keys: dict[str, list[str]]) -> None:
        self._by_digest = {
            _digest(key): Staff(subject=f"staff-{_digest(key)[:12]}", roles=tuple(sorted(roles)))
            for key, roles in keys.items()
        }

    def identify(self, api_key: str) -> Staff | None:
        """The staff member holding `api_key`, or None for an unknown key."""
        return self._by_digest.get(_digest(api_key))


def staff_authorization(*, staff: Staff, secret: str, service: str) -> str:
    """The `Authorization` header value the gateway sends upstream for a staff call."""
    token = issue_token(
        secret=secret,
        audience=service,
        subject=staff.subject,
        roles=list(staff.roles),
        kind="staff",
    )
    return f"Bearer {token}"


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()
