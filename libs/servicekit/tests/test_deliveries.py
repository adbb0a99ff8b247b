"""servicekit.deliveries and servicekit.background: backoff, the gateway's answers, the loop."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta

import httpx
import pytest

from servicekit.background import every
from servicekit.deliveries import TemplateChannel, retry_delay
from servicekit.identity import verify_token
from servicekit.testing import TEST_SECRET


@pytest.mark.parametrize(
    ("attempts", "seconds"), [(0, 5), (1, 5), (2, 10), (3, 20), (7, 300), (10_000, 300)]
)
def test_retries_back_off_doubling_up_to_the_cap(attempts: int, seconds: float) -> None:
    assert retry_delay(attempts=attempts, base=5, cap=300) == timedelta(seconds=seconds)


def post(status: int | None) -> tuple[str | None, bool, httpx.Request]:
    seen: list[httpx.Request] = []

    def gateway(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if status is None:
            raise httpx.ConnectError("refused", request=request)
        return httpx.Response(status, json={"detail": "x"})

    channel = TemplateChannel(
        gateway_url="http://gw/",
        secret=TEST_SECRET,
        caller="inspection",
        account="dgtj",
        template_id="tmpl-due",
        timeout=5,
        backoff_base=60,
        backoff_max=600,
    )
    with channel.client(httpx.MockTransport(gateway)) as client:
        posted = channel.post(client, recipient={"citizen_id": "c-1"}, data={"first": "提醒"})
    return posted.error, posted.final, seen[0]


@pytest.mark.parametrize(
    ("status", "error", "final"),
    [
        (200, None, False),
        (404, "HTTP 404", True),  # no such follower
        (422, "HTTP 422", True),  # a message the gateway refuses
        (401, "HTTP 401", False),  # a secret being rotated
        (403, "HTTP 403", False),
        (429, "HTTP 429", False),
        (502, "HTTP 502", False),  # the platform refused or was away
        (None, "ConnectError", False),
    ],
)
def test_which_answers_are_final(status: int | None, error: str | None, final: bool) -> None:
    got, got_final, request = post(status)
    assert (got and got.split(":")[0], got_final) == (error, final)
    assert request.url == "http://gw/internal/wechat/dgtj/template"
    body = json.loads(request.content)
    assert body == {"citizen_id": "c-1", "template_id": "tmpl-due", "data": {"first": "提醒"}}
    token = request.headers["authorization"].removeprefix("Bearer ")
    caller = verify_token(token, secret=TEST_SECRET, audience="gateway")
    assert (caller.kind, caller.issuer) == ("service", "inspection")


def test_the_loop_runs_again_after_a_failure_and_stops_with_its_context() -> None:
    runs: list[int] = []

    def work() -> None:
        runs.append(len(runs))
        if len(runs) == 1:
            raise RuntimeError("the database is away")

    async def main() -> int:
        async with every(0.01, work, what="test job"):
            while len(runs) < 3:
                await asyncio.sleep(0.01)
        return len(runs)

    stopped_at = asyncio.run(main())
    assert stopped_at >= 3 and len(runs) == stopped_at  # no run after the context ended


@pytest.mark.parametrize(
    ("batch", "timeout", "seconds"),
    [(50, 5, 310), (50, 10, 560), (1, 5, 65), (0, 5, 60)],
)
def test_a_lease_outlasts_a_whole_batch_of_timed_out_sends(
    batch: int, timeout: float, seconds: float
) -> None:
    channel = TemplateChannel(
        gateway_url="http://gw/",
        secret=TEST_SECRET,
        caller="traffic",
        account="dgjj",
        template_id="tmpl-paid",
        timeout=timeout,
        backoff_base=60,
        backoff_max=600,
    )
    lease = channel.lease_for(batch)
    assert lease.total_seconds() == seconds and lease.total_seconds() > batch * timeout
