"""What the mobile home screen (`overview.py`) reads from each service, and the pure rules that
turn the answers into sections.

Each section is one read of one service, made as the citizen (the service masks and words what
it answers): traffic's and social security's `/v1/me/summary` hold what the screen shows of
them, so every service costs one request. The gateway only picks what the screen shows (today of
the forecast) and labels how each service fared: `ok` (answered; a service with nothing to show,
such as social security to a citizen who has bound no card, gives its own explanation in
`detail`), `unavailable` or `timeout`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

SectionStatus = Literal["ok", "unavailable", "timeout"]
Shape = Callable[[Any], Any]

# The citizen is told which part of the screen is missing, by the service's everyday name.
SERVICE_NAMES = {
    "traffic": "交警",
    "socialsec": "社保",
    "weather": "天气",
    "accounts": "公众号",
    "inspection": "特检",
}
# Answers that say the service is fine but the call was not (our token, its limits, its time):
# the section is unavailable rather than "nothing to show".
_NOT_AN_ANSWER = frozenset({401, 408, 429})
# Every town's forecast when the app names none.
CITY = "dongguan"


def today_of(forecast: Any) -> Any:
    """The forecast's location, warning signals in force and first day (today)."""
    return {
        "location": forecast["location"],
        "warnings": forecast["warnings"],
        "issued_at": forecast["issued_at"],
        "today": forecast["days"][0],
    }


def _as_is(document: Any) -> Any:
    return document


@dataclass(frozen=True)
class Read:
    """The GET of a section: its path (`{town}` filled in), query, whether it is made as the
    citizen, and what of the answer the screen keeps."""

    path: str
    query: str = ""
    personal: bool = True
    shape: Shape = _as_is

    def target(self, town: str) -> str:
        """The path with the town filled in."""
        return self.path.replace("{town}", town)


SECTIONS: Mapping[str, Read] = {
    # Violations newest first with the amount due today over all of them, and licence points.
    "traffic": Read("/v1/me/summary", "limit=5"),
    # The card's status and the newest paid contribution.
    "socialsec": Read("/v1/me/summary"),
    "weather": Read("/v1/forecasts/{town}", personal=False, shape=today_of),
    "accounts": Read("/v1/me/follows", "limit=20"),
    "inspection": Read("/v1/me/applications", "open=true&limit=5"),
}


@dataclass(frozen=True)
class Answered:
    """A read the service answered: `value` to show, or None with the service's `detail`."""

    value: Any = None
    detail: str | None = None


@dataclass(frozen=True)
class Failed:
    """A read that got no usable answer: unreachable, refused, broken, or too late."""

    status: Literal["unavailable", "timeout"]


Outcome = Answered | Failed


def read_outcome(read: Read, status: int, document: Any) -> Outcome:
    """What one answer of `status` with the parsed `document` (None if not JSON) means."""
    if 200 <= status < 300:
        try:
            value = read.shape(document)
        except (KeyError, IndexError, TypeError):
            return Failed("unavailable")
        # A section's data is a JSON object; anything else is a service answering out of contract.
        return Answered(value=value) if isinstance(value, dict) else Failed("unavailable")
    if 400 <= status < 500 and status not in _NOT_AN_ANSWER:
        detail = document.get("detail") if isinstance(document, dict) else None
        if isinstance(detail, str) and detail:
            return Answered(detail=detail)
    return Failed("unavailable")


@dataclass(frozen=True)
class SectionResult:
    """One section as the screen gets it."""

    status: SectionStatus
    data: dict[str, Any] | None = None
    detail: str | None = None


def section_result(service: str, outcome: Outcome) -> SectionResult:
    """The section of `service` from the outcome of its read, naming the service when it failed."""
    name = SERVICE_NAMES[service]
    if isinstance(outcome, Answered):
        return SectionResult("ok", data=outcome.value, detail=outcome.detail)
    if outcome.status == "timeout":
        return SectionResult("timeout", detail=f"{name}服务响应超时，请稍后刷新。")
    return SectionResult("unavailable", detail=f"{name}服务暂时不可用，请稍后刷新。")
