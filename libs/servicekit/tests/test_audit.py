"""servicekit.audit: entries recorded with the write, and `GET /v1/audit` over a service's table."""

from collections.abc import Iterator
from datetime import date, datetime, timedelta

import pytest
from fastapi import Request
from fastapi.testclient import TestClient
from sqlalchemy.pool import StaticPool
from sqlmodel import Session, create_engine, select

from servicekit.app import create_service_app
from servicekit.audit import (
    SYSTEM,
    Actor,
    AuditEntryBase,
    audit_router,
    field_changes,
    staff_actor,
)
from servicekit.db import table_base
from servicekit.deps import get_session
from servicekit.identity import Identity
from servicekit.settings import ServiceSettings, SharedSettings
from servicekit.testing import mint_token

Table = table_base()


class AuditEntry(Table, AuditEntryBase, table=True):
    __tablename__ = "audit_entry"


class DemoSettings(ServiceSettings):
    service_name = "demo"


@pytest.fixture
def session() -> Iterator[Session]:
    engine = create_engine(
        "sqlite://", connect_args={"check_same_thread": False}, poolclass=StaticPool
    )
    Table.metadata.create_all(engine)
    with Session(engine) as session:
        yield session


def test_field_changes_keep_what_differs_with_dates_as_text() -> None:
    old = {"name": "a", "since": date(2020, 1, 2), "kept": 1}
    new = {"name": "b", "since": date(2021, 3, 4), "kept": 1, "added": None}
    assert field_changes(old=old, new=new) == {
        "name": ["a", "b"],
        "since": ["2020-01-02", "2021-03-04"],
    }


def test_an_entry_commits_with_the_write_it_describes(session: Session) -> None:
    AuditEntry.record(
        session=session,
        actor=Actor(subject="staff-1", request_id="req-1"),
        action="update",
        entity="thing",
        entity_id="t1",
        changes={"name": ["a", "b"]},
    )
    session.rollback()
    assert session.exec(select(AuditEntry)).all() == []
    AuditEntry.record(
        session=session, actor=SYSTEM, action="import", entity="thing", entity_id="t2", changes={}
    )
    session.commit()
    [entry] = session.exec(select(AuditEntry)).all()
    assert (entry.actor, entry.request_id, entry.entity_id) == ("system", "", "t2")


def test_the_trail_is_for_the_role_newest_first_and_filtered(session: Session) -> None:
    reader = staff_actor("auditor")
    for entity_id in ("t1", "t2", "t1"):
        AuditEntry.record(
            session=session,
            actor=Actor(subject="staff-1", request_id=f"req-{entity_id}"),
            action="update",
            entity="thing",
            entity_id=entity_id,
            changes={},
        )
    session.commit()
    app = create_service_app(
        DemoSettings(shared=SharedSettings(env="dev")),
        title="demo",
        routers=[
            audit_router(
                AuditEntry,
                reader=reader,
                description="demo trail",
                entities="thing",
                entity_id_example="t1",
            )
        ],
    )
    app.dependency_overrides[get_session] = lambda: session
    auditor = mint_token("demo", "staff-9", roles=["auditor"], kind="staff")
    with TestClient(app) as client:
        assert client.get("/v1/audit").status_code == 401
        other = mint_token("demo", "staff-9", roles=["other"], kind="staff")
        assert client.get("/v1/audit", headers=other).status_code == 403
        citizen = mint_token("demo", "c-1", roles=["auditor"])
        assert client.get("/v1/audit", headers=citizen).status_code == 403
        page = client.get("/v1/audit", headers=auditor).json()
        assert page["total"] == 3
        assert [e["id"] for e in page["items"]] == [3, 2, 1]
        at = datetime.fromisoformat(page["items"][0]["at"])
        assert at.utcoffset() == timedelta(hours=8)
        only = client.get("/v1/audit?entity_id=t1&entity=thing", headers=auditor).json()
        assert [e["request_id"] for e in only["items"]] == ["req-t1", "req-t1"]
        assert client.get("/v1/audit?entity=other", headers=auditor).json()["total"] == 0


def test_staff_actor_names_the_caller_and_the_request() -> None:
    scope = {"type": "http", "headers": [], "state": {"request_id": "req-7"}}
    request = Request(scope)
    identity = Identity(subject="staff-3", roles=frozenset({"x"}), kind="staff")
    assert staff_actor("x")(request, identity) == Actor(subject="staff-3", request_id="req-7")
