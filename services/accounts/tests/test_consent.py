"""Consent and its withdrawal: deletions reach every binding service through the outbox."""

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from datetime import datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from accounts.main import create_app
from accounts.models import OutboxMessage
from accounts.outbox import (
    LEASE,
    OutboxDispatcher,
    backoff_seconds,
    deliver_outbox_command,
    enqueue_delete_bindings,
)
from accounts.registry_seed import seed_registry
from accounts.settings import AccountsSettings
from servicekit.clock import as_utc, utcnow
from servicekit.db import make_engine
from servicekit.identity import Identity, verify_token
from servicekit.settings import SharedSettings
from servicekit.testing import (
    TEST_SECRET,
    free_port,
    mint_token,
    seed_database,
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
    """A running fake traffic and socialsec, with their URLs."""
    with ExitStack() as stack:
        out = {}
        for name in ("traffic", "socialsec"):
            fake = FakeService(name)
            out[name] = (fake, stack.enter_context(serve_in_thread(fake)))
        yield out


@pytest.fixture
def make_client(migrated_database_url: str) -> Iterator[Callable[..., TestClient]]:
    """Start the accounts app against given service URLs (no delivery loop unless asked)."""
    seed_database(migrated_database_url, lambda session: seed_registry(session=session))
    with ExitStack() as stack:

        def start(traffic_url: str, socialsec_url: str, **outbox: float) -> TestClient:
            settings = AccountsSettings(
                database_url=migrated_database_url,
                shared=SharedSettings(env="dev"),
                traffic_url=traffic_url,
                socialsec_url=socialsec_url,
                outbox_interval_seconds=outbox.get("interval", 0),
                outbox_backoff_base_seconds=outbox.get("base", 1.0),
                outbox_timeout_seconds=2,
            )
            return stack.enter_context(TestClient(create_app(settings)))

        yield start


@pytest.fixture
def engine(migrated_database_url: str) -> Iterator[Engine]:
    engine = make_engine(migrated_database_url)
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


# --- the consent API -------------------------------------------------------------------------


def test_consents_start_not_granted(make_client: Callable[..., TestClient]) -> None:
    client = make_client(closed_url(), closed_url())
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
    client = make_client(closed_url(), closed_url())
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
    client = make_client(closed_url(), closed_url())
    _, headers = new_citizen(client)
    response = client.post("/v1/me/consents", json={"purpose": "marketing"}, headers=headers)
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["purpose"]
    assert client.delete("/v1/me/consents/marketing", headers=headers).status_code == 422


def test_withdrawing_what_was_never_granted_is_404(
    make_client: Callable[..., TestClient],
) -> None:
    client = make_client(closed_url(), closed_url())
    _, headers = new_citizen(client)
    response = client.delete("/v1/me/consents/traffic_records", headers=headers)
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"


def test_an_unknown_citizen_is_404(make_client: Callable[..., TestClient]) -> None:
    client = make_client(closed_url(), closed_url())
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
    client = make_client(closed_url(), closed_url())
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


def test_withdrawal_deletes_bindings_in_every_service_at_once(
    make_client: Callable[..., TestClient], services: dict
) -> None:
    (traffic, traffic_url), (socialsec, socialsec_url) = services["traffic"], services["socialsec"]
    client = make_client(traffic_url, socialsec_url)
    citizen_id, headers = new_citizen(client)
    client.post("/v1/me/consents", json={"purpose": "socialsec_records"}, headers=headers)
    response = client.delete("/v1/me/consents/socialsec_records", headers=headers)
    assert response.status_code == 200
    assert response.json()["status"] == "withdrawn"
    assert response.json()["withdrawn_at"].endswith("+08:00")
    # Any withdrawal removes the bindings everywhere, not only in the purpose's own service.
    for fake in (traffic, socialsec):
        assert fake.citizens() == [citizen_id]
        identity = fake.calls[0][1]
        assert (identity.kind, identity.issuer, identity.subject) == (
            "service",
            "accounts",
            "accounts",
        )
    # Delivered within the withdrawal's request: its request id travels along.
    assert traffic.request_ids == socialsec.request_ids == [response.headers["x-request-id"]]
    item = by_purpose(client, headers)["socialsec_records"]
    assert deletions(item) == {"traffic": "acknowledged", "socialsec": "acknowledged"}
    assert all(d["attempts"] == 1 and d["acknowledged_at"] for d in item["deletions"])
    # The other purpose is left as it was.
    assert by_purpose(client, headers)["traffic_records"]["status"] == "not_granted"


def test_withdrawing_again_sends_nothing_new(
    make_client: Callable[..., TestClient], services: dict
) -> None:
    (traffic, traffic_url), (socialsec, socialsec_url) = services["traffic"], services["socialsec"]
    client = make_client(traffic_url, socialsec_url)
    _, headers = new_citizen(client)
    client.post("/v1/me/consents", json={"purpose": "traffic_records"}, headers=headers)
    first = client.delete("/v1/me/consents/traffic_records", headers=headers)
    again = client.delete("/v1/me/consents/traffic_records", headers=headers)
    assert again.status_code == 200
    assert again.json()["withdrawn_at"] == first.json()["withdrawn_at"]
    assert len(traffic.calls) == len(socialsec.calls) == 1


def test_a_service_that_is_down_gets_it_later(
    make_client: Callable[..., TestClient], services: dict, engine: Engine
) -> None:
    socialsec, socialsec_url = services["socialsec"]
    down = closed_url()
    client = make_client(down, socialsec_url)
    citizen_id, headers = new_citizen(client)
    client.post("/v1/me/consents", json={"purpose": "traffic_records"}, headers=headers)
    withdrawn = client.delete("/v1/me/consents/traffic_records", headers=headers)
    assert withdrawn.status_code == 200
    assert socialsec.citizens() == [citizen_id]
    item = by_purpose(client, headers)["traffic_records"]
    assert deletions(item) == {"traffic": "pending", "socialsec": "acknowledged"}
    traffic_row = messages(engine, citizen_id)["traffic"]
    assert traffic_row.attempts == 1
    assert traffic_row.last_error is not None and "ConnectError" in traffic_row.last_error
    assert traffic_row.delivered_at is None
    assert as_utc(traffic_row.next_attempt_at) > utcnow()
    # While that deletion is pending, granting traffic again would let it remove new bindings.
    regrant = client.post("/v1/me/consents", json={"purpose": "traffic_records"}, headers=headers)
    assert regrant.status_code == 409
    ok = client.post("/v1/me/consents", json={"purpose": "socialsec_records"}, headers=headers)
    assert ok.status_code == 201
    # Traffic comes back (a fake on a new URL; the integration test restarts the real one).
    traffic = FakeService("traffic")
    with serve_in_thread(traffic) as traffic_url:
        dispatcher: OutboxDispatcher = client.app.state.outbox
        dispatcher.targets["traffic"] = traffic_url
        report = dispatcher.deliver_due(now=utcnow() + timedelta(minutes=2))
    assert (report.delivered, report.failed) == (1, 0)
    assert traffic.citizens() == [citizen_id]
    item = by_purpose(client, headers)["traffic_records"]
    assert deletions(item) == {"traffic": "acknowledged", "socialsec": "acknowledged"}
    regrant = client.post("/v1/me/consents", json={"purpose": "traffic_records"}, headers=headers)
    assert regrant.status_code == 201


def test_the_loop_delivers_without_anyone_asking(
    make_client: Callable[..., TestClient], services: dict
) -> None:
    traffic, traffic_url = services["traffic"]
    socialsec, socialsec_url = services["socialsec"]
    traffic.status = 503
    client = make_client(traffic_url, socialsec_url, interval=0.05, base=0.05)
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
    assert deletions(item) == {"traffic": "acknowledged", "socialsec": "acknowledged"}
    assert socialsec.citizens() == [citizen_id]


def test_404_acknowledges_and_other_errors_retry(
    make_client: Callable[..., TestClient], services: dict, engine: Engine
) -> None:
    traffic, traffic_url = services["traffic"]
    socialsec, socialsec_url = services["socialsec"]
    traffic.status, socialsec.status = 404, 403
    client = make_client(traffic_url, socialsec_url)
    citizen_id, headers = new_citizen(client)
    client.post("/v1/me/consents", json={"purpose": "traffic_records"}, headers=headers)
    client.delete("/v1/me/consents/traffic_records", headers=headers)
    rows = messages(engine, citizen_id)
    assert rows["traffic"].delivered_at is not None
    assert rows["socialsec"].delivered_at is None
    assert rows["socialsec"].last_error is not None
    assert rows["socialsec"].last_error.startswith("HTTP 403")


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


def dispatcher_for(engine: Engine, traffic_url: str, socialsec_url: str) -> OutboxDispatcher:
    return OutboxDispatcher(
        engine=engine,
        targets={"traffic": traffic_url, "socialsec": socialsec_url},
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


def test_failures_back_off_and_are_retried_forever(
    make_client: Callable[..., TestClient], engine: Engine
) -> None:
    make_client(closed_url(), closed_url())  # migrated and seeded; its loop is off
    dispatcher = dispatcher_for(engine, closed_url(), closed_url())
    t0 = utcnow()
    queue(engine, "c-backoff", t0)
    now = t0
    for attempts, delay in enumerate([1, 2, 4, 8, 16, 32, 60, 60], start=1):
        report = dispatcher.deliver_due(now=now)
        assert (report.delivered, report.failed, report.deferred) == (0, 2, 0)
        for row in messages(engine, "c-backoff").values():
            assert row.attempts == attempts
            assert as_utc(row.next_attempt_at) == now + timedelta(seconds=delay)
            assert "ConnectError" in (row.last_error or "")
            assert row.delivered_at is None
        # Nothing is due before the backoff has passed.
        assert dispatcher.deliver_due(now=now + timedelta(seconds=delay - 0.5)).claimed == 0
        now += timedelta(seconds=delay)


def test_a_target_that_failed_is_not_tried_again_in_the_same_pass(
    make_client: Callable[..., TestClient], engine: Engine, services: dict
) -> None:
    make_client(closed_url(), closed_url())
    _, socialsec_url = services["socialsec"]
    dispatcher = dispatcher_for(engine, closed_url(), socialsec_url)
    t0 = utcnow()
    queue(engine, "c-first", t0)
    queue(engine, "c-second", t0)
    report = dispatcher.deliver_due(now=t0)
    assert (report.delivered, report.failed, report.deferred) == (2, 1, 1)
    first, second = messages(engine, "c-first")["traffic"], messages(engine, "c-second")["traffic"]
    assert (first.attempts, second.attempts) == (1, 0)
    assert as_utc(second.next_attempt_at) == t0 + timedelta(seconds=1)
    assert second.last_error == first.last_error


def test_a_claim_is_exclusive_until_its_lease_ends(
    make_client: Callable[..., TestClient], engine: Engine, services: dict
) -> None:
    make_client(closed_url(), closed_url())
    traffic, traffic_url = services["traffic"]
    socialsec, socialsec_url = services["socialsec"]
    t0 = utcnow()
    queue(engine, "c-lease", t0)
    crashed = dispatcher_for(engine, traffic_url, socialsec_url)
    assert len(crashed.claim(now=t0)) == 2  # ...and dies before delivering
    other = dispatcher_for(engine, traffic_url, socialsec_url)
    assert other.deliver_due(now=t0 + LEASE - timedelta(seconds=1)).claimed == 0
    assert other.deliver_due(now=t0 + LEASE).delivered == 2
    assert traffic.citizens() == socialsec.citizens() == ["c-lease"]


def test_only_the_given_ids_are_delivered(
    make_client: Callable[..., TestClient], engine: Engine, services: dict
) -> None:
    make_client(closed_url(), closed_url())
    traffic, traffic_url = services["traffic"]
    _, socialsec_url = services["socialsec"]
    t0 = utcnow()
    queue(engine, "c-first", t0)
    second = queue(engine, "c-second", t0)
    dispatcher = dispatcher_for(engine, traffic_url, socialsec_url)
    assert dispatcher.deliver_due(ids=second, now=t0).delivered == 2
    assert traffic.citizens() == ["c-second"]


def test_concurrent_dispatchers_deliver_each_message_once(
    make_client: Callable[..., TestClient], engine: Engine, services: dict
) -> None:
    make_client(closed_url(), closed_url())
    traffic, traffic_url = services["traffic"]
    socialsec, socialsec_url = services["socialsec"]
    t0 = utcnow()
    for n in range(15):
        queue(engine, f"c-many-{n:02d}", t0)
    barrier = threading.Barrier(4)

    def run() -> None:
        dispatcher = dispatcher_for(engine, traffic_url, socialsec_url)
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
    with Session(engine) as session:
        pending = select(OutboxMessage).where(col(OutboxMessage.delivered_at).is_(None))
        assert session.exec(pending).all() == []


def test_the_cron_command_delivers_what_is_due(
    make_client: Callable[..., TestClient],
    engine: Engine,
    services: dict,
    migrated_database_url: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    make_client(closed_url(), closed_url())
    traffic, traffic_url = services["traffic"]
    _, socialsec_url = services["socialsec"]
    queue(engine, "c-cron", utcnow())
    settings = AccountsSettings(
        database_url=migrated_database_url,
        shared=SharedSettings(env="dev"),
        traffic_url=traffic_url,
        socialsec_url=socialsec_url,
    )
    deliver_outbox_command(settings)
    assert "2 delivered, 0 failed" in capsys.readouterr().out
    assert traffic.citizens() == ["c-cron"]
