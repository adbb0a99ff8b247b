"""Schemathesis hooks of `make fuzz` (loaded through SCHEMATHESIS_HOOKS): sign every request in.

Each request gets a token of its own, for the citizen FUZZ_CITIZEN signed with FUZZ_SECRET:
a gateway bearer token when FUZZ_TARGET is the gateway (a generated `POST /auth/signout` then
revokes only that one), else an internal citizen token for that service (they live 60 s).
"""

from __future__ import annotations

import os
from typing import Any

import schemathesis

from gateway.auth.tokens import issue_public_token, token_key
from servicekit.identity import issue_token

# The account a gateway bearer token says the citizen signed in through.
SIGN_IN_ACCOUNT = "dgjj"


@schemathesis.auth(refresh_interval=None)
class CitizenToken:
    """The signed-in citizen's token on every generated request."""

    def get(self, case: Any, context: Any) -> str:
        """A fresh token for the target of this run."""
        secret, target = os.environ["FUZZ_SECRET"], os.environ["FUZZ_TARGET"]
        citizen_id = os.environ["FUZZ_CITIZEN"]
        if target == "gateway":
            return issue_public_token(
                key=token_key(internal_secret=secret),
                citizen_id=citizen_id,
                account=SIGN_IN_ACCOUNT,
                ttl_seconds=600,
            )
        return issue_token(secret=secret, audience=target, subject=citizen_id)

    def set(self, case: Any, data: str, context: Any) -> None:
        """Put it in the Authorization header."""
        case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}"}
