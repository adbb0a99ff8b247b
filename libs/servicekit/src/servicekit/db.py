"""Engines, sessions, per-service metadata and alembic helpers.

SQLite by default, PostgreSQL through psycopg 3.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import MetaData, event, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import registry
from sqlmodel import Session, SQLModel, create_engine

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


def make_engine(url: str) -> Engine:
    """Create an engine; SQLite gets its parent folder, WAL and foreign keys."""
    url = normalise_url(url)
    kwargs: dict[str, Any] = {"pool_pre_ping": True}
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        kwargs = {"connect_args": {"check_same_thread": False, "timeout": 30}}
    engine = create_engine(url, **kwargs)
    if url.startswith("sqlite"):

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA journal_mode=WAL")
            cur.close()

    return engine


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
