"""servicekit.access_log and servicekit.export: a row for every successful read of a citizen's
records, their listing, and the internal export that only the gateway may call for a citizen."""

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import ClassVar

import pytest
from fastapi import APIRouter
from fastapi.testclient import TestClient
from sqlalchemy.pool import StaticPool
from sqlmodel import Field, Session, create_engine, select

from servicekit.access_log import (
    AccessLogBase,
    AccessLogTable,
    AttributedAccessLogBase,
    Reader,
    Reading,
    reader_name,
    reader_text,
)
from servicekit.answers import CITIZEN_HEADER, Answer
from servicekit.app import create_service_app
from servicekit.db import table_base
from servicekit.deps import PageParams, get_session
from servicekit.errors import NotFound
from servicekit.export import PersonalData, export_router, exported, records
from servicekit.identity import Identity
from servicekit.settings import ServiceSettings, SharedSettings
from servicekit.testing import mint_token, service_headers

Table = table_base()
AT = datetime(2026, 12, 3, 8, 30, tzinfo=UTC)


class AccessLog(Table, AttributedAccessLogBase, table=True):
    __tablename__ = "access_log"


class PlainAccessLog(Table, AccessLogBase, table=True):
    """A log without readers, with a column of the service's own (as socialsec's)."""

    __tablename__ = "plain_access_log"
    person_id: int | None = Field(default=None)


class DemoSettings(ServiceSettings):
    service_name: ClassVar[str] = "demo"


LOG = AccessLogTable(AccessLog, resources={"things": "我的物品"})
PLAIN = AccessLogTable(PlainAccessLog, resources={"things": "我的物品"})


@pytest.fixture
def session() -> Iterator[Session]:
    engine = create_engine(
        "sqlite://", connect_args={"check_same_thread": False}, poolclass=StaticPool
    )
    Table.metadata.create_all(engine)
    with Session(engine) as session:
        yield session


def collect(session: Session, citizen_id: str) -> PersonalData:
    return {"access_log": exported(LOG.rows(session, citizen_id=citizen_id))}


def demo_app(session: Session) -> TestClient:
    router = APIRouter(prefix="/v1/me")

    @router.get("/things", dependencies=[LOG.logs("things", "全部")])
    def things() -> list[str]:
        return ["a"]

    @router.get("/missing", dependencies=[LOG.logs("things")])
    def missing() -> list[str]:
        raise NotFound("未找到。")

    app = create_service_app(
        DemoSettings(shared=SharedSettings(env="dev")),
        title="demo",
        routers=[router, LOG.router(), export_router(collect, access_log=LOG)],
    )
    app.dependency_overrides[get_session] = lambda: session
    return TestClient(app)


def staff(*roles: str) -> Identity:
    return Identity(subject="staff-1", roles=frozenset(roles), kind="staff")


@pytest.mark.parametrize(
    ("identity", "chat", "role", "expected"),
    [
        (Identity(subject="c-1"), False, "", "citizen"),
        (Identity(subject="c-1"), True, "", "chat"),
        (staff("traffic_officer", "forecaster"), False, "traffic_officer", "staff:traffic_officer"),
        (staff("x"), False, "", "staff"),
        (
            Identity(subject="gateway", kind="service", issuer="gateway"),
            False,
            "",
            "service:gateway",
        ),
    ],
)
def test_reader_names(identity: Identity, chat: bool, role: str, expected: str) -> None:
    assert reader_name(identity, chat=chat, role=role) == expected


@pytest.mark.parametrize(
    ("reader", "text"),
    [
        ("citizen", "本人"),
        ("chat", "本人（微信聊天）"),
        ("staff:traffic_officer", "工作人员（交警）"),
        ("staff:inspector", "工作人员（特种设备检验员）"),
        ("staff:auditor", "工作人员（auditor）"),
        ("staff", "工作人员"),
        ("service:gateway", "内部服务（gateway）"),
    ],
)
def test_reader_texts(reader: str, text: str) -> None:
    assert reader_text(reader) == text


def test_only_known_resources_are_logged(session: Session) -> None:
    with pytest.raises(ValueError, match="unknown resource"):
        LOG.logs("nothing")
    with pytest.raises(ValueError, match="unknown resource"):
        LOG.record(session, Reading("c-1", "citizen", "r", AT), "nothing")
    # The export and chat answers are known to every service's log.
    assert LOG.resources["export"] == "数据导出" and LOG.resources["chat_answer"] == "聊天查询"


def test_a_staff_read_is_in_the_log_of_the_citizen_whose_records_were_read(
    session: Session,
) -> None:
    reader = Reader(staff("traffic_officer"), "req-9", AT)
    LOG.record(session, reader.reading("c-owner", role="traffic_officer"), "things", "订单1")
    [row] = session.exec(select(AccessLog)).all()
    assert (row.citizen_id, row.reader, row.detail) == ("c-owner", "staff:traffic_officer", "订单1")


def test_reads_are_logged_once_they_succeed_and_listed_to_their_citizen_only(
    session: Session,
) -> None:
    mine, theirs = mint_token("demo", "c-1"), mint_token("demo", "c-2")
    with demo_app(session) as client:
        assert client.get("/v1/me/things", headers=mine).status_code == 200
        assert client.get("/v1/me/missing", headers=mine).status_code == 404
        assert client.get("/v1/me/things", headers=theirs).status_code == 200
        assert client.get("/v1/me/things").status_code == 401  # no reader, no read, no row
        listed = client.get("/v1/me/access-log", headers=mine)
        assert client.get("/v1/me/access-log").status_code == 401
        as_staff = mint_token("demo", "staff-1", roles=["x"], kind="staff")
        assert client.get("/v1/me/access-log", headers=as_staff).status_code == 403
    assert listed.status_code == 200
    page = listed.json()
    assert page["total"] == 1  # the refused read left nothing; c-2's read is c-2's
    [item] = page["items"]
    assert item["resource"] == "things" and item["resource_text"] == "我的物品"
    assert (
        item["detail"] == "全部" and item["reader"] == "citizen" and item["reader_text"] == "本人"
    )
    assert datetime.fromisoformat(item["at"]).utcoffset() == timedelta(hours=8)
    assert item["request_id"]


def test_the_listing_is_newest_first_and_paged(session: Session) -> None:
    for minutes in (0, 2, 1):
        reading = Reading("c-1", "citizen", f"req-{minutes}", AT + timedelta(minutes=minutes))
        LOG.record(session, reading, "things")
    page = LOG.page(session, citizen_id="c-1", page=PageParams(limit=2, offset=0))
    assert page.total == 3
    assert [i.request_id for i in page.items] == ["req-2", "req-1"]


def test_a_chat_answer_is_logged_only_when_it_shows_the_citizens_records(
    session: Session,
) -> None:
    reading = Reading("c-1", "chat", "req-1", AT)
    public = Answer(text="路况良好")
    personal = Answer(text="您有1条违法", personal=True)
    assert LOG.answered(session, reading, intent="roads", answer=public) is public
    assert LOG.answered(session, None, intent="points", answer=personal) is personal
    assert LOG.answered(session, reading, intent="violations", answer=personal) is personal
    [row] = session.exec(select(AccessLog)).all()
    assert (row.resource, row.detail, row.reader) == ("chat_answer", "violations", "chat")


def test_a_log_without_readers_keeps_its_own_columns_and_public_form(session: Session) -> None:
    PLAIN.record(session, Reading("c-1", "chat", "req-1", AT), "things", "x" * 200, person_id=7)
    [row] = session.exec(select(PlainAccessLog)).all()
    assert row.person_id == 7 and len(row.detail) == 128
    [item] = PLAIN.page(session, citizen_id="c-1", page=PageParams(limit=10, offset=0)).items
    assert set(item.model_dump()) == {"at", "resource", "resource_text", "detail", "request_id"}


def test_exported_rows_keep_every_column_with_local_times(session: Session) -> None:
    LOG.record(session, Reading("c-1", "citizen", "req-1", AT), "things")
    LOG.record(session, Reading("c-2", "citizen", "req-2", AT), "things")
    [record] = records(session, AccessLog, AccessLog.citizen_id == "c-1")
    assert record["citizen_id"] == "c-1" and record["reader"] == "citizen"
    assert record["at"] == datetime(2026, 12, 3, 16, 30, tzinfo=record["at"].tzinfo)
    assert record["at"].utcoffset() == timedelta(hours=8)


def export_headers(citizen: str = "c-1", caller: str = "gateway") -> dict[str, str]:
    citizen_token = mint_token("demo", citizen)["Authorization"]
    return {**service_headers(caller, "demo"), CITIZEN_HEADER: citizen_token}


def test_the_export_is_the_callers_citizens_and_is_logged(session: Session) -> None:
    LOG.record(session, Reading("c-2", "citizen", "req-0", AT), "things")
    with demo_app(session) as client:
        answer = client.get("/v1/internal/export", headers=export_headers("c-1"))
    assert answer.status_code == 200
    [row] = answer.json()["access_log"]  # c-2's read is not in c-1's export
    assert (row["citizen_id"], row["resource"], row["reader"]) == ("c-1", "export", "citizen")


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({}, 401),
        (service_headers("gateway", "demo"), 401),  # no citizen: nobody's data
        (export_headers(caller="traffic"), 403),  # only the gateway exports
        (mint_token("demo", "c-1"), 403),  # a citizen token alone is no service call
        (
            {
                **service_headers("gateway", "demo"),
                CITIZEN_HEADER: mint_token("demo", "staff-1", ["x"], "staff")["Authorization"],
            },
            403,
        ),
    ],
    ids=["nothing", "no-citizen", "not-gateway", "citizen-only", "staff-as-citizen"],
)
def test_the_export_is_refused_without_the_gateway_and_a_citizen(
    session: Session, headers: dict[str, str], status: int
) -> None:
    with demo_app(session) as client:
        assert client.get("/v1/internal/export", headers=headers).status_code == status
    assert session.exec(select(AccessLog)).all() == []
