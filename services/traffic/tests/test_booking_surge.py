"""A surge of bookings against a served traffic app: every request is answered within seconds
with 201, 409 or 503 (never a 500, never a stall on the connection pool), and no slot is
overbooked."""

import asyncio
from collections import Counter
from collections.abc import Callable, Iterator

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, col, func, select, update

from servicekit.db import make_engine
from servicekit.testing import mint_token, serve_in_thread
from traffic.models import Appointment, AppointmentSlot

SURGE = 200


@pytest.fixture
def served(make_client: Callable[..., TestClient]) -> Iterator[str]:
    """The traffic app on this test's database, served by uvicorn as in production."""
    with serve_in_thread(make_client().app) as url:
        yield url


def next_slot(base: str) -> dict:
    """The earliest slot of the Humen office that has not started yet."""
    response = httpx.get(f"{base}/v1/offices/humen/slots", params={"limit": 1}, timeout=10)
    return response.json()["items"][0]


async def surge(base: str, slot_id: int) -> list[int]:
    """Fire SURGE bookings of one slot at once, by SURGE distinct citizens."""
    limits = httpx.Limits(max_connections=SURGE, max_keepalive_connections=SURGE)
    # The overall bound: a stalled service fails the test instead of hanging it.
    timeout = httpx.Timeout(20.0, pool=None)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=timeout) as client:

        async def one(n: int) -> int:
            response = await client.post(
                "/v1/me/appointments",
                json={"slot_id": slot_id, "business_code": "vehicle-transfer"},
                headers={**mint_token("traffic", f"c-surge-{n:04d}"), "Idempotency-Key": "k"},
            )
            if response.status_code == 503:
                assert response.headers["content-type"] == "application/problem+json"
                assert int(response.headers["retry-after"]) >= 1
            return response.status_code

        return await asyncio.gather(*(one(n) for n in range(SURGE)))


@pytest.mark.slow
def test_200_concurrent_bookings_are_answered_and_never_overbook(
    served: str, seeded_database_url: str
) -> None:
    slot = next_slot(served)
    # A hundred bookings succeed, each holding its connection until its response is sent:
    # many more than the pool has.
    capacity = SURGE // 2
    engine = make_engine(seeded_database_url)
    with Session(engine) as session:
        session.execute(
            update(AppointmentSlot)
            .where(col(AppointmentSlot.id) == slot["id"])
            .values(capacity=capacity)
        )
        session.commit()
    statuses = Counter(asyncio.run(surge(served, slot["id"])))
    assert set(statuses) <= {201, 409, 503}, statuses
    # Turned away as busy, a citizen may leave a place free; otherwise the slot fills.
    assert statuses[201] == capacity or statuses[503], statuses
    try:
        with Session(engine) as session:
            booked = session.exec(
                select(func.count())
                .select_from(Appointment)
                .where(Appointment.slot_id == slot["id"], Appointment.status == "booked")
            ).one()
            stored = session.get(AppointmentSlot, slot["id"])
    finally:
        engine.dispose()
    assert stored is not None
    assert booked == stored.booked == statuses[201] <= capacity
