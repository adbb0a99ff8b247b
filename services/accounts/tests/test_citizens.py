"""Citizens: stable ids keyed by unionid, per-account openids, the no-unionid fallback."""

import threading
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from accounts.citizens import resolve_citizen_committed
from accounts.citizens_seed import seed_demo_citizens
from accounts.main import create_app
from accounts.models import Citizen, Consent, OutboxMessage
from accounts.settings import AccountsSettings
from servicekit.db import make_engine
from servicekit.settings import SharedSettings
from servicekit.testing import mint_token, seed_database, service_headers
from wechat.demo_citizens import DEMO_CITIZENS


def gateway() -> dict[str, str]:
    """Fresh gateway service-token headers (tokens live 60 s; a long run outlives one)."""
    return service_headers("gateway", "accounts")


UNIONID = "o6_bmasdasdsad6_2sgVt7hMZOPfL"


@pytest.fixture
def client(registry_only_database_url: str) -> Iterator[TestClient]:
    """The app on the registry alone: these tests make their own followers and citizens."""
    settings = AccountsSettings(
        database_url=registry_only_database_url, shared=SharedSettings(env="dev")
    )
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def resolve(
    client: TestClient, openid: str, account_code: str = "dgjj", unionid: str | None = None
) -> str:
    """Resolve through the API and return the citizen id."""
    body = {"account_code": account_code, "openid": openid, "unionid": unionid}
    response = client.post("/v1/internal/citizens/resolve", json=body, headers=gateway())
    assert response.status_code == 200, response.text
    return response.json()["citizen_id"]


def detail(client: TestClient, citizen_id: str) -> dict:
    """The citizen as the gateway sees it."""
    response = client.get(f"/v1/internal/citizens/{citizen_id}", headers=gateway())
    assert response.status_code == 200, response.text
    return response.json()


@pytest.fixture
def engine(client: TestClient, registry_only_database_url: str) -> Iterator[Engine]:
    engine = make_engine(registry_only_database_url)
    yield engine
    engine.dispose()


def test_a_unionid_gets_a_stable_random_id(client: TestClient) -> None:
    first = resolve(client, "oJJ-openid-dgjj-0001", unionid=UNIONID)
    assert first.startswith("c-") and len(first) == 34
    assert UNIONID not in first
    assert resolve(client, "oJJ-openid-dgjj-0001", unionid=UNIONID) == first
    assert detail(client, first) == {
        "citizen_id": first,
        "provisional": False,
        "openids": [{"account_code": "dgjj", "openid": "oJJ-openid-dgjj-0001"}],
    }


def test_one_person_across_accounts(client: TestClient) -> None:
    citizen = resolve(client, "oJJ-openid-dgjj-0002", "dgjj", unionid=UNIONID)
    assert resolve(client, "oSB-openid-dgsb-0002", "dgsb", unionid=UNIONID) == citizen
    assert resolve(client, "oDL-openid-lxdl-0002", "lxdl", unionid=UNIONID) == citizen
    assert [o["account_code"] for o in detail(client, citizen)["openids"]] == [
        "dgjj",
        "dgsb",
        "lxdl",
    ]
    other = resolve(client, "oJJ-openid-dgjj-0003", "dgjj", unionid="o6_another_person_unionid")
    assert other != citizen


def test_without_a_unionid_the_openid_keys_a_provisional_citizen(client: TestClient) -> None:
    citizen = resolve(client, "oJJ-no-unionid-0001")
    assert resolve(client, "oJJ-no-unionid-0001") == citizen
    assert detail(client, citizen)["provisional"] is True
    # The same openid with its unionid later: the provisional citizen adopts it and keeps its id.
    assert resolve(client, "oJJ-no-unionid-0001", unionid=UNIONID) == citizen
    assert detail(client, citizen)["provisional"] is False
    assert resolve(client, "oSB-openid-dgsb-0009", "dgsb", unionid=UNIONID) == citizen
    # Once known, the openid alone finds the same citizen.
    assert resolve(client, "oJJ-no-unionid-0001") == citizen


def test_an_empty_unionid_means_none(client: TestClient) -> None:
    citizen = resolve(client, "oJJ-empty-unionid-01", unionid="")
    assert detail(client, citizen)["provisional"] is True


def test_a_provisional_citizen_merges_into_the_unionid_holder(
    client: TestClient, engine: Engine
) -> None:
    owner = resolve(client, "oSB-openid-dgsb-0100", "dgsb", unionid=UNIONID)
    provisional = resolve(client, "oJJ-openid-dgjj-0100", "dgjj")
    consented = client.post(
        "/v1/me/consents",
        json={"purpose": "traffic_records"},
        headers=mint_token("accounts", provisional),
    )
    assert consented.status_code == 201
    assert resolve(client, "oJJ-openid-dgjj-0100", "dgjj", unionid=UNIONID) == owner
    assert [o["openid"] for o in detail(client, owner)["openids"]] == [
        "oJJ-openid-dgjj-0100",
        "oSB-openid-dgsb-0100",
    ]
    assert detail(client, provisional)["openids"] == []
    with Session(engine) as session:
        consent = session.exec(select(Consent).where(Consent.citizen_id == provisional)).one()
        assert consent.withdrawn_at is not None
        targets = session.exec(
            select(OutboxMessage.target).where(OutboxMessage.citizen_id == provisional)
        ).all()
        assert sorted(targets) == ["inspection", "socialsec", "traffic"]


def test_an_openid_of_another_person_is_a_conflict(client: TestClient) -> None:
    resolve(client, "oJJ-openid-dgjj-0200", unionid=UNIONID)
    response = client.post(
        "/v1/internal/citizens/resolve",
        json={"account_code": "dgjj", "openid": "oJJ-openid-dgjj-0200", "unionid": "o6_other"},
        headers=gateway(),
    )
    assert response.status_code == 409
    assert response.headers["content-type"] == "application/problem+json"


def test_an_openid_is_bound_to_its_account(client: TestClient) -> None:
    resolve(client, "oJJ-openid-dgjj-0300", "dgjj", unionid=UNIONID)
    response = client.post(
        "/v1/internal/citizens/resolve",
        json={"account_code": "dgsb", "openid": "oJJ-openid-dgjj-0300", "unionid": UNIONID},
        headers=gateway(),
    )
    assert response.status_code == 409


def test_a_new_openid_with_the_same_account_replaces_the_old_one(client: TestClient) -> None:
    citizen = resolve(client, "oJJ-openid-dgjj-old", "dgjj", unionid=UNIONID)
    assert resolve(client, "oJJ-openid-dgjj-new", "dgjj", unionid=UNIONID) == citizen
    assert detail(client, citizen)["openids"] == [
        {"account_code": "dgjj", "openid": "oJJ-openid-dgjj-new"}
    ]


def test_unknown_account_is_404(client: TestClient) -> None:
    response = client.post(
        "/v1/internal/citizens/resolve",
        json={"account_code": "atlantis", "openid": "oJJ-openid-0001"},
        headers=gateway(),
    )
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert "atlantis" in response.json()["detail"]


def test_unknown_citizen_is_404(client: TestClient) -> None:
    response = client.get("/v1/internal/citizens/c-nobody", headers=gateway())
    assert response.status_code == 404


@pytest.mark.slow
@pytest.mark.parametrize(
    "body",
    [
        {"account_code": "dgjj"},
        {"account_code": "dgjj", "openid": "has space"},
        {"account_code": "dgjj", "openid": "o" * 65},
        {"account_code": "dgjj", "openid": "oJJ-ok", "unionid": "provisional:c-123"},
    ],
)
def test_bad_identities_are_422(client: TestClient, body: dict) -> None:
    response = client.post("/v1/internal/citizens/resolve", json=body, headers=gateway())
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize(
    ("method", "path"),
    [("POST", "/v1/internal/citizens/resolve"), ("GET", "/v1/internal/citizens/c-x")],
)
def test_only_the_gateway_may_call(client: TestClient, method: str, path: str) -> None:
    body = {"account_code": "dgjj", "openid": "oJJ-openid-auth"}
    assert client.request(method, path, json=body).status_code == 401
    wrong_audience = service_headers("gateway", "traffic")
    assert client.request(method, path, json=body, headers=wrong_audience).status_code == 401
    for headers in (
        mint_token("accounts", "c-someone"),
        mint_token("accounts", "staff-1", roles=["registry_admin"], kind="staff"),
        service_headers("traffic", "accounts"),
    ):
        assert client.request(method, path, json=body, headers=headers).status_code == 403


@pytest.mark.slow
def test_concurrent_first_sightings_make_one_citizen(client: TestClient, engine: Engine) -> None:
    barrier = threading.Barrier(4)
    results: list[str] = []

    def work(account_code: str, openid: str) -> None:
        with Session(engine) as session:
            barrier.wait()
            results.append(
                resolve_citizen_committed(
                    session, account_code=account_code, openid=openid, unionid=UNIONID
                )
            )

    threads = [
        threading.Thread(target=work, args=args)
        for args in [
            ("dgjj", "oJJ-race-0001"),
            ("dgjj", "oJJ-race-0001"),
            ("dgsb", "oSB-race-0001"),
            ("lxdl", "oDL-race-0001"),
        ]
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 4 and len(set(results)) == 1
    with Session(engine) as session:
        assert len(session.exec(select(Citizen).where(Citizen.unionid == UNIONID)).all()) == 1
    assert len(detail(client, results[0])["openids"]) == 3


def test_a_demo_citizen_signing_in_is_the_seeded_citizen_the_other_services_know(
    registry_only_database_url: str,
) -> None:
    assert seed_database(
        registry_only_database_url, lambda session: seed_demo_citizens(session=session)
    ).startswith(f"{len(DEMO_CITIZENS)} demo citizens created")
    settings = AccountsSettings(
        database_url=registry_only_database_url, shared=SharedSettings(env="dev")
    )
    with TestClient(create_app(settings)) as client:
        for person in DEMO_CITIZENS:
            openid = person.openid("wxdev0000000dgtq")
            assert resolve(client, openid, "dgtq", unionid=person.unionid) == person.citizen_id
    again = seed_database(
        registry_only_database_url, lambda session: seed_demo_citizens(session=session)
    )
    assert again.startswith("0 demo citizens created")
