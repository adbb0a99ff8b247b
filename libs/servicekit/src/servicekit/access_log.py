"""The access log (PIPL): every read of a citizen's personal records leaves a row they can list.

A row says whose records were read (the citizen_id), what (a resource and a detail without
personal data), when, under which request id (to trace it through the gateway's logs) and, in
an `AttributedAccessLogBase` table, who read: the citizen themself in the app (`citizen`) or in
the chat (`chat`), a staff member by the role that let them (`staff:<role>`), or a part of the
suite (`service:<part>`). Each service keeps its own table in its own metadata::

    class AccessLog(Table, AttributedAccessLogBase, table=True):
        __tablename__ = "access_log"

    ACCESS_LOG = AccessLogTable(AccessLog, resources={"violations": "交通违法记录"})

logs a citizen's read of their own records with `dependencies=[ACCESS_LOG.logs("violations")]`
(written once the route succeeded), any other read with `ACCESS_LOG.record(...)`, and serves
`GET /v1/me/access-log` with `ACCESS_LOG.router()`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, ClassVar, Self

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel
from sqlalchemy import DateTime
from sqlmodel import Field, Session, SQLModel, col, select

from servicekit.answers import Answer, ChatCitizenDep
from servicekit.clock import NowDep, local
from servicekit.deps import Page, PageDep, PageParams, SessionDep, paginate
from servicekit.identity import CitizenDep, Identity, IdentityDep

EXPORT_RESOURCE = "export"
CHAT_RESOURCE = "chat_answer"
# Resources every service logs under the same name: its data export and its chat answers.
COMMON_RESOURCES = {EXPORT_RESOURCE: "数据导出", CHAT_RESOURCE: "聊天查询"}
# What staff roles are called in a citizen's access log; an unknown role is shown as it is.
ROLE_NAMES = {
    "traffic_officer": "交警",
    "socialsec_officer": "社保经办人员",
    "registry_admin": "名录管理员",
    "inspector": "特种设备检验员",
}
CITIZEN_READER = "citizen"
CHAT_READER = "chat"
READER_NAMES = {CITIZEN_READER: "本人", CHAT_READER: "本人（微信聊天）"}


def reader_name(identity: Identity, *, chat: bool = False, role: str = "") -> str:
    """How the log names the caller: `citizen`, `chat`, `staff:<role>` (the role the read
    needed) or `service:<part>`."""
    if identity.kind == "citizen":
        return CHAT_READER if chat else CITIZEN_READER
    if identity.kind == "staff":
        return f"staff:{role}" if role else "staff"
    return f"service:{identity.issuer}"


def reader_text(reader: str) -> str:
    """The reader as the citizen reads it: 本人, 工作人员（交警）, 内部服务（gateway）…"""
    kind, _, name = reader.partition(":")
    if kind == "staff":
        return f"工作人员（{ROLE_NAMES.get(name, name)}）" if name else "工作人员"
    if kind == "service":
        return f"内部服务（{name}）"
    return READER_NAMES.get(reader, reader)


@dataclass(frozen=True)
class Reading:
    """One read: whose records, by whom (`reader_name`), under which request, when."""

    citizen_id: str
    reader: str
    request_id: str
    at: datetime


def request_id_of(request: Request) -> str:
    """The request's id, as the middleware set it."""
    return str(getattr(request.state, "request_id", ""))


def own_reading(request: Request, citizen: CitizenDep, now: NowDep) -> Reading:
    """FastAPI dependency: the calling citizen reading their own records in the app."""
    return Reading(citizen.subject, reader_name(citizen), request_id_of(request), now)


OwnReadingDep = Annotated[Reading, Depends(own_reading)]


def chat_reading(request: Request, citizen: ChatCitizenDep, now: NowDep) -> Reading | None:
    """FastAPI dependency: the chatting citizen the gateway identified, reading their own
    records in the chat (None when it identified nobody)."""
    if citizen is None:
        return None
    return Reading(citizen.subject, CHAT_READER, request_id_of(request), now)


ChatReadingDep = Annotated[Reading | None, Depends(chat_reading)]


@dataclass(frozen=True)
class Reader:
    """The caller of a read whose records may be another's (a staff member, a service)."""

    identity: Identity
    request_id: str
    at: datetime

    def reading(self, citizen_id: str, *, role: str = "", chat: bool = False) -> Reading:
        """This caller reading `citizen_id`'s records; `role` is the staff role the read needed."""
        name = reader_name(self.identity, chat=chat, role=role)
        return Reading(citizen_id, name, self.request_id, self.at)


def current_reader(request: Request, identity: IdentityDep, now: NowDep) -> Reader:
    """FastAPI dependency: the caller, whoever they are, as a reader."""
    return Reader(identity, request_id_of(request), now)


ReaderDep = Annotated[Reader, Depends(current_reader)]


class AccessLogPublic(BaseModel):
    """One read of the citizen's personal records."""

    at: datetime
    resource: str
    resource_text: str
    detail: str
    request_id: str


class AttributedAccessLogPublic(AccessLogPublic):
    """One read of the citizen's personal records, and who read."""

    reader: str
    reader_text: str


class AccessLogBase(SQLModel):
    """The columns of one read: whose records, what, when, under which request."""

    public_model: ClassVar[type[AccessLogPublic]] = AccessLogPublic
    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(sa_type=DateTime(timezone=True))
    citizen_id: str = Field(max_length=40, index=True)
    resource: str = Field(max_length=32)
    detail: str = Field(max_length=128)
    request_id: str = Field(max_length=128)

    @classmethod
    def of(cls, reading: Reading, *, resource: str, detail: str, **columns: Any) -> Self:
        """The row of `reading` (the service's own `columns` added)."""
        return cls(
            at=reading.at,
            citizen_id=reading.citizen_id,
            resource=resource,
            detail=detail[:128],
            request_id=reading.request_id[:128],
            **columns,
        )

    def public(self, resources: Mapping[str, str]) -> AccessLogPublic:
        """The row as its citizen lists it."""
        return AccessLogPublic(**self._public_fields(resources))

    def _public_fields(self, resources: Mapping[str, str]) -> dict[str, Any]:
        return {
            "at": local(self.at),
            "resource": self.resource,
            "resource_text": resources.get(self.resource, self.resource),
            "detail": self.detail,
            "request_id": self.request_id,
        }


class AttributedAccessLogBase(AccessLogBase):
    """The columns of one read, with who read."""

    public_model: ClassVar[type[AccessLogPublic]] = AttributedAccessLogPublic
    reader: str = Field(max_length=64, description="citizen | chat | staff:<role> | service:<part>")

    @classmethod
    def of(cls, reading: Reading, *, resource: str, detail: str, **columns: Any) -> Self:
        """The row of `reading`, naming its reader."""
        return super().of(
            reading, resource=resource, detail=detail, reader=reading.reader, **columns
        )

    def public(self, resources: Mapping[str, str]) -> AccessLogPublic:
        """The row as its citizen lists it, with who read."""
        return AttributedAccessLogPublic(
            **self._public_fields(resources),
            reader=self.reader,
            reader_text=reader_text(self.reader),
        )


@dataclass(frozen=True)
class AccessLogTable:
    """A service's access-log table and the names of the resources it logs reads of."""

    table: type[AccessLogBase]
    resources: Mapping[str, str]

    def __post_init__(self) -> None:
        object.__setattr__(self, "resources", {**self.resources, **COMMON_RESOURCES})

    def record(
        self, session: Session, reading: Reading, resource: str, detail: str = "", **columns: Any
    ) -> None:
        """Write the row of one read, committing it with whatever the request changed."""
        if resource not in self.resources:
            raise ValueError(f"unknown resource {resource!r}")
        session.add(self.table.of(reading, resource=resource, detail=detail, **columns))
        session.commit()

    def answered(
        self, session: Session, reading: Reading | None, *, intent: str, answer: Answer
    ) -> Answer:
        """`answer` to a chat message, its read logged when it shows the citizen's records."""
        if answer.personal and reading is not None:
            self.record(session, reading, CHAT_RESOURCE, intent)
        return answer

    def logs(self, resource: str, detail: str = "") -> Any:
        """A route dependency: once the route has answered without error, the calling citizen's
        read of their own `resource` is logged (a refused or failed read leaves no row)."""
        if resource not in self.resources:
            raise ValueError(f"unknown resource {resource!r}")

        def log_after(reading: OwnReadingDep, session: SessionDep) -> Iterator[None]:
            yield
            self.record(session, reading, resource, detail)

        # scope="function": the row is written before the answer leaves, so a listing made
        # right after the answer already holds it.
        return Depends(log_after, scope="function")

    def page(self, session: Session, *, citizen_id: str, page: PageParams) -> Page[Any]:
        """Every read of the citizen's records, newest first."""
        table = self.table
        return paginate(
            session,
            select(table).where(col(table.citizen_id) == citizen_id),
            page,
            order_by=(col(table.at).desc(), col(table.id).desc()),
            public=lambda rows: [r.public(self.resources) for r in rows],
        )

    def rows(self, session: Session, *, citizen_id: str) -> list[AccessLogBase]:
        """Every row of the citizen's access log, oldest first (for their data export)."""
        table = self.table
        query = select(table).where(col(table.citizen_id) == citizen_id).order_by(col(table.id))
        return list(session.exec(query).all())

    def router(self, *, summary: str = "我的个人记录访问记录") -> APIRouter:
        """`GET /v1/me/access-log`: the calling citizen's access log, newest first."""
        router = APIRouter(prefix="/v1/me", tags=["me"])

        @router.get("/access-log", response_model=Page[self.table.public_model], summary=summary)
        def access_log(citizen: CitizenDep, session: SessionDep, page: PageDep) -> Page[Any]:
            """Every read of personal records made of the caller's data, newest first: what was
            read, when, under which request id, and who read."""
            return self.page(session, citizen_id=citizen.subject, page=page)

        return router
