"""Engines, sessions, per-service metadata and alembic helpers.

SQLite by default, PostgreSQL through psycopg 3.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, TypeVar

import anyio
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import MetaData, event, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import registry
from sqlmodel import Session, SQLModel, create_engine

from servicekit.errors import Conflict, ServiceBusy

# Connections held for requests (the gate admits this many requests at once), and the extra
# ones the pool may open for work outside requests (outbox, reconciliation, webhooks).
POOL_SIZE = 10
MAX_OVERFLOW = 5
# How long a request waits for a database place, or a checkout for a connection, before the
# service answers 503: a surge is turned away in seconds instead of stalling every request.
WAIT_SECONDS = 2.0
# PostgreSQL connections are renewed before servers or proxies drop idle ones (often at 1 h).
RECYCLE_SECONDS = 1800
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def table_base() -> type[SQLModel]:
    """A fresh abstract SQLModel base with its own metadata: services' tables never mix."""
    return type(
        "TableBase",
        (SQLModel,),
        {},
        registry=registry(metadata=MetaData(naming_convention=NAMING_CONVENTION)),
    )


def normalise_url(url: str) -> str:
    """Pin PostgreSQL URLs to psycopg 3."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def make_engine(
    url: str,
    *,
    pool_size: int = POOL_SIZE,
    max_overflow: int = MAX_OVERFLOW,
    pool_timeout: float = WAIT_SECONDS,
) -> Engine:
    """Create an engine with a bounded pool whose checkout gives up after `pool_timeout`;
    SQLite gets its parent folder, WAL and foreign keys, PostgreSQL pre-ping and recycling."""
    url = normalise_url(url)
    pool: dict[str, Any] = {
        "pool_size": pool_size,
        "max_overflow": max_overflow,
        "pool_timeout": pool_timeout,
    }
    kwargs: dict[str, Any] = {**pool, "pool_pre_ping": True, "pool_recycle": RECYCLE_SECONDS}
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        in_memory = not path or path == ":memory:" or url == "sqlite://"
        if not in_memory:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        kwargs = {"connect_args": {"check_same_thread": False, "timeout": 30}}
        if not in_memory:
            # An in-memory database lives in one connection, so it has no pool to size.
            kwargs.update(pool)
    engine = create_engine(url, **kwargs)
    if url.startswith("sqlite"):

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA journal_mode=WAL")
            cur.close()

    return engine


class DatabaseGate:
    """Admits at most `size` requests at once to the database; the others wait, off the
    threadpool, up to `wait_seconds`, then get a 503.

    Sized to the pool, it guarantees every admitted request a connection. Without it a sync
    endpoint that returns holding a connection (its session closes after the response is
    validated, in another threadpool hop) waits for a worker thread while every worker waits in
    the pool's checkout for a connection: the service stalls until the checkout times out.
    """

    def __init__(self, size: int, *, wait_seconds: float = WAIT_SECONDS) -> None:
        self.size = size
        self.wait_seconds = wait_seconds
        # One limiter per event loop: tests serve one app from several loops.
        self._limiters: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, anyio.CapacityLimiter]
        self._limiters = weakref.WeakKeyDictionary()

    def _limiter(self) -> anyio.CapacityLimiter:
        loop = asyncio.get_running_loop()
        limiter = self._limiters.get(loop)
        if limiter is None:
            limiter = self._limiters[loop] = anyio.CapacityLimiter(self.size)
        return limiter

    @asynccontextmanager
    async def admit(self) -> AsyncIterator[None]:
        """Hold one place for the body; ServiceBusy when none frees within `wait_seconds`."""
        limiter, holder, admitted = self._limiter(), object(), False
        with anyio.move_on_after(self.wait_seconds):
            await limiter.acquire_on_behalf_of(holder)
            admitted = True
        if not admitted:
            raise ServiceBusy()
        try:
            yield
        finally:
            limiter.release_on_behalf_of(holder)


def session_scope(engine: Engine) -> Iterator[Session]:
    """Yield one session per request."""
    with Session(engine) as session:
        yield session


def alembic_config(package: str, url: str) -> Config:
    """Alembic config for `<package>:migrations` against `url`, without needing alembic.ini."""
    cfg = Config()
    cfg.set_main_option("script_location", f"{package}:migrations")
    cfg.set_main_option("sqlalchemy.url", normalise_url(url).replace("%", "%%"))
    return cfg


def upgrade(package: str, url: str, revision: str = "head") -> None:
    """Migrate the database of `package` up to `revision`."""
    command.upgrade(alembic_config(package, url), revision)


def downgrade(package: str, url: str, revision: str = "base") -> None:
    """Migrate the database of `package` down to `revision`."""
    command.downgrade(alembic_config(package, url), revision)


def migration_status(package: str, engine: Engine) -> dict[str, Any]:
    """Current and head revisions; raises if the database cannot be reached."""
    script = ScriptDirectory.from_config(alembic_config(package, str(engine.url)))
    heads = set(script.get_heads())
    with engine.connect() as conn:
        conn.execute(text("SELECT 1"))
        current = set(MigrationContext.configure(conn).get_current_heads())
    return {"current": sorted(current), "head": sorted(heads), "at_head": current == heads}


def run_migrations_online(target_metadata: MetaData) -> None:
    """Body of every service's migrations/env.py (called inside alembic's context)."""
    from alembic import context

    url = context.config.get_main_option("sqlalchemy.url")
    connectable = context.config.attributes.get("connection")
    if connectable is not None:
        _run(context, connectable, target_metadata)
        return
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            _run(context, connection, target_metadata)
    finally:
        engine.dispose()


def _run(context: Any, connection: Any, target_metadata: MetaData) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


R = TypeVar("R", bound=SQLModel)


def save_or_conflict(session: Session, row: R, *, conflict: str) -> R:
    """Insert `row`, or 409 with `conflict` when a concurrent request inserted the same first."""
    session.add(row)
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        raise Conflict(conflict) from None
    session.refresh(row)
    return row
