"""Consent and its withdrawal: deletions reach every binding service through the outbox."""

import logging
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from datetime import datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from accounts.main import create_app
from accounts.models import OutboxMessage
from accounts.outbox import (
    ALERT,
    LEASE,
    OutboxDispatcher,
    app_outbox,
    backoff_seconds,
    deliver_outbox_command,
    enqueue_delete_bindings,
)
from accounts.settings import AccountsSettings
from servicekit.clock import as_utc, utcnow
from servicekit.db import make_engine
from servicekit.identity import Identity, verify_token
from servicekit.settings import SharedSettings
from servicekit.testing import (
    TEST_SECRET,
    free_port,
    metric_value,
    mint_token,
    serve_in_thread,
    service_headers,
)


def gateway() -> dict[str, str]:
    """Fresh gateway service-token headers (tokens live 60 s; a long run outlives one)."""
    return service_headers("gateway", "accounts")


BINDINGS_PREFIX = "/v1/internal/citizens/"


class FakeService:
    """A binding service: records verified DELETE …/bindings calls, answers `status`."""

    def __init__(self, name: str, status: int = 204) -> None:
        self.name = name
        self.status = status
        self.calls: list[tuple[str, Identity]] = []
        self.request_ids: list[str] = []

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        if scope["type"] != "http":
            return
        headers = dict(scope["headers"])
        token = headers.get(b"authorization", b"").decode().removeprefix("Bearer ")
        identity = verify_token(token, secret=TEST_SECRET, audience=self.name)
        path = scope["path"]
        assert scope["method"] == "DELETE" and path.startswith(BINDINGS_PREFIX)
        self.calls.append((path.removeprefix(BINDINGS_PREFIX).split("/")[0], identity))
        self.request_ids.append(headers.get(b"x-request-id", b"").decode())
        await send({"type": "http.response.start", "status": self.status, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    def citizens(self) -> list[str]:
        """The citizen ids whose bindings were deleted, in call order."""
        return [citizen for citizen, _ in self.calls]


@pytest.fixture
def services() -> Iterator[dict[str, tuple[FakeService, str]]]:
    """A running fake traffic, socialsec and inspection, with their URLs."""
    with ExitStack() as stack:
        out = {}
        for name in ("traffic", "socialsec", "inspection"):
            fake = FakeService(name)
            out[name] = (fake, stack.enter_context(serve_in_thread(fake)))
        yield out


@pytest.fixture
def make_client(registry_only_database_url: str) -> Iterator[Callable[..., TestClient]]:
    """Start the accounts app against given service URLs (no delivery loop unless asked)."""
    with ExitStack() as stack:

        def start(
            traffic_url: str,
            socialsec_url: str,
            inspection_url: str,
            instance: str = "test-host",
            **outbox: float,
        ) -> TestClient:
            settings = AccountsSettings(
                database_url=registry_only_database_url,
                shared=SharedSettings(env="dev"),
                traffic_url=traffic_url,
                socialsec_url=socialsec_url,
                inspection_url=inspection_url,
                outbox_interval_seconds=outbox.get("interval", 0),
                outbox_backoff_base_seconds=outbox.get("base", 1.0),
                outbox_timeout_seconds=2,
                outbox_instance=instance,
            )
            return stack.enter_context(TestClient(create_app(settings)))

        yield start


@pytest.fixture
def engine(registry_only_database_url: str) -> Iterator[Engine]:
    engine = make_engine(registry_only_database_url)
    yield engine
    engine.dispose()


def closed_url() -> str:
    """A URL nobody listens on: a service that is down."""
    return f"http://127.0.0.1:{free_port()}"


def new_citizen(client: TestClient, openid: str = "oJJ-consent-0001") -> tuple[str, dict]:
    """A citizen resolved through the gateway contract, and their token headers."""
    body = {"account_code": "dgjj", "openid": openid, "unionid": f"o6_{openid}"}
    response = client.post("/v1/internal/citizens/resolve", json=body, headers=gateway())
    citizen_id = response.json()["citizen_id"]
    return citizen_id, mint_token("accounts", citizen_id)


def by_purpose(client: TestClient, headers: dict) -> dict[str, dict]:
    """GET /v1/me/consents keyed by purpose."""
    response = client.get("/v1/me/consents", headers=headers)
    assert response.status_code == 200, response.text
    return {item["purpose"]: item for item in response.json()["items"]}


def deletions(item: dict) -> dict[str, str]:
    """`{service: status}` of a consent item."""
    return {d["service"]: d["status"] for d in item["deletions"]}


def messages(engine: Engine, citizen_id: str) -> dict[str, OutboxMessage]:
    """The citizen's outbox messages by target (one withdrawal's worth)."""
    with Session(engine) as session:
        rows = session.exec(
            select(OutboxMessage).where(OutboxMessage.citizen_id == citizen_id)
        ).all()
    return {row.target: row for row in rows}


def outbox_gauges(client: TestClient) -> tuple[float | None, float | None]:
    """`accounts_outbox_backlog` and `accounts_outbox_oldest_age_seconds` as scraped now."""
    exposition = client.get("/metrics").text
    return (
        metric_value(exposition, "accounts_outbox_backlog"),
        metric_value(exposition, "accounts_outbox_oldest_age_seconds"),
    )


# --- the consent API -------------------------------------------------------------------------


def test_consents_start_not_granted(make_client: Callable[..., TestClient]) -> None:
    client = make_client(closed_url(), closed_url(), closed_url())
    _, headers = new_citizen(client)
    items = by_purpose(client, headers)
    assert list(items) == ["traffic_records", "socialsec_records"]
    assert items["traffic_records"] == {
        "purpose": "traffic_records",
        "title": "查询交通违法记录",
        "status": "not_granted",
        "granted_at": None,
        "withdrawn_at": None,
        "deletions": [],
    }


def test_granting_is_idempotent(make_client: Callable[..., TestClient]) -> None:
    client = make_client(closed_url(), closed_url(), closed_url())
    _, headers = new_citizen(client)
    first = client.post("/v1/me/consents", json={"purpose": "traffic_records"}, headers=headers)
    assert first.status_code == 201
    assert first.json()["status"] == "granted"
    assert first.json()["granted_at"].endswith("+08:00")
    again = client.post("/v1/me/consents", json={"purpose": "traffic_records"}, headers=headers)
    assert again.status_code == 200 and again.json() == first.json()
    items = by_purpose(client, headers)
    assert items["traffic_records"]["status"] == "granted"
    assert items["socialsec_records"]["status"] == "not_granted"


def test_unknown_purposes_are_422(make_client: Callable[..., TestClient]) -> None:
    client = make_client(closed_url(), closed_url(), closed_url())
    _, headers = new_citizen(client)
    response = client.post("/v1/me/consents", json={"purpose": "marketing"}, headers=headers)
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["purpose"]
    assert client.delete("/v1/me/consents/marketing", headers=headers).status_code == 422


def test_withdrawing_what_was_never_granted_is_404(
    make_client: Callable[..., TestClient],
) -> None:
    client = make_client(closed_url(), closed_url(), closed_url())
    _, headers = new_citizen(client)
    response = client.delete("/v1/me/consents/traffic_records", headers=headers)
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"


def test_an_unknown_citizen_is_404(make_client: Callable[..., TestClient]) -> None:
    client = make_client(closed_url(), closed_url(), closed_url())
    headers = mint_token("accounts", "c-never-resolved")
    assert client.get("/v1/me/consents", headers=headers).status_code == 404
    body = {"purpose": "traffic_records"}
    assert client.post("/v1/me/consents", json=body, headers=headers).status_code == 404


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/v1/me/consents"),
        ("POST", "/v1/me/consents"),
        ("DELETE", "/v1/me/consents/traffic_records"),
    ],
)
def test_only_the_citizen_through_the_gateway(
    make_client: Callable[..., TestClient], method: str, path: str
) -> None:
    client = make_client(closed_url(), closed_url(), closed_url())
    citizen_id, _ = new_citizen(client)
    body = {"purpose": "traffic_records"}
    assert client.request(method, path, json=body).status_code == 401
    wrong_audience = mint_token("traffic", citizen_id)
    assert client.request(method, path, json=body, headers=wrong_audience).status_code == 401
    for headers in (
        mint_token("accounts", "staff-1", roles=["registry_admin"], kind="staff"),
        service_headers("gateway", "accounts"),
        service_headers("traffic", "accounts"),
    ):
        assert client.request(method, path, json=body, headers=headers).status_code == 403


# --- withdrawal and delivery -----------------------------------------------------------------


@pytest.mark.slow
def test_withdrawal_deletes_bindings_in_every_service_at_once(
    make_client: Callable[..., TestClient], services: dict
) -> None:
    (traffic, traffic_url), (socialsec, socialsec_url) = services["traffic"], services["socialsec"]
    inspection, inspection_url = services["inspection"]
    client = make_client(traffic_url, socialsec_url, inspection_url)
    citizen_id, headers = new_citizen(client)
    client.post("/v1/me/consents", json={"purpose": "socialsec_records"}, headers=headers)
    response = client.delete("/v1/me/consents/socialsec_records", headers=headers)
    assert response.status_code == 200
    assert response.json()["status"] == "withdrawn"
    assert response.json()["withdrawn_at"].endswith("+08:00")
    # Any withdrawal removes the bindings everywhere, not only in the purpose's own service.
    for fake in (traffic, socialsec, inspection):
        assert fake.citizens() == [citizen_id]
        identity = fake.calls[0][1]
        assert (identity.kind, identity.issuer, identity.subject) == (
            "service",
            "accounts",
            "accounts",
        )
    # Delivered within the withdrawal's request: its request id travels along.
    request_id = response.headers["x-request-id"]
    assert traffic.request_ids == socialsec.request_ids == inspection.request_ids == [request_id]
    item = by_purpose(client, headers)["socialsec_records"]
    assert deletions(item) == {
        "traffic": "acknowledged",
        "socialsec": "acknowledged",
        "inspection": "acknowledged",
    }
    assert all(d["attempts"] == 1 and d["acknowledged_at"] for d in item["deletions"])
    # The other purpose is left as it was.
    assert by_purpose(client, headers)["traffic_records"]["status"] == "not_granted"


@pytest.mark.slow
def test_withdrawing_again_sends_nothing_new(
    make_client: Callable[..., TestClient], services: dict
) -> None:
    (traffic, traffic_url), (socialsec, socialsec_url) = services["traffic"], services["socialsec"]
    inspection, inspection_url = services["inspection"]
    client = make_client(traffic_url, socialsec_url, inspection_url)
    _, headers = new_citizen(client)
    client.post("/v1/me/consents", json={"purpose": "traffic_records"}, headers=headers)
    first = client.delete("/v1/me/consents/traffic_records", headers=headers)
    again = client.delete("/v1/me/consents/traffic_records", headers=headers)
    assert again.status_code == 200
    assert again.json()["withdrawn_at"] == first.json()["withdrawn_at"]
    assert len(traffic.calls) == len(socialsec.calls) == len(inspection.calls) == 1


@pytest.mark.slow
def test_a_service_that_is_down_gets_it_later(
    make_client: Callable[..., TestClient], services: dict, engine: Engine
) -> None:
    socialsec, socialsec_url = services["socialsec"]
    _, inspection_url = services["inspection"]
    down = closed_url()
    client = make_client(down, socialsec_url, inspection_url)
    citizen_id, headers = new_citizen(client)
    client.post("/v1/me/consents", json={"purpose": "traffic_records"}, headers=headers)
    withdrawn = client.delete("/v1/me/consents/traffic_records", headers=headers)
    assert withdrawn.status_code == 200
    assert socialsec.citizens() == [citizen_id]
    item = by_purpose(client, headers)["traffic_records"]
    assert deletions(item) == {
        "traffic": "pending",
        "socialsec": "acknowledged",
        "inspection": "acknowledged",
    }
    traffic_row = messages(engine, citizen_id)["traffic"]
    assert traffic_row.attempts == 1
    assert traffic_row.last_error is not None and "ConnectError" in traffic_row.last_error
    assert traffic_row.delivered_at is None
    assert as_utc(traffic_row.next_attempt_at) > utcnow()
    backlog, age = outbox_gauges(client)
    assert backlog == 1 and age is not None and 0 <= age < 60
    # While that deletion is pending, granting traffic again would let it remove new bindings.
    regrant = client.post("/v1/me/consents", json={"purpose": "traffic_records"}, headers=headers)
    assert regrant.status_code == 409
    ok = client.post("/v1/me/consents", json={"purpose": "socialsec_records"}, headers=headers)
    assert ok.status_code == 201
    # Traffic comes back (a fake on a new URL; the integration test restarts the real one).
    traffic = FakeService("traffic")
    with serve_in_thread(traffic) as traffic_url:
        dispatcher = app_outbox(client.app)
        dispatcher.targets["traffic"] = traffic_url
        report = dispatcher.deliver_due(now=utcnow() + timedelta(minutes=2))
    assert (report.delivered, report.failed) == (1, 0)
    assert traffic.citizens() == [citizen_id]
    assert outbox_gauges(client) == (0, 0)
    item = by_purpose(client, headers)["traffic_records"]
    assert set(deletions(item).values()) == {"acknowledged"}
    regrant = client.post("/v1/me/consents", json={"purpose": "traffic_records"}, headers=headers)
    assert regrant.status_code == 201


@pytest.mark.slow
def test_the_loop_delivers_without_anyone_asking(
    make_client: Callable[..., TestClient], services: dict
) -> None:
    traffic, traffic_url = services["traffic"]
    socialsec, socialsec_url = services["socialsec"]
    inspection, inspection_url = services["inspection"]
    traffic.status = 503
    client = make_client(traffic_url, socialsec_url, inspection_url, interval=0.05, base=0.05)
    citizen_id, headers = new_citizen(client)
    client.post("/v1/me/consents", json={"purpose": "traffic_records"}, headers=headers)
    client.delete("/v1/me/consents/traffic_records", headers=headers)
    assert deletions(by_purpose(client, headers)["traffic_records"])["traffic"] == "pending"
    deadline = time.monotonic() + 5
    while len(traffic.calls) < 3 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert len(traffic.calls) >= 3, "the loop retries on its own"
    traffic.status = 204
    while time.monotonic() < deadline:
        item = by_purpose(client, headers)["traffic_records"]
        if deletions(item)["traffic"] == "acknowledged":
            break
        time.sleep(0.05)
    assert set(deletions(item).values()) == {"acknowledged"}
    assert socialsec.citizens() == inspection.citizens() == [citizen_id]


class NotFoundEverywhere:
    """Some other service a target URL was misrouted to: no such route, a 404 problem."""

    def __init__(self) -> None:
        self.paths: list[str] = []

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        if scope["type"] != "http":
            return
        self.paths.append(scope["path"])
        headers = [(b"content-type", b"application/problem+json")]
        await send({"type": "http.response.start", "status": 404, "headers": headers})
        await send({"type": "http.response.body", "body": b'{"status":404,"title":"Not Found"}'})


class Records(logging.Handler):
    """Keeps what a logger emits (the app's logging set-up replaces the root's handlers)."""

    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def outbox_log() -> Iterator[Records]:
    """The records of the `accounts.outbox` logger during the test."""
    records = Records()
    logger = logging.getLogger("accounts.outbox")
    logger.addHandler(records)
    yield records
    logger.removeHandler(records)


@pytest.mark.slow
def test_a_misrouted_target_leaves_the_deletion_pending(
    make_client: Callable[..., TestClient],
    services: dict,
    engine: Engine,
    outbox_log: Records,
) -> None:
    traffic, traffic_url = services["traffic"]
    _, inspection_url = services["inspection"]
    wrong = NotFoundEverywhere()
    with serve_in_thread(wrong) as wrong_url:
        client = make_client(traffic_url, wrong_url, inspection_url)
        citizen_id, headers = new_citizen(client)
        client.post("/v1/me/consents", json={"purpose": "socialsec_records"}, headers=headers)
        client.delete("/v1/me/consents/socialsec_records", headers=headers)
    assert wrong.paths == [f"{BINDINGS_PREFIX}{citizen_id}/bindings"]
    assert traffic.citizens() == [citizen_id]
    row = messages(engine, citizen_id)["socialsec"]
    assert row.delivered_at is None
    assert (row.attempts, row.last_status) == (1, 404)
    assert (row.last_error or "").startswith("HTTP 404")
    assert as_utc(row.next_attempt_at) > utcnow()
    item = by_purpose(client, headers)["socialsec_records"]
    assert deletions(item) == {
        "traffic": "acknowledged",
        "socialsec": "pending",
        "inspection": "acknowledged",
    }
    # Granting again stays refused: the bindings may still be there.
    regrant = client.post("/v1/me/consents", json={"purpose": "socialsec_records"}, headers=headers)
    assert regrant.status_code == 409
    alerts = [r for r in outbox_log.records if getattr(r, "alert", None) == ALERT]
    assert len(alerts) == 1
    alert = alerts[0]
    assert alert.levelno == logging.ERROR
    assert (alert.target, alert.status) == ("socialsec", 404)  # type: ignore[attr-defined]
    # The alert carries no personal values, not even the citizen id the staff listing shows.
    assert citizen_id not in repr(alert.__dict__)


@pytest.mark.slow
@pytest.mark.parametrize("status", [302, 400, 401, 404, 410, 500, 503])
def test_anything_but_a_2xx_stays_pending_with_backoff(
    make_client: Callable[..., TestClient], services: dict, engine: Engine, status: int
) -> None:
    traffic, traffic_url = services["traffic"]
    _, socialsec_url = services["socialsec"]
    _, inspection_url = services["inspection"]
    make_client(closed_url(), closed_url(), closed_url())
    traffic.status = status
    dispatcher = dispatcher_for(engine, traffic_url, socialsec_url, inspection_url)
    t0 = utcnow()
    queue(engine, "c-refused", t0)
    report = dispatcher.deliver_due(now=t0)
    assert (report.delivered, report.failed) == (2, 1)
    row = messages(engine, "c-refused")["traffic"]
    assert row.delivered_at is None
    assert (row.attempts, row.last_status) == (1, status)
    assert as_utc(row.next_attempt_at) == t0 + timedelta(seconds=1)
    # Retried with backoff, and acknowledged once the endpoint itself answers.
    assert dispatcher.deliver_due(now=t0 + timedelta(seconds=1)).failed == 1
    traffic.status = 204
    assert dispatcher.deliver_due(now=t0 + timedelta(seconds=3)).delivered == 1
    assert traffic.citizens() == ["c-refused"] * 3
    assert messages(engine, "c-refused")["traffic"].delivered_at is not None


@pytest.mark.slow
@pytest.mark.parametrize("status", [200, 202, 204])
def test_a_2xx_acknowledges(
    make_client: Callable[..., TestClient], services: dict, engine: Engine, status: int
) -> None:
    traffic, traffic_url = services["traffic"]
    _, socialsec_url = services["socialsec"]
    _, inspection_url = services["inspection"]
    make_client(closed_url(), closed_url(), closed_url())
    traffic.status = status
    t0 = utcnow()
    queue(engine, "c-ok", t0)
    report = dispatcher_for(engine, traffic_url, socialsec_url, inspection_url).deliver_due(now=t0)
    assert (report.delivered, report.failed) == (3, 0)
    row = messages(engine, "c-ok")["traffic"]
    assert row.delivered_at is not None and row.attempts == 1
    assert row.lease_owner is None


# --- outbox bookkeeping ----------------------------------------------------------------------


def queue(engine: Engine, citizen_id: str, now: datetime) -> list[int]:
    """Queue one withdrawal's deletions directly."""
    with Session(engine) as session:
        ids = [
            m.id
            for m in enqueue_delete_bindings(session, citizen_id=citizen_id, now=now)
            if m.id is not None
        ]
        session.commit()
    return ids


def dispatcher_for(
    engine: Engine,
    traffic_url: str,
    socialsec_url: str,
    inspection_url: str,
    owner: str = "test-dispatcher",
) -> OutboxDispatcher:
    return OutboxDispatcher(
        engine=engine,
        owner=owner,
        targets={"traffic": traffic_url, "socialsec": socialsec_url, "inspection": inspection_url},
        secret=TEST_SECRET,
        timeout=2,
        backoff_base=1,
        backoff_max=60,
    )


def test_backoff_doubles_up_to_the_cap() -> None:
    delays = [backoff_seconds(failures=n, base=1, cap=60) for n in range(1, 10)]
    assert delays == [1, 2, 4, 8, 16, 32, 60, 60, 60]
    assert backoff_seconds(failures=10_000, base=1, cap=60) == 60
    assert backoff_seconds(failures=3, base=0.5, cap=60) == 2


@pytest.mark.slow
def test_failures_back_off_and_are_retried_forever(
    make_client: Callable[..., TestClient], engine: Engine
) -> None:
    make_client(closed_url(), closed_url(), closed_url())  # migrated and seeded; its loop is off
    dispatcher = dispatcher_for(engine, closed_url(), closed_url(), closed_url())
    t0 = utcnow()
    queue(engine, "c-backoff", t0)
    now = t0
    for attempts, delay in enumerate([1, 2, 4, 8, 16, 32, 60, 60], start=1):
        report = dispatcher.deliver_due(now=now)
        assert (report.delivered, report.failed, report.deferred) == (0, 3, 0)
        for row in messages(engine, "c-backoff").values():
            assert row.attempts == attempts
            assert as_utc(row.next_attempt_at) == now + timedelta(seconds=delay)
            assert "ConnectError" in (row.last_error or "")
            assert row.delivered_at is None
        # Nothing is due before the backoff has passed.
        assert dispatcher.deliver_due(now=now + timedelta(seconds=delay - 0.5)).claimed == 0
        now += timedelta(seconds=delay)


@pytest.mark.slow
def test_a_target_that_failed_is_not_tried_again_in_the_same_pass(
    make_client: Callable[..., TestClient], engine: Engine, services: dict
) -> None:
    make_client(closed_url(), closed_url(), closed_url())
    _, socialsec_url = services["socialsec"]
    _, inspection_url = services["inspection"]
    dispatcher = dispatcher_for(engine, closed_url(), socialsec_url, inspection_url)
    t0 = utcnow()
    queue(engine, "c-first", t0)
    queue(engine, "c-second", t0)
    report = dispatcher.deliver_due(now=t0)
    assert (report.delivered, report.failed, report.deferred) == (4, 1, 1)
    first, second = messages(engine, "c-first")["traffic"], messages(engine, "c-second")["traffic"]
    assert (first.attempts, second.attempts) == (1, 0)
    assert as_utc(second.next_attempt_at) == t0 + timedelta(seconds=1)
    assert second.last_error == first.last_error


@pytest.mark.slow
def test_a_claim_is_exclusive_until_its_lease_ends(
    make_client: Callable[..., TestClient], engine: Engine, services: dict
) -> None:
    make_client(closed_url(), closed_url(), closed_url())
    traffic, traffic_url = services["traffic"]
    socialsec, socialsec_url = services["socialsec"]
    t0 = utcnow()
    inspection, inspection_url = services["inspection"]
    queue(engine, "c-lease", t0)
    crashed = dispatcher_for(engine, traffic_url, socialsec_url, inspection_url)
    assert len(crashed.claim(now=t0)) == 3  # ...and dies before delivering
    other = dispatcher_for(engine, traffic_url, socialsec_url, inspection_url)
    assert other.deliver_due(now=t0 + LEASE - timedelta(seconds=1)).claimed == 0
    assert other.deliver_due(now=t0 + LEASE).delivered == 3
    assert traffic.citizens() == socialsec.citizens() == inspection.citizens() == ["c-lease"]


@pytest.mark.slow
def test_only_the_given_ids_are_delivered(
    make_client: Callable[..., TestClient], engine: Engine, services: dict
) -> None:
    make_client(closed_url(), closed_url(), closed_url())
    traffic, traffic_url = services["traffic"]
    _, socialsec_url = services["socialsec"]
    t0 = utcnow()
    queue(engine, "c-first", t0)
    _, inspection_url = services["inspection"]
    second = queue(engine, "c-second", t0)
    dispatcher = dispatcher_for(engine, traffic_url, socialsec_url, inspection_url)
    assert dispatcher.deliver_due(ids=second, now=t0).delivered == 3
    assert traffic.citizens() == ["c-second"]


@pytest.mark.slow
def test_concurrent_dispatchers_deliver_each_message_once(
    make_client: Callable[..., TestClient], engine: Engine, services: dict
) -> None:
    make_client(closed_url(), closed_url(), closed_url())
    traffic, traffic_url = services["traffic"]
    socialsec, socialsec_url = services["socialsec"]
    t0 = utcnow()
    inspection, inspection_url = services["inspection"]
    for n in range(15):
        queue(engine, f"c-many-{n:02d}", t0)
    barrier = threading.Barrier(4)

    def run() -> None:
        dispatcher = dispatcher_for(engine, traffic_url, socialsec_url, inspection_url)
        dispatcher.batch_size = 5
        barrier.wait()
        dispatcher.deliver_all_due(now=t0)

    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    expected = sorted(f"c-many-{n:02d}" for n in range(15))
    assert sorted(traffic.citizens()) == sorted(socialsec.citizens()) == expected
    assert sorted(inspection.citizens()) == expected
    with Session(engine) as session:
        pending = select(OutboxMessage).where(col(OutboxMessage.delivered_at).is_(None))
        assert session.exec(pending).all() == []


@pytest.mark.slow
def test_the_cron_command_delivers_what_is_due(
    make_client: Callable[..., TestClient],
    engine: Engine,
    services: dict,
    registry_only_database_url: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    make_client(closed_url(), closed_url(), closed_url())
    traffic, traffic_url = services["traffic"]
    _, socialsec_url = services["socialsec"]
    _, inspection_url = services["inspection"]
    queue(engine, "c-cron", utcnow())
    settings = AccountsSettings(
        database_url=registry_only_database_url,
        shared=SharedSettings(env="dev"),
        traffic_url=traffic_url,
        socialsec_url=socialsec_url,
        inspection_url=inspection_url,
    )
    deliver_outbox_command(settings)
    assert "3 delivered, 0 failed" in capsys.readouterr().out
    assert traffic.citizens() == ["c-cron"]


# --- restarts --------------------------------------------------------------------------------


@pytest.mark.slow
def test_a_restarted_server_takes_back_its_own_leases_at_once(
    make_client: Callable[..., TestClient], engine: Engine, services: dict
) -> None:
    make_client(closed_url(), closed_url(), closed_url())
    traffic, traffic_url = services["traffic"]
    socialsec, socialsec_url = services["socialsec"]
    t0 = utcnow()
    inspection, inspection_url = services["inspection"]
    killed_ids = queue(engine, "c-killed", t0)
    other_ids = queue(engine, "c-elsewhere", t0)
    # This host's server claims one withdrawal and is killed mid-delivery; another host's server
    # holds the other and is still delivering it.
    urls = (traffic_url, socialsec_url, inspection_url)
    killed = dispatcher_for(engine, *urls, owner="host-a:serve")
    assert len(killed.claim(ids=killed_ids, now=t0)) == 3
    elsewhere = dispatcher_for(engine, *urls, owner="host-b:serve")
    assert len(elsewhere.claim(ids=other_ids, now=t0)) == 3
    # host-a comes back: its start releases what it held, long before the lease would end.
    client = make_client(*urls, instance="host-a")
    for row in messages(engine, "c-killed").values():
        assert row.lease_owner is None
        assert as_utc(row.next_attempt_at) <= utcnow()
    for row in messages(engine, "c-elsewhere").values():
        assert row.lease_owner == "host-b:serve"
        assert as_utc(row.next_attempt_at) == t0 + LEASE
    dispatcher = app_outbox(client.app)
    assert dispatcher.owner == "host-a:serve"
    report = dispatcher.deliver_due(now=t0 + timedelta(seconds=5))
    assert report.delivered == 3
    assert traffic.citizens() == socialsec.citizens() == inspection.citizens() == ["c-killed"]


@pytest.mark.slow
def test_the_loop_resends_a_killed_delivery_right_after_the_restart(
    make_client: Callable[..., TestClient], engine: Engine, services: dict
) -> None:
    make_client(closed_url(), closed_url(), closed_url())
    traffic, traffic_url = services["traffic"]
    socialsec, socialsec_url = services["socialsec"]
    inspection, inspection_url = services["inspection"]
    fakes = (traffic, socialsec, inspection)
    ids = queue(engine, "c-resent", utcnow())
    killed = dispatcher_for(
        engine, traffic_url, socialsec_url, inspection_url, owner="host-a:serve"
    )
    assert len(killed.claim(ids=ids, now=utcnow())) == 3
    make_client(traffic_url, socialsec_url, inspection_url, instance="host-a", interval=0.05)
    deadline = time.monotonic() + 5  # the lease alone would hold them for 60 s
    while sum(len(f.calls) for f in fakes) < 3 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert traffic.citizens() == socialsec.citizens() == inspection.citizens() == ["c-resent"]


@pytest.mark.slow
def test_the_cron_command_takes_back_only_its_own_leases(
    make_client: Callable[..., TestClient],
    engine: Engine,
    services: dict,
    registry_only_database_url: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    make_client(closed_url(), closed_url(), closed_url())
    traffic, traffic_url = services["traffic"]
    _, socialsec_url = services["socialsec"]
    t0 = utcnow()
    _, inspection_url = services["inspection"]
    urls = (traffic_url, socialsec_url, inspection_url)
    cron_ids = queue(engine, "c-cron-killed", t0)
    serve_ids = queue(engine, "c-serve-busy", t0)
    cut_short = dispatcher_for(engine, *urls, owner="host-a:deliver-outbox")
    assert len(cut_short.claim(ids=cron_ids, now=t0)) == 3
    # The server on the same host is delivering these right now: the CLI must leave them be.
    serving = dispatcher_for(engine, *urls, owner="host-a:serve")
    assert len(serving.claim(ids=serve_ids, now=t0)) == 3
    settings = AccountsSettings(
        database_url=registry_only_database_url,
        shared=SharedSettings(env="dev"),
        traffic_url=traffic_url,
        socialsec_url=socialsec_url,
        inspection_url=inspection_url,
        outbox_instance="host-a",
    )
    deliver_outbox_command(settings)
    assert "3 delivered, 0 failed" in capsys.readouterr().out
    assert traffic.citizens() == ["c-cron-killed"]
    assert all(
        row.lease_owner == "host-a:serve" for row in messages(engine, "c-serve-busy").values()
    )


def test_the_instance_name_defaults_to_the_host_name() -> None:
    dev = SharedSettings(env="dev")
    assert AccountsSettings(shared=dev).outbox_instance == socket.gethostname()[:80]
    assert AccountsSettings(shared=dev, outbox_instance="a-1").outbox_instance == "a-1"
    with pytest.raises(ValidationError):
        AccountsSettings(shared=dev, outbox_instance="")


# --- the staff listing -----------------------------------------------------------------------


def registry_admin() -> dict[str, str]:
    """Fresh headers of a registry admin (tokens live 60 s)."""
    return mint_token("accounts", "staff-1", roles=["registry_admin"], kind="staff")


@pytest.mark.slow
def test_staff_see_the_undelivered_deletions(
    make_client: Callable[..., TestClient], services: dict
) -> None:
    _, traffic_url = services["traffic"]
    _, inspection_url = services["inspection"]
    with serve_in_thread(NotFoundEverywhere()) as wrong_url:
        client = make_client(traffic_url, wrong_url, inspection_url)
        citizen_id, headers = new_citizen(client)
        client.post("/v1/me/consents", json={"purpose": "traffic_records"}, headers=headers)
        client.delete("/v1/me/consents/traffic_records", headers=headers)
    response = client.get("/v1/outbox", params={"state": "pending"}, headers=registry_admin())
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["total"] == 1
    (entry,) = body["items"]
    assert entry | {"id": 0, "created_at": "", "next_attempt_at": "", "age_seconds": 0} == {
        "id": 0,
        "kind": "delete_bindings",
        "target": "socialsec",
        "citizen_id": citizen_id,
        "attempts": 1,
        "last_status": 404,
        "last_error": 'HTTP 404: {"status":404,"title":"Not Found"}',
        "created_at": "",
        "next_attempt_at": "",
        "delivered_at": None,
        "lease_owner": None,
        "age_seconds": 0,
    }
    assert entry["next_attempt_at"].endswith("+08:00")
    assert 0 <= entry["age_seconds"] < 60
    # Pending is the default; the acknowledged one is listed under delivered.
    assert client.get("/v1/outbox", headers=registry_admin()).json() == body
    delivered = client.get("/v1/outbox?state=delivered", headers=registry_admin()).json()
    assert [(e["target"], e["last_status"]) for e in delivered["items"]] == [
        ("inspection", None),
        ("traffic", None),
    ]
    assert delivered["items"][0]["delivered_at"].endswith("+08:00")
    paged = client.get("/v1/outbox?limit=1&offset=1", headers=registry_admin()).json()
    assert paged == {"items": [], "total": 1}


def test_a_lease_in_flight_shows_its_owner(
    make_client: Callable[..., TestClient], engine: Engine
) -> None:
    client = make_client(closed_url(), closed_url(), closed_url())
    t0 = utcnow()
    ids = queue(engine, "c-in-flight", t0)
    down = closed_url()
    dispatcher_for(engine, down, down, down, owner="host-b:serve").claim(ids=ids, now=t0)
    items = client.get("/v1/outbox", headers=registry_admin()).json()["items"]
    assert [e["lease_owner"] for e in items] == ["host-b:serve"] * 3
    assert all(e["attempts"] == 0 and e["last_status"] is None for e in items)


def test_the_outbox_listing_is_for_registry_admins_only(
    make_client: Callable[..., TestClient],
) -> None:
    client = make_client(closed_url(), closed_url(), closed_url())
    citizen_id, citizen = new_citizen(client)
    assert client.get("/v1/outbox").status_code == 401
    assert client.get("/v1/outbox", headers=mint_token("traffic", "staff-1")).status_code == 401
    for headers in (
        citizen,
        # A citizen token with the role is still a citizen's.
        mint_token("accounts", citizen_id, roles=["registry_admin"]),
        mint_token("accounts", "staff-2", roles=["forecaster"], kind="staff"),
        service_headers("gateway", "accounts"),
    ):
        response = client.get("/v1/outbox", headers=headers)
        assert response.status_code == 403
        assert response.headers["content-type"] == "application/problem+json"
    assert client.get("/v1/outbox?state=lost", headers=registry_admin()).status_code == 422


@pytest.mark.slow
def test_the_outbox_listing_is_documented_in_chinese(
    make_client: Callable[..., TestClient],
) -> None:
    client = make_client(closed_url(), closed_url(), closed_url())
    operation = client.get("/openapi.json").json()["paths"]["/v1/outbox"]["get"]
    assert operation["summary"] == "撤回授权通知的送达情况"
    assert "registry_admin" in operation["description"]
    assert {p["name"] for p in operation["parameters"]} >= {"state", "limit", "offset"}
