"""Answers to questions that name no citizen, reused for a few seconds.

An intent whose catalogue entry needs no citizen is answered from the message's text and the
rule's parameters alone (`AnswerRequest` holds nothing of the sender), so the same question asked
again within `ttl` seconds gets the same answer without asking the service: "天气" sent by a
thousand citizens a second costs the weather service one question per `ttl`. A new warning signal
or issuance is thus in chat answers within `ttl` (GATEWAY_WECHAT_ANSWER_CACHE_SECONDS). Questions
are free text, so at most `max_entries` are kept (the least recently used dropped first). An
answer that turns out to need the citizen, or none at all (the service failed), is never kept.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from gateway.wechat.flights import Flights
from servicekit.answers import Answer, CitizenNeed

# (service, intent name, the AnswerRequest as JSON)
QuestionKey = tuple[str, str, str]


def reusable(need: CitizenNeed, ttl: float) -> bool:
    """Whether answers of an intent with this citizen need may be reused at all."""
    return need == "none" and ttl > 0


@dataclass(frozen=True)
class _Kept:
    answer: Answer
    expires: float


class AnswerCache:
    """Answers kept per question for `ttl` seconds, one question to the service in flight per
    key (askers meanwhile share its answer)."""

    def __init__(
        self, *, ttl: float, max_entries: int, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.ttl = ttl
        self.max_entries = max_entries
        self.clock = clock
        self._kept: OrderedDict[QuestionKey, _Kept] = OrderedDict()
        self._flights: Flights[QuestionKey, Answer | None] = Flights()

    async def get(
        self, key: QuestionKey, ask: Callable[[], Coroutine[Any, Any, Answer | None]]
    ) -> Answer | None:
        """The answer kept for `key`, else the one `ask()` gets (kept when it names no
        citizen)."""
        kept = self._kept.get(key)
        if kept is not None:
            if self.clock() < kept.expires:
                self._kept.move_to_end(key)
                return kept.answer
            del self._kept[key]
        answer = await self._flights.join(key, ask)
        if answer is not None and not answer.needs_citizen:
            self._kept[key] = _Kept(answer, self.clock() + self.ttl)
            self._kept.move_to_end(key)
            while len(self._kept) > self.max_entries:
                self._kept.popitem(last=False)
        return answer

    def __len__(self) -> int:
        return len(self._kept)
