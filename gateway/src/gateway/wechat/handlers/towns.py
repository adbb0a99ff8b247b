"""The city's towns and subdistricts by name, to find the one a citizen names in a message.

Read from the socialsec office directory (one office per division, with its code and name) and
kept for an hour; when it cannot be read no town is recognised.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from gateway.upstreams import Upstreams

if TYPE_CHECKING:
    from gateway.wechat.handlers.registry import HandlerCall

log = logging.getLogger("gateway.wechat.towns")

TTL_SECONDS = 3600.0
# A handler waits at most this long for the directory before answering without a town.
LOOKUP_SECONDS = 1.0
RETRY_AFTER_FAILURE_SECONDS = 30.0
_SUFFIX = re.compile(r"(街道|镇|园区|新区|区)$")


@dataclass(frozen=True)
class Town:
    """A town or subdistrict: its code (e.g. dalang) and name (e.g. 大朗镇)."""

    code: str
    name: str


def names_of(town: Town) -> list[str]:
    """The names a citizen may use: 大朗镇 and 大朗."""
    short = _SUFFIX.sub("", town.name)
    return [town.name] + ([short] if short != town.name and len(short) >= 2 else [])


def find_town(towns: list[Town], text: str) -> Town | None:
    """The town named in `text` (the longest name found, so 东城 does not hide a longer name)."""
    best: tuple[int, Town] | None = None
    for town in towns:
        for name in names_of(town):
            if name in text and (best is None or len(name) > best[0]):
                best = (len(name), town)
    return best[1] if best else None


class TownDirectory:
    """The towns, read once an hour from socialsec's office directory."""

    def __init__(self, upstreams: Upstreams) -> None:
        self.upstreams = upstreams
        self._towns: list[Town] = []
        self._expires = 0.0
        self._lock = asyncio.Lock()

    async def towns(self, *, timeout: float) -> list[Town]:
        """Every town (empty when the directory cannot be read)."""
        if time.monotonic() < self._expires:
            return self._towns
        async with self._lock:
            if time.monotonic() < self._expires:
                return self._towns
            try:
                status, body = await self.upstreams.get_json(
                    "socialsec", "/v1/offices", query="limit=100", timeout=timeout
                )
                if status != 200:
                    raise ValueError(f"socialsec answered {status}")
                self._towns = [Town(str(i["town"]), str(i["town_name"])) for i in body["items"]]
                self._expires = time.monotonic() + TTL_SECONDS
            except Exception as exc:
                log.warning("town directory unavailable: %s", type(exc).__name__)
                self._expires = time.monotonic() + RETRY_AFTER_FAILURE_SECONDS
            return self._towns

    async def find(self, text: str, *, timeout: float) -> Town | None:
        """The town named in `text`, if any."""
        return find_town(await self.towns(timeout=timeout), text)


def _directory(call: HandlerCall) -> TownDirectory:
    state = call.context.request.app.state
    directory = getattr(state, "wechat_towns", None)
    if directory is None:
        directory = state.wechat_towns = TownDirectory(call.context.upstreams)
    return directory


async def town_in_text(call: HandlerCall) -> str | None:
    """The code of the town a chat message names (None when none, or no time to look)."""
    timeout = min(LOOKUP_SECONDS, call.timeout())
    if timeout <= 0:
        return None
    town = await _directory(call).find(call.text, timeout=timeout)
    return town.code if town else None
