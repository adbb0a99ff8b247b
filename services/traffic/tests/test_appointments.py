"""Appointments: offices, businesses, slots; booking with Idempotency-Key, cancelling, capacity
under concurrency, and no citizen reaching another's bookings."""

import threading
from collections.abc import Callable
from datetime import UTC, datetime

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from servicekit.db import make_engine
from servicekit.errors import Conflict
from traffic.appointments import book
from traffic.models import AppointmentCreate, AppointmentSlot

Headers = Callable[[str], dict[str, str]]


def first_slot(client: TestClient, office: str = "changan") -> dict:
    return client.get(f"/v1/offices/{office}/slots", params={"limit": 1}).json()["items"][0]


def booking(client: TestClient, headers: dict, key: str, slot_id: int, business: str):
    return client.post(
        "/v1/me/appointments",
        json={"slot_id": slot_id, "business_code": business},
        headers={**headers, "Idempotency-Key": key},
    )


def test_offices_businesses_and_slots(client: TestClient) -> None:
    offices = client.get("/v1/offices").json()
    assert offices["total"] == 6
    main = next(o for o in offices["items"] if o["code"] == "dongguan")
    assert main["kind"] == "车管所" and "9:00" in main["hours"] and main["address"]
    businesses = client.get("/v1/appointment-businesses").json()["items"]
    renewal = next(b for b in businesses if b["code"] == "licence-renewal")
    assert any("身体条件证明" in m for m in renewal["materials"])
    # The anchor is a Monday at noon: the afternoon hours are the first still bookable.
    slots = client.get("/v1/offices/changan/slots", params={"day": "2026-06-15"}).json()
    assert [s["starts_at"][11:16] for s in slots["items"]] == ["14:00", "15:00", "16:00"]
    assert slots["items"][0] | {"id": 0} == {
        "id": 0,
        "office_code": "changan",
        "starts_at": "2026-06-15T14:00:00+08:00",
        "ends_at": "2026-06-15T15:00:00+08:00",
        "capacity": 10,
        "remaining": 10,
    }
    saturday = {"day": "2026-06-20"}
    assert client.get("/v1/offices/changan/slots", params=saturday).json()["total"] == 0
    assert client.get("/v1/offices/dongguan/slots", params=saturday).json()["total"] == 3
    assert client.get("/v1/offices/nowhere/slots").status_code == 404


def test_book_replay_and_cancel(client: TestClient, headers_of: Headers) -> None:
    lisi = headers_of("lisi")
    slot = first_slot(client)
    made = booking(client, lisi, "k-1", slot["id"], "licence-renewal")
    assert made.status_code == 201, made.text
    body = made.json()
    assert body["status"] == "booked" and body["office"]["code"] == "changan"
    assert body["number"] == f"YY20260615{body['id']:06d}"
    assert body["starts_at"] == slot["starts_at"] and body["business"]["materials"]
    # A retry with the same key and body is the same booking, and takes no second place.
    again = booking(client, lisi, "k-1", slot["id"], "licence-renewal")
    assert again.status_code == 201 and again.json() == body
    assert first_slot(client)["remaining"] == 9
    other_body = booking(client, lisi, "k-1", slot["id"], "licence-replacement")
    assert other_body.status_code == 409 and "Idempotency-Key" in other_body.json()["detail"]
    twice = booking(client, lisi, "k-2", slot["id"], "licence-replacement")
    assert twice.status_code == 409 and "已有预约" in twice.json()["detail"]
    mine = client.get("/v1/me/appointments", headers=lisi).json()
    assert mine["total"] == 1 and mine["items"][0]["id"] == body["id"]

    cancelled = client.post(f"/v1/me/appointments/{body['id']}/cancel", headers=lisi)
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    assert cancelled.json()["cancelled_at"].endswith("+08:00")
    assert first_slot(client)["remaining"] == 10
    assert client.post(f"/v1/me/appointments/{body['id']}/cancel", headers=lisi).status_code == 409


def test_refused_bookings(client: TestClient, headers_of: Headers, clock) -> None:
    lisi = headers_of("lisi")
    slot = first_slot(client)
    no_key = client.post(
        "/v1/me/appointments", json={"slot_id": slot["id"], "business_code": "x"}, headers=lisi
    )
    assert no_key.status_code == 422 and no_key.json()["errors"][0]["field"] == "Idempotency-Key"
    assert booking(client, lisi, "a", slot["id"], "flying").status_code == 404
    assert booking(client, lisi, "b", 999999, "licence-renewal").status_code == 404
    made = booking(client, lisi, "c", slot["id"], "licence-renewal").json()
    clock.advance(hours=3)  # the slot has started
    late = booking(client, lisi, "d", slot["id"], "licence-replacement")
    assert late.status_code == 409 and "已开始" in late.json()["detail"]
    refused = client.post(f"/v1/me/appointments/{made['id']}/cancel", headers=lisi)
    assert refused.status_code == 409


def test_another_citizen_cannot_see_or_cancel(client: TestClient, headers_of: Headers) -> None:
    made = booking(client, headers_of("lisi"), "k", first_slot(client)["id"], "licence-renewal")
    appointment = made.json()["id"]
    zhangsan = headers_of("zhangsan")
    assert client.get("/v1/me/appointments", headers=zhangsan).json()["total"] == 0
    assert client.get(f"/v1/me/appointments/{appointment}", headers=zhangsan).status_code == 404
    refused = client.post(f"/v1/me/appointments/{appointment}/cancel", headers=zhangsan)
    assert refused.status_code == 404
    # The same key is another citizen's own: it books a new appointment, not lisi's.
    own = booking(client, zhangsan, "k", first_slot(client)["id"], "licence-renewal")
    assert own.status_code == 201 and own.json()["id"] != appointment
    lisi = client.get(f"/v1/me/appointments/{appointment}", headers=headers_of("lisi")).json()
    assert lisi["status"] == "booked"
    for method, path in (
        ("GET", "/v1/me/appointments"),
        ("POST", "/v1/me/appointments"),
        ("GET", f"/v1/me/appointments/{appointment}"),
        ("POST", f"/v1/me/appointments/{appointment}/cancel"),
    ):
        assert client.request(method, path, headers={"Idempotency-Key": "k"}).status_code == 401


def test_50_parallel_bookings_of_10_places_book_exactly_10(
    seeded_database_url: str, anchor
) -> None:
    engine = make_engine(seeded_database_url)
    with Session(engine) as session:
        slot = session.exec(
            select(AppointmentSlot)
            .where(AppointmentSlot.office_code == "humen")
            .order_by(AppointmentSlot.starts_at)
        ).first()
    assert slot is not None and slot.capacity == 10 and slot.id is not None
    now = datetime(anchor.year, anchor.month, anchor.day, tzinfo=UTC)
    body = AppointmentCreate(slot_id=slot.id, business_code="vehicle-transfer")
    start = threading.Barrier(50)
    outcomes: list[str] = []

    def attempt(n: int) -> None:
        with Session(engine) as session:
            start.wait()
            try:
                book(session, citizen_id=f"c-{n}", body=body, idempotency_key="k", now=now)
                outcomes.append("booked")
            except Conflict:
                outcomes.append("full")

    threads = [threading.Thread(target=attempt, args=(n,)) for n in range(50)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with Session(engine) as session:
        booked = session.get(AppointmentSlot, slot.id)
        assert booked is not None and booked.booked == 10
    engine.dispose()
    assert (outcomes.count("booked"), outcomes.count("full")) == (10, 40)
