"""缴款成功: the template message a payer gets in the chat when their payment succeeds.

The notice is written in the transaction that marks the order paid (`record_payment_notice`, from
`payments.transactions.apply_success`, whether a notification or reconciliation found it paid),
so a committed payment always has its notice. A loop in the service (`NoticeSender`, every
`TRAFFIC_PAYMENT_NOTICE_EVERY_SECONDS`) posts due notices to the gateway's internal listener,
`POST {TRAFFIC_GATEWAY_URL}/internal/wechat/{account}/template` with a service token, and the
gateway sends them through the platform's template API to the payer's openid (the order's, with
东莞交警: the one who paid is the one told). Traffic writes the words; the gateway only sends.

Only a 2xx answer delivers a notice; any other outcome records the error and makes it due again
after base·2^(n-1) seconds (capped), with an alert log. A pass first claims its notices with a
conditional UPDATE that moves them a lease ahead, and commits, so replicas never send one notice
at once; a pass cut short leaves its notices due again when the lease ends. Delivery is at least
once: a gateway answer lost after the send means a second message.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from servicekit.clock import local, utcnow
from servicekit.identity import service_token
from servicekit.money import yuan_text
from traffic.models import PaymentNotice, PaymentOrder
from traffic.settings import TrafficSettings

log = logging.getLogger(__name__)

# Payments are made to 东莞交警, with the payer's openid there.
ACCOUNT = "dgjj"
# Longer than one pass holds a notice (one gateway call each, within its timeout).
LEASE = timedelta(minutes=2)
BATCH = 50
MAX_ERROR = 300


def record_payment_notice(
    session: Session, *, order: PaymentOrder, paid_at: datetime, now: datetime
) -> None:
    """Add the 缴款成功 notice of a newly paid `order` (the caller commits it with the payment)."""
    assert order.id is not None
    session.add(
        PaymentNotice(
            payment_id=order.id,
            account=ACCOUNT,
            openid=order.payer_openid,
            decision_number=order.decision_number,
            amount_fen=order.amount_fen,
            paid_at=paid_at,
            created_at=now,
            next_attempt_at=now,
        )
    )


def template_data(*, amount_fen: int, decision_number: str, paid_at: datetime) -> dict[str, str]:
    """The template's fields: the heading, amount in yuan, decision, Beijing time, a remark."""
    return {
        "first": "缴款成功",
        "amount": yuan_text(amount_fen),
        "decision": decision_number,
        "time": f"{local(paid_at):%Y-%m-%d %H:%M}",
        "remark": "您的交通违法罚款已缴纳，电子缴款凭证可在东莞交警应用的缴款记录中查看。",
    }


def retry_delay(*, attempts: int, base: float, cap: float) -> timedelta:
    """The wait after `attempts` failures in a row: base·2^(attempts-1) seconds, capped."""
    # Past 2^40 any sensible cap has long been reached; the bound keeps the power finite.
    return timedelta(seconds=min(cap, base * 2 ** min(max(attempts - 1, 0), 40)))


@dataclass(frozen=True)
class NoticeSender:
    """Posts due notices to the gateway; every method blocks (the app runs it in a thread)."""

    engine: Engine
    gateway_url: str
    secret: str
    template_id: str
    timeout: float
    backoff_base: float
    backoff_max: float

    @classmethod
    def from_settings(cls, settings: TrafficSettings, engine: Engine) -> NoticeSender:
        """The sender the traffic settings describe."""
        return cls(
            engine=engine,
            gateway_url=settings.gateway_url.rstrip("/"),
            secret=settings.shared.internal_token_secret,
            template_id=settings.payment_template_id,
            timeout=settings.payment_notice_timeout_seconds,
            backoff_base=settings.payment_notice_backoff_base_seconds,
            backoff_max=settings.payment_notice_backoff_max_seconds,
        )

    def deliver_due(self, *, now: datetime | None = None) -> int:
        """One pass over the notices due at `now`; how many the gateway acknowledged."""
        now = now or utcnow()
        claimed = self._claim(now)
        delivered = 0
        with httpx.Client(timeout=self.timeout, trust_env=False) as client:
            for notice in claimed:
                error = self._post(client, notice)
                self._settle(notice, error=error, now=now)
                delivered += error is None
        return delivered

    def _claim(self, now: datetime) -> list[PaymentNotice]:
        """The due notices this pass took the lease on (detached copies)."""
        due = (col(PaymentNotice.delivered_at).is_(None), col(PaymentNotice.next_attempt_at) <= now)
        with Session(self.engine, expire_on_commit=False) as session:
            candidates = session.exec(
                select(PaymentNotice).where(*due).order_by(col(PaymentNotice.id)).limit(BATCH)
            ).all()
            taken = [
                notice
                for notice in candidates
                if session.execute(
                    update(PaymentNotice)
                    .where(col(PaymentNotice.id) == notice.id, *due)
                    .values(next_attempt_at=now + LEASE)
                    .execution_options(synchronize_session=False)
                ).rowcount
                == 1
            ]
            session.commit()
        return taken

    def _post(self, client: httpx.Client, notice: PaymentNotice) -> str | None:
        """Send one notice through the gateway; None when it answered 2xx, else the error."""
        token = service_token(secret=self.secret, caller="traffic", audience="gateway")
        body: dict[str, Any] = {
            "openid": notice.openid,
            "template_id": self.template_id,
            "data": template_data(
                amount_fen=notice.amount_fen,
                decision_number=notice.decision_number,
                paid_at=notice.paid_at,
            ),
        }
        try:
            answer = client.post(
                f"{self.gateway_url}/internal/wechat/{notice.account}/template",
                json=body,
                headers={"Authorization": f"Bearer {token}"},
            )
        except httpx.HTTPError as exc:
            return f"{type(exc).__name__}: {exc}"[:MAX_ERROR]
        if answer.is_success:
            return None
        return f"HTTP {answer.status_code}: {answer.text[:200]}"[:MAX_ERROR]

    def _settle(self, notice: PaymentNotice, *, error: str | None, now: datetime) -> None:
        """Record the outcome of one attempt: delivered, or due again after the backoff."""
        attempts = notice.attempts + 1
        values: dict[str, Any] = {"attempts": attempts, "last_error": error}
        if error is None:
            values["delivered_at"] = utcnow()
        else:
            delay = retry_delay(attempts=attempts, base=self.backoff_base, cap=self.backoff_max)
            values["next_attempt_at"] = now + delay
            # No openid or amount in the log: the row keeps them.
            log.error(
                "payment notice not delivered; will retry",
                extra={
                    "alert": "payment_notice",
                    "notice_id": notice.id,
                    "attempts": attempts,
                    "retry_in_seconds": delay.total_seconds(),
                    "reason": error.partition(":")[0],
                },
            )
        with Session(self.engine) as session:
            session.execute(
                update(PaymentNotice).where(col(PaymentNotice.id) == notice.id).values(**values)
            )
            session.commit()
