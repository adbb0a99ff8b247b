"""A circuit breaker per upstream, so that a hung or unreachable service costs callers nothing.

Closed: calls go through; `failure_threshold` consecutive failures open the circuit. Open: calls
are refused at once (`CircuitOpen`, a 503 with `Retry-After`) for `open_seconds`. Half-open: the
next call after the cool-down is the one trial; its success closes the circuit, its failure
opens it again for another cool-down, and calls arriving while it is in flight are refused.

Only not reaching the service or not hearing back in time is a failure. Any HTTP answer, 5xx
included, is a success: a service that answers 500, 502 (WeChat Pay down) or 503 (its pool
saturated, with its own `Retry-After`) answers fast, and its status already tells the caller.

The state is kept per process (each gateway worker or replica learns on its own): a few more
calls reach a failed upstream before every process has opened, and nothing is shared to fail.
"""

from __future__ import annotations

import enum
import logging
import math
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import KW_ONLY, dataclass, field

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from servicekit.errors import UpstreamUnavailable

log = logging.getLogger("gateway.circuit")


class CircuitState(enum.IntEnum):
    """A breaker's state, as exported in `gateway_upstream_circuit_state`."""

    CLOSED = 0
    OPEN = 1
    HALF_OPEN = 2


class CircuitOpen(UpstreamUnavailable):
    """A call refused without reaching the upstream, because its circuit is open."""

    def __init__(self, service: str, retry_after: int) -> None:
        super().__init__(
            f"上游服务 {service} 连续调用失败，已暂停访问，请 {retry_after} 秒后再试。",
            headers={"Retry-After": str(retry_after)},
        )


@dataclass(eq=False)
class CircuitBreaker:
    """The breaker of one upstream; not thread-safe, used from the event loop only."""

    name: str
    _: KW_ONLY
    failure_threshold: int
    open_seconds: float
    clock: Callable[[], float] = time.monotonic
    # What CircuitMetrics exports besides the state.
    short_circuited: int = field(default=0, init=False)
    opened: int = field(default=0, init=False)
    _state: CircuitState = field(default=CircuitState.CLOSED, init=False)
    _failures: int = field(default=0, init=False)
    _opened_at: float = field(default=0.0, init=False)
    _trial_in_flight: bool = field(default=False, init=False)

    @property
    def state(self) -> CircuitState:
        """The state now: an open circuit whose cool-down has passed is half-open."""
        if self._state is CircuitState.OPEN and self.clock() - self._opened_at >= self.open_seconds:
            return CircuitState.HALF_OPEN
        return self._state

    def acquire(self) -> bool:
        """Admit one call, or raise CircuitOpen; True when the call is the half-open trial."""
        state = self.state
        if state is CircuitState.CLOSED:
            return False
        if state is CircuitState.HALF_OPEN and not self._trial_in_flight:
            self._state = CircuitState.HALF_OPEN
            self._trial_in_flight = True
            log.info("upstream %s circuit half-open: sending one trial call", self.name)
            return True
        self.short_circuited += 1
        if state is CircuitState.OPEN:
            wait = self._opened_at + self.open_seconds - self.clock()
        else:  # the trial is in flight: its answer decides soon
            wait = 1.0
        raise CircuitOpen(self.name, max(1, math.ceil(wait)))

    def succeeded(self) -> None:
        """An admitted call got an answer: the upstream is reachable, so the circuit closes."""
        if self._state is not CircuitState.CLOSED:
            log.warning("upstream %s circuit closed: it answers again", self.name)
        self._state = CircuitState.CLOSED
        self._failures = 0
        self._trial_in_flight = False

    def failed(self, *, trial: bool) -> None:
        """An admitted call could not reach the upstream or timed out."""
        if trial:
            self._trial_in_flight = False
            self._open()
        elif self._state is CircuitState.CLOSED:
            self._failures += 1
            if self._failures >= self.failure_threshold:
                self._open()
        # A call admitted before the circuit opened adds nothing once it is open.

    def abandoned(self, *, trial: bool) -> None:
        """An admitted call was given up by its caller, telling nothing about the upstream."""
        if trial:
            self._trial_in_flight = False

    def _open(self) -> None:
        self._state = CircuitState.OPEN
        self._opened_at = self.clock()
        self._failures = 0
        self.opened += 1
        log.warning(
            "upstream %s circuit open: calls refused for %.1f s", self.name, self.open_seconds
        )


class CircuitMetrics(Collector):
    """Exports every breaker's state and counters in the app's Prometheus registry."""

    def __init__(self, breakers: Mapping[str, CircuitBreaker]) -> None:
        self.breakers = breakers

    def collect(self) -> Iterator[Metric]:
        """One sample per upstream of each metric."""
        state = GaugeMetricFamily(
            "gateway_upstream_circuit_state",
            "Circuit breaker state per upstream: 0 closed, 1 open, 2 half-open",
            labels=["upstream"],
        )
        refused = CounterMetricFamily(
            "gateway_upstream_short_circuited",
            "Calls answered 503 at once because the upstream's circuit was open",
            labels=["upstream"],
        )
        opened = CounterMetricFamily(
            "gateway_upstream_circuit_opened",
            "Times the upstream's circuit opened",
            labels=["upstream"],
        )
        for name, breaker in self.breakers.items():
            state.add_metric([name], int(breaker.state))
            refused.add_metric([name], breaker.short_circuited)
            opened.add_metric([name], breaker.opened)
        yield from (state, refused, opened)
