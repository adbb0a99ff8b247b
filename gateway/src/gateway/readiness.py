"""The gateway's `/readyz`: every upstream's own `/readyz`, probed concurrently with a deadline."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any

from gateway.circuit import CircuitState
from gateway.upstreams import Upstreams
from servicekit.errors import UpstreamTimeout, UpstreamUnavailable
from servicekit.health import ReadinessCheck


@dataclass
class _Round:
    """One concurrent probe of every upstream, and which checks have read it."""

    task: asyncio.Future[dict[str, dict[str, Any]]]
    taken: set[str] = field(default_factory=set)


class UpstreamReadiness:
    """One readiness check per upstream, all answered from a shared concurrent probe.

    servicekit awaits readiness checks one after another; so that a `/readyz` costs one deadline
    rather than one per upstream, the first check of a call starts a round probing every
    upstream at once and the following checks read their result from it. A check whose name
    was already read from the current round starts the next round, so results are never stale.
    """

    def __init__(self, upstreams: Upstreams, *, deadline: float) -> None:
        self.upstreams = upstreams
        self.deadline = deadline
        self._round: _Round | None = None

    def checks(self) -> dict[str, ReadinessCheck]:
        """The checks to give `create_service_app(readiness=...)`, one per upstream."""
        return {name: self._check_for(name) for name in self.upstreams.urls}

    def _check_for(self, name: str) -> ReadinessCheck:
        async def check() -> dict[str, Any]:
            current = self._round
            if current is None or name in current.taken:
                current = self._round = _Round(asyncio.ensure_future(self._probe_all()))
            current.taken.add(name)
            # Shielded: one caller giving up must not cancel the round others are awaiting.
            results = await asyncio.shield(current.task)
            return results[name]

        return check

    async def _probe_all(self) -> dict[str, dict[str, Any]]:
        names = list(self.upstreams.urls)
        results = await asyncio.gather(*(self._probe(name) for name in names))
        return dict(zip(names, results, strict=True))

    async def _probe(self, name: str) -> dict[str, Any]:
        started = time.perf_counter()
        result: dict[str, Any]
        try:
            # Past the breaker: a probe reports the upstream itself, and its short deadline
            # must not open the circuit for real calls.
            response = await self.upstreams.request(
                name, "GET", "/readyz", timeout=self.deadline, breaker=False
            )
        except UpstreamTimeout:
            result = {"ready": False, "error": "timeout"}
        except UpstreamUnavailable:
            result = {"ready": False, "error": "unavailable"}
        else:
            result = {"ready": response.status == 200}
            if response.status != 200:
                result["status"] = response.status
        result["latency_ms"] = round((time.perf_counter() - started) * 1000, 1)
        circuit = self.upstreams.breakers[name].state
        if circuit is not CircuitState.CLOSED:
            result["circuit"] = circuit.name.lower()
        return result
