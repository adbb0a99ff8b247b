"""The typed state `create_service_app` keeps on its app, built and read only here.

The app's settings, and for a part that owns a database its engine and the gate of its
connection places, are one `ServiceState` kept with the app (`keep`); everything else reads them
through `service_state`, `database_of` and `engine_of` (or `servicekit.deps`' dependencies),
never through `app.state`. `keep` and `kept` serve a part's own typed state the same way.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeVar

from sqlalchemy.engine import Engine
from starlette.applications import Starlette

from servicekit.db import DatabaseGate, make_engine
from servicekit.settings import ServiceSettings

T = TypeVar("T")


@dataclass(frozen=True)
class Database:
    """A part's own database: its engine, and the gate admitting requests to its connections."""

    engine: Engine
    gate: DatabaseGate

    @classmethod
    def open(cls, settings: ServiceSettings) -> Database:
        """An engine on `settings.database_url` and a gate, both sized by `settings`."""
        engine = make_engine(
            settings.database_url,
            pool_size=settings.db_pool_size,
            max_overflow=settings.db_max_overflow,
            pool_timeout=settings.db_wait_seconds,
        )
        return cls(
            engine, DatabaseGate(settings.db_pool_size, wait_seconds=settings.db_wait_seconds)
        )


@dataclass(frozen=True)
class ServiceState:
    """An app's settings and, when it owns one, its database."""

    settings: ServiceSettings
    database: Database | None = None

    def close(self) -> None:
        """Close the database's pooled connections (when the app stops)."""
        if self.database is not None:
            self.database.engine.dispose()


def keep(app: Starlette, kind: type[T], value: T) -> None:
    """Keep `value` with `app` as its one `kind`, for `kept(app, kind)` to find (a part's typed
    state: its settings, clients and caches, each kept by the module that builds it)."""
    if not hasattr(app.state, "kept"):
        app.state.kept = {}
    app.state.kept[kind] = value


def kept(app: Starlette, kind: type[T]) -> T:
    """The `kind` kept with `app`; LookupError when none was."""
    value = getattr(app.state, "kept", {}).get(kind)
    if not isinstance(value, kind):
        raise LookupError(f"no {kind.__name__} is kept with this app")
    return value


def service_state(app: Starlette) -> ServiceState:
    """The state `create_service_app` kept with `app`."""
    return kept(app, ServiceState)


def database_of(app: Starlette) -> Database:
    """The database of `app`; RuntimeError for an app that owns none."""
    database = service_state(app).database
    if database is None:
        raise RuntimeError("this app owns no database (create_service_app without `package`)")
    return database


def engine_of(app: Starlette) -> Engine:
    """The database engine of `app` (for work outside requests: schedules, outboxes, webhooks)."""
    return database_of(app).engine
