"""The payments' Prometheus metrics: transitions as committed, notifications refused, notices,
and scheduled reconciliations.

A transition is counted when the transaction that made it commits, whichever code path made it
(a notification, reconciliation, a citizen's order, an officer): `transition` notes it on its
session, and the commit hands the notes to the metrics of the app owning the session's engine.
A rolled-back transaction counts nothing.
"""

from __future__ import annotations

from typing import Literal
from weakref import WeakKeyDictionary

from prometheus_client import CollectorRegistry, Counter
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session
from starlette.applications import Starlette

from servicekit.metrics import register_metrics
from servicekit.state import engine_of

# Why a notification was refused (each answered 4xx, see notifications.py).
RefusalReason = Literal[
    "bad_signature",
    "stale_timestamp",
    "not_json",
    "undecryptable",
    "unknown_order",
    "mismatch",
    "unknown_refund",
    "refund_mismatch",
]
_NOTED = "traffic.payment_transitions"


class PaymentMetrics:
    """What the payments count: transitions by new status and source, refused notifications,
    and the 缴款成功 notices sent or failed."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.transitions = Counter(
            "traffic_payment_transitions",
            "Payment orders moved to a status, by the source that moved them",
            ["status", "source"],
            registry=registry,
        )
        self.refused = Counter(
            "traffic_payment_notifications_refused",
            "WeChat Pay notifications refused, by reason",
            ["reason"],
            registry=registry,
        )
        self.notices = Counter(
            "traffic_payment_notices",
            "缴款成功 template messages posted to the gateway, by outcome (delivered or failed)",
            ["outcome"],
            registry=registry,
        )
        self.reconciliations = Counter(
            "traffic_reconciliation_runs",
            "Looks of the in-service reconciliation: ran (this replica took the period) or "
            "skipped (another replica had)",
            ["outcome"],
            registry=registry,
        )


_BY_ENGINE: WeakKeyDictionary[Engine, PaymentMetrics] = WeakKeyDictionary()


def install_payment_metrics(app: Starlette) -> PaymentMetrics:
    """Register the payments' metrics on `app` and count the transitions made on its engine."""
    metrics = register_metrics(app, PaymentMetrics)
    _BY_ENGINE[engine_of(app)] = metrics
    return metrics


def note_transition(session: Session, *, status: str, source: str) -> None:
    """Count a transition made in `session` once its transaction commits."""
    session.info.setdefault(_NOTED, []).append((status, source))


@event.listens_for(Session, "after_commit")
def _count_committed(session: Session) -> None:
    noted = session.info.pop(_NOTED, None)
    if not noted:
        return
    bind = session.get_bind()
    metrics = _BY_ENGINE.get(bind) if isinstance(bind, Engine) else None
    if metrics is None:  # a script's or a test's own engine: no app exports it
        return
    for status, source in noted:
        metrics.transitions.labels(status, source).inc()


@event.listens_for(Session, "after_rollback")
def _forget_rolled_back(session: Session) -> None:
    session.info.pop(_NOTED, None)
