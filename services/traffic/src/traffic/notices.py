"""缴款成功: the template message a payer gets in the chat when their payment succeeds.

The notice is written in the transaction that marks the order paid (`record_payment_notice`, from
`payments.transactions.apply_success`, whether a notification or reconciliation found it paid),
so a committed payment always has its notice. A loop in the service (`NoticeSender`, every
`TRAFFIC_PAYMENT_NOTICE_EVERY_SECONDS`) posts due notices to the gateway's internal listener,
`POST {TRAFFIC_GATEWAY_URL}/internal/wechat/{account}/template` with a service token, and the
gateway sends them through the platform's template API to the payer's openid (the order's, with
东莞交警: the one who paid is the one told). Traffic writes the words; the gateway only sends.

Only a 2xx answer delivers a notice; any other outcome records the error and makes it due again
after base·2^(n-1) seconds (capped), with an alert log. A pass first claims its notices
(servicekit.deliveries: leased with a conditional UPDATE, committed), so replicas never send one
notice at once; a pass cut short leaves its notices due again when the lease ends. Delivery is at
least once: a gateway answer lost after the send means a second message.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx
from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col

from servicekit.clock import local, utcnow
from servicekit.deliveries import TemplateChannel, claim_due
from servicekit.money import yuan_text
from traffic.models import PaymentNotice, PaymentOrder
from traffic.settings import TrafficSettings

log = logging.getLogger(__name__)

# Payments are made to 东莞交警, with the payer's openid there.
ACCOUNT = "dgjj"
BATCH = 50


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


@dataclass(frozen=True)
class NoticePass:
    """What one pass did: notices the gateway acknowledged, and notices due again later."""

    delivered: int = 0
    failed: int = 0


@dataclass(frozen=True)
class NoticeSender:
    """Posts due notices to the gateway; every method blocks (the app runs it in a thread)."""

    engine: Engine
    channel: TemplateChannel

    @classmethod
    def from_settings(cls, settings: TrafficSettings, engine: Engine) -> NoticeSender:
        """The sender the traffic settings describe."""
        channel = TemplateChannel(
            gateway_url=settings.gateway_url,
            secret=settings.shared.internal_token_secret,
            caller="traffic",
            account=ACCOUNT,
            template_id=settings.payment_template_id,
            timeout=settings.payment_notice_timeout_seconds,
            backoff_base=settings.payment_notice_backoff_base_seconds,
            backoff_max=settings.payment_notice_backoff_max_seconds,
        )
        return cls(engine, channel)

    def deliver_due(self, *, now: datetime | None = None) -> NoticePass:
        """One pass over the notices due at `now`: how many the gateway acknowledged, and not."""
        now = now or utcnow()
        claimed = self._claim(now)
        delivered = 0
        with self.channel.client() as client:
            for notice in claimed:
                error = self._post(client, notice)
                self._settle(notice, error=error, now=now)
                delivered += error is None
        return NoticePass(delivered, len(claimed) - delivered)

    def _claim(self, now: datetime) -> list[PaymentNotice]:
        """The due notices this pass took the lease on (detached copies)."""
        undelivered = col(PaymentNotice.delivered_at).is_(None)
        lease = self.channel.lease_for(BATCH)
        return claim_due(
            self.engine, PaymentNotice, undelivered=undelivered, now=now, lease=lease, limit=BATCH
        )

    def _post(self, client: httpx.Client, notice: PaymentNotice) -> str | None:
        """Send one notice through the gateway; None when it answered 2xx, else the error."""
        data = template_data(
            amount_fen=notice.amount_fen,
            decision_number=notice.decision_number,
            paid_at=notice.paid_at,
        )
        return self.channel.post(client, recipient={"openid": notice.openid}, data=data).error

    def _settle(self, notice: PaymentNotice, *, error: str | None, now: datetime) -> None:
        """Record the outcome of one attempt: delivered, or due again after the backoff."""
        attempts = notice.attempts + 1
        values: dict[str, Any] = {"attempts": attempts, "last_error": error}
        if error is None:
            values["delivered_at"] = utcnow()
        else:
            delay = self.channel.retry_after(attempts)
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
