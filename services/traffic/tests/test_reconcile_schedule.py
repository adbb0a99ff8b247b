"""The in-service reconciliation runs once per period however many replicas look."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient

from servicekit.metrics import metrics_of
from servicekit.state import engine_of
from servicekit.testing import metric_value
from traffic.payments.client import pay_client_of
from traffic.payments.metrics import PaymentMetrics
from traffic.payments.schedule import reconcile_in_turn

PERIOD = 60
START = datetime(2026, 12, 4, 2, 0, 10, tzinfo=UTC)


class Replicas:
    """Two traffic apps on one database, each with its loop's look at a clock of the test's."""

    def __init__(self, make_client: Callable[..., TestClient]) -> None:
        self.now = START
        self.clients = [make_client(), make_client()]
        self.looks = [
            reconcile_in_turn(
                engine_of(client.app),
                pay_client_of(client.app),
                every_seconds=PERIOD,
                older_than=timedelta(minutes=5),
                metrics=metrics_of(client.app, PaymentMetrics),
                clock=lambda: self.now,
            )
            for client in self.clients
        ]

    def counts(self, outcome: str) -> list[float]:
        """`traffic_reconciliation_runs_total{outcome}` of each replica."""
        return [
            metric_value(
                client.get("/metrics").text, "traffic_reconciliation_runs_total", outcome=outcome
            )
            or 0
            for client in self.clients
        ]


def test_the_first_look_of_a_period_reconciles_and_the_others_skip(
    make_client: Callable[..., TestClient], fake_pay
) -> None:
    replicas = Replicas(make_client)
    first, second = replicas.looks
    first()
    second()
    replicas.now += timedelta(seconds=40)  # 02:00:50, the same minute
    second()
    first()
    assert replicas.counts("ran") == [1, 0]
    assert replicas.counts("skipped") == [1, 2]

    replicas.now += timedelta(seconds=20)  # 02:01:10: the next period is free again
    second()
    first()
    assert replicas.counts("ran") == [1, 1]
    assert replicas.counts("skipped") == [2, 2]


def test_looks_at_the_same_moment_reconcile_once(
    make_client: Callable[..., TestClient], fake_pay
) -> None:
    replicas = Replicas(make_client)
    start = threading.Barrier(4)

    def look(index: int) -> None:
        start.wait()
        replicas.looks[index % 2]()

    threads = [threading.Thread(target=look, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(replicas.counts("ran")) == 1
    assert sum(replicas.counts("skipped")) == 3
