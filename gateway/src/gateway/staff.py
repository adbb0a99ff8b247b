"""Staff API keys (`X-Api-Key`, GATEWAY_STAFF_KEYS) turned into internal staff tokens.

Keys are held only as SHA-256 digests and the staff id derives from the digest, so neither
logs nor tokens ever carry a key.

Roles are the plain ones (`gateway.settings.STAFF_ROLES`) and the scoped `editor:<account code>`
(DESIGN §4), one per account the key may write articles for; the token carries them as they are
and the owning service (accounts) decides what each scope allows.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass

from servicekit.identity import issue_token

# `editor:<code>`: writes and pushes the articles of one account (an account code as the
# registry spells them).
EDITOR_ROLE = re.compile(r"editor:[a-z0-9_]{1,32}")


def unknown_roles(roles: Iterable[str], known: Iterable[str]) -> list[str]:
    """The roles of `roles` that are neither one of `known` nor `editor:<account code>`."""
    plain = frozenset(known)
    return sorted(r for r in roles if r not in plain and not EDITOR_ROLE.fullmatch(r))


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
