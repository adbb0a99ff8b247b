"""servicekit.bindings: the refused-proof throttle and the removal of a citizen's bindings."""

import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import ClassVar

import pytest
from fastapi import APIRouter
from fastapi.testclient import TestClient
from pydantic_settings import SettingsConfigDict
from sqlalchemy.pool import StaticPool
from sqlmodel import Field, Session, create_engine, select

from servicekit.app import create_service_app
from servicekit.bindings import (
    Attempt,
    BindingFailureBase,
    BindingTables,
    BindingThrottleSettings,
    Throttle,
    retry_after_seconds,
)
from servicekit.contract_checks import assert_bindings_deletion_contract
from servicekit.db import table_base
from servicekit.deps import get_session
from servicekit.errors import NotFound, TooManyRequests
from servicekit.settings import ServiceSettings, SharedSettings
from servicekit.testing import mint_token, service_headers

Table = table_base()
NOW = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)
THROTTLE = Throttle(max_failures=3, window=timedelta(hours=1))


class Binding(Table, table=True):
    id: int | None = Field(default=None, primary_key=True)
    citizen_id: str


class BindingFailure(Table, BindingFailureBase, table=True):
    __tablename__ = "binding_failure"


class DemoSettings(BindingThrottleSettings, ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="DEMO_")
    service_name: ClassVar[str] = "demo"


BINDINGS = BindingTables(Binding, BindingFailure, log=logging.getLogger("demo.bindings"))


@pytest.fixture
def session() -> Iterator[Session]:
    engine = create_engine(
        "sqlite://", connect_args={"check_same_thread": False}, poolclass=StaticPool
    )
    Table.metadata.create_all(engine)
    with Session(engine) as session:
        yield session


@pytest.mark.parametrize(
    ("ages_minutes", "wait"),
    [
        ([], 0),
        ([10, 20], 0),
        ([10, 20, 30], 30 * 60),
        ([5, 10, 20, 30], 40 * 60),
        ([10, 20, 70], 0),
    ],
)
def test_retry_after_counts_only_failures_within_the_window(
    ages_minutes: list[int], wait: int
) -> None:
    failures = [NOW - timedelta(minutes=m) for m in ages_minutes]
    assert retry_after_seconds(failures=failures, now=NOW, throttle=THROTTLE) == wait


def test_refusals_past_the_limit_are_429_with_retry_after(session: Session) -> None:
    for minutes in (3, 2, 1):
        attempt = Attempt("c-1", NOW - timedelta(minutes=minutes), THROTTLE)
        refused = BINDINGS.refuse(session, attempt, detail="核验未通过。", fields=["a", "b"])
        assert refused.status == 422 and refused.detail == "核验未通过。"
        assert [e["field"] for e in refused.errors or []] == ["a", "b"]
    BINDINGS.check_throttle(session, Attempt("c-2", NOW, THROTTLE))
    with pytest.raises(TooManyRequests) as caught:
        BINDINGS.check_throttle(session, Attempt("c-1", NOW, THROTTLE))
    assert caught.value.headers == {"Retry-After": str(57 * 60)}
    assert caught.value.detail == "核验失败次数过多，请约57分钟后再试。"


def test_a_citizen_removes_only_their_own_binding(session: Session) -> None:
    session.add_all([Binding(id=1, citizen_id="c-1"), Binding(id=2, citizen_id="c-2")])
    session.commit()
    with pytest.raises(NotFound):
        BINDINGS.delete(session, citizen_id="c-1", binding_id=2)
    with pytest.raises(NotFound):
        BINDINGS.delete(session, citizen_id="c-1", binding_id=3)
    BINDINGS.delete(session, citizen_id="c-1", binding_id=1)
    assert [b.id for b in session.exec(select(Binding)).all()] == [2]


def test_delete_all_removes_bindings_and_refusals_of_that_citizen_only(session: Session) -> None:
    session.add_all(
        [Binding(citizen_id="c-1"), Binding(citizen_id="c-1"), Binding(citizen_id="c-2")]
    )
    session.add_all([BindingFailure(citizen_id=c, failed_at=NOW) for c in ("c-1", "c-2")])
    session.commit()
    assert BINDINGS.delete_all(session, citizen_id="c-1") == 2
    assert BINDINGS.delete_all(session, citizen_id="c-1") == 0
    assert [b.citizen_id for b in session.exec(select(Binding)).all()] == ["c-2"]
    assert [f.citizen_id for f in session.exec(select(BindingFailure)).all()] == ["c-2"]


def test_the_internal_route_keeps_the_deletion_contract(session: Session) -> None:
    session.add(Binding(citizen_id="c-0123456789abcdef"))
    session.commit()
    app = create_service_app(
        DemoSettings(shared=SharedSettings(env="dev")),
        title="demo",
        routers=[BINDINGS.internal_router()],
    )
    app.dependency_overrides[get_session] = lambda: session
    with TestClient(app) as client:
        path = "/v1/internal/citizens/c-0123456789abcdef/bindings"
        assert client.delete(path, headers=service_headers("accounts", "demo")).status_code == 204
        assert session.exec(select(Binding)).all() == []
        assert_bindings_deletion_contract(client, "demo")


def test_the_removal_route_removes_only_the_callers_binding(session: Session) -> None:
    session.add_all([Binding(id=1, citizen_id="c-1"), Binding(id=2, citizen_id="c-2")])
    session.commit()
    router = APIRouter(prefix="/v1/me/bindings")
    BINDINGS.add_removal_route(router, summary="解除绑定")
    app = create_service_app(
        DemoSettings(shared=SharedSettings(env="dev")), title="demo", routers=[router]
    )
    app.dependency_overrides[get_session] = lambda: session
    with TestClient(app) as client:
        headers = mint_token("demo", "c-1")
        refused = client.delete("/v1/me/bindings/2", headers=headers)
        assert refused.status_code == 404
        assert refused.json()["detail"] == "未找到该绑定。"
        assert client.delete("/v1/me/bindings/1").status_code == 401
        removed = client.delete("/v1/me/bindings/1", headers=headers)
        assert removed.status_code == 204 and removed.content == b""
    assert [b.id for b in session.exec(select(Binding)).all()] == [2]


def test_throttle_settings_read_the_service_prefix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DEMO_BINDING_MAX_FAILURES", "7")
    monkeypatch.setenv("DEMO_BINDING_FAILURE_WINDOW_SECONDS", "60")
    settings = DemoSettings(shared=SharedSettings(env="dev"))
    assert settings.binding_throttle == Throttle(max_failures=7, window=timedelta(seconds=60))
