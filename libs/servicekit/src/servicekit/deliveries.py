"""Messages a service keeps in a table and sends out later, at least once, by whichever replica
gets to them first: traffic's 缴款成功 notices, inspection's overdue reminders.

A row is due while its own condition holds (not delivered yet) and `next_attempt_at` has come. A
pass first claims its rows with a conditional UPDATE moving `next_attempt_at` a lease ahead and
commits (`claim_due`), so two passes never send one row at once and a pass cut short leaves its
rows due again when the lease ends; after a failure the row is due again after `retry_delay`.
Template messages go through the gateway's internal listener (`TemplateChannel`), which holds
the accounts' credentials; its 4xx answers about the message are final (the same message would be
refused again), anything else may pass on a later try.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TypeVar

import httpx
from sqlalchemy import ColumnElement, update
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel, select

from servicekit.identity import service_token
from servicekit.tracing import propagation_headers

Row = TypeVar("Row", bound=SQLModel)
MAX_ERROR = 300
# 4xx answers that say nothing of the message itself: a token refused (a secret being rotated),
# a timeout, a rate limit. The message may pass later.
PASSING = frozenset({401, 403, 408, 429})


def retry_delay(*, attempts: int, base: float, cap: float) -> timedelta:
    """The wait after `attempts` failures in a row: base·2^(attempts-1) seconds, capped."""
    # Past 2^40 any sensible cap has long been reached; the bound keeps the power finite.
    return timedelta(seconds=min(cap, base * 2 ** min(max(attempts - 1, 0), 40)))


def claim_due(
    engine: Engine,
    table: type[Row],
    *,
    undelivered: ColumnElement[bool],
    now: datetime,
    lease: timedelta,
    limit: int,
) -> list[Row]:
    """The rows of `table` (an `id` and a `next_attempt_at` column) that are `undelivered` and
    due at `now`, at most `limit`, each leased until now + `lease` by this pass (detached)."""
    columns = table.__table__.c  # type: ignore[attr-defined]
    key, next_attempt = columns.id, columns.next_attempt_at
    due = (undelivered, next_attempt <= now)
    with Session(engine, expire_on_commit=False) as session:
        candidates = session.exec(select(table).where(*due).order_by(key).limit(limit)).all()
        taken = [
            row
            for row in candidates
            if session.execute(
                update(table)
                .where(key == row.id, *due)
                .values(next_attempt_at=now + lease)
                .execution_options(synchronize_session=False)
            ).rowcount
            == 1
        ]
        session.commit()
    return taken


@dataclass(frozen=True)
class Posted:
    """The gateway's answer to one template message: None when sent, else why not; `final`
    when trying again cannot help (a 4xx about the message: no such follower, a body refused)."""

    error: str | None
    final: bool = False


@dataclass(frozen=True)
class TemplateChannel:
    """How a service sends one account's template messages: through the gateway's internal
    listener at `gateway_url`, as `caller` (its service token), with `template_id`, each call
    within `timeout` seconds, failures again after `retry_delay(base, cap)`."""

    gateway_url: str
    secret: str
    caller: str
    account: str
    template_id: str
    timeout: float
    backoff_base: float
    backoff_max: float

    def client(self, transport: httpx.BaseTransport | None = None) -> httpx.Client:
        """A client for a pass of sends (`transport` replaces the network in tests)."""
        return httpx.Client(timeout=self.timeout, trust_env=False, transport=transport)

    def lease_for(self, batch: int) -> timedelta:
        """How long a pass holds a claimed batch: one call each within the timeout, and a minute
        more, so no other pass takes a message this one may still be sending."""
        return timedelta(seconds=batch * self.timeout + 60)

    def retry_after(self, attempts: int) -> timedelta:
        """The wait after `attempts` failed sends of one message in a row."""
        return retry_delay(attempts=attempts, base=self.backoff_base, cap=self.backoff_max)

    def post(
        self, client: httpx.Client, *, recipient: dict[str, str], data: dict[str, str]
    ) -> Posted:
        """Send one template message to `recipient` ({"openid": …} or {"citizen_id": …})."""
        token = service_token(secret=self.secret, caller=self.caller, audience="gateway")
        body = {**recipient, "template_id": self.template_id, "data": data}
        try:
            answer = client.post(
                f"{self.gateway_url.rstrip('/')}/internal/wechat/{self.account}/template",
                json=body,
                headers={**propagation_headers(), "Authorization": f"Bearer {token}"},
            )
        except httpx.HTTPError as exc:
            return Posted(f"{type(exc).__name__}: {exc}"[:MAX_ERROR])
        if answer.is_success:
            return Posted(None)
        error = f"HTTP {answer.status_code}: {answer.text[:200]}"[:MAX_ERROR]
        return Posted(error, final=answer.is_client_error and answer.status_code not in PASSING)
