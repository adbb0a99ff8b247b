"""The lifecycle every gateway store shares (de-duplication, replay bindings, rate limits, failed
credentials): the app starts it in its event loop and closes it on shutdown.

Each store is an abstract `Store` with two implementations: one mixing in `InMemory` (one
process, the default) and one mixing in `gateway.redis_client.RedisBacked` (shared by replicas).
"""

from __future__ import annotations

from abc import ABC, abstractmethod


class Store(ABC):
    """A store the app starts and closes with itself."""

    @abstractmethod
    async def start(self) -> None:
        """Open connections (in the event loop that will use them)."""

    @abstractmethod
    async def close(self) -> None:
        """Close connections."""


class InMemory:
    """The lifecycle of a store held in one process's memory: no connection to open or close."""

    async def start(self) -> None:
        """Nothing to open."""

    async def close(self) -> None:
        """Nothing to close."""
