"""Test helpers, loaded as a pytest plugin: fresh migrated databases, apps on them, tokens.

`TEST_DATABASE=postgres` moves every database onto PostgreSQL (`TEST_POSTGRES_URL`); each test
gets a database of its own, created and dropped here. Without a reachable server such tests
skip, except under `CI=true`, where a missing server is a failure.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import functools
import hashlib
import importlib
import inspect
import os
import shutil
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import MetaData, create_engine, text
from sqlalchemy.engine import make_url
from sqlmodel import Session

import servicekit
import wechat
from servicekit.clock import today
from servicekit.db import upgrade
from servicekit.identity import issue_token, service_token
from servicekit.settings import DEV_INTERNAL_TOKEN_SECRET

DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
TEST_SECRET = DEV_INTERNAL_TOKEN_SECRET


def pytest_configure(config: pytest.Config) -> None:
    """Let the test process's httpx clients share their default TLS contexts.

    httpx builds a new context for every client made without a transport, reading certifi's
    CA bundle each time (about 40 ms); tests make hundreds of clients, all on plain-HTTP
    loopback. A context is keyed by its arguments, so one that differs is still built apart.
    """
    import httpx._transports.default as transports

    transports.create_ssl_context = functools.lru_cache(maxsize=16)(transports.create_ssl_context)


def require(reason: str) -> None:
    """Skip for a missing external dependency, but fail under CI=true where it must be present."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"required under CI: {reason}")
    pytest.skip(reason)


def metric_value(exposition: str, name: str, **labels: str) -> float | None:
    """The value of the sample `name` with exactly `labels` in a `/metrics` text; None if absent."""
    for family in text_string_to_metric_families(exposition):
        for sample in family.samples:
            if sample.name == name and sample.labels == labels:
                return sample.value
    return None


def postgres_admin_url() -> str:
    """The PostgreSQL server the tests create their databases on."""
    return os.environ.get("TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL)


def using_postgres() -> bool:
    """True when this test run targets PostgreSQL."""
    return os.environ.get("TEST_DATABASE", "sqlite") == "postgres"


def create_postgres_database(template: str | None = None) -> str:
    """Create a database on the test server (empty, or a copy of `template`) and return its URL.

    Skips (fails under CI=true) when the server cannot be reached.
    """
    admin = make_url(postgres_admin_url())
    name = f"gw_test_{uuid.uuid4().hex[:12]}"
    copy_of = f' TEMPLATE "{template}"' if template else ""
    try:
        engine = create_engine(admin, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"{copy_of}'))
        engine.dispose()
    except Exception as exc:
        require(f"PostgreSQL not reachable at {admin.render_as_string()}: {exc}")
    return admin.set(database=name).render_as_string(hide_password=False)


def drop_postgres_database(url: str) -> None:
    """Drop a database made by `create_postgres_database`."""
    target = make_url(url)
    engine = create_engine(make_url(postgres_admin_url()), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)'))
    engine.dispose()


@pytest.fixture
def empty_database_url(tmp_path: Path) -> Iterator[str]:
    """URL of a new, empty database (SQLite file, or PostgreSQL with TEST_DATABASE=postgres)."""
    if using_postgres():
        url = create_postgres_database()
        yield url
        drop_postgres_database(url)
    else:
        yield f"sqlite:///{tmp_path / 'test.db'}"


class SeededTemplates:
    """Databases migrated and seeded once, cloned for each test.

    Seeding realistic demo data takes seconds; copying a SQLite file or creating a PostgreSQL
    database from a template takes milliseconds, and every test still gets its own database.
    SQLite templates live in pytest's cache folder, shared by the xdist workers and kept between
    runs under a name hashing everything they are built from (`_template_digest`).
    """

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.urls: dict[str, str] = {}

    def template(self, key: str, package: str, seed: Callable[[Session], str]) -> str:
        """URL of the template database for `key`, built on first use."""
        if key not in self.urls:
            if using_postgres():
                url = create_postgres_database()
                upgrade(package, url)
                seed_database(url, seed)
            else:
                url = f"sqlite:///{self._sqlite_template(key, package, seed)}"
            self.urls[key] = url
        return self.urls[key]

    def _sqlite_template(self, key: str, package: str, seed: Callable[[Session], str]) -> Path:
        """The cached file for this key and its sources; the first worker to need it builds it."""
        path = self.folder / f"{key}-{_template_digest(package, seed)}.db"
        with (self.folder / f"{key}.lock").open("w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if not path.exists():
                for stale in self.folder.glob(f"{key}-*.db"):
                    stale.unlink()
                # Built aside and renamed: a run killed mid-seed leaves no half-seeded template.
                building = path.with_suffix(f".{os.getpid()}.tmp")
                url = f"sqlite:///{building}"
                upgrade(package, url)
                seed_database(url, seed)
                building.replace(path)
        return path

    def close(self) -> None:
        """Drop the PostgreSQL templates (SQLite ones stay cached for the next run)."""
        if using_postgres():
            for url in self.urls.values():
                drop_postgres_database(url)


def _template_digest(package: str, seed: Callable[[Session], str]) -> str:
    """A hash of what a template is built from: the service's package (migrations, seed code and
    data), the shared libraries, the folder the seed function is written in, and today's date in
    Asia/Shanghai, so that a seed reading the clock is rebuilt daily."""
    folders = {
        Path(module.__file__).parent
        for module in (importlib.import_module(package), servicekit, wechat)
        if module.__file__
    }
    folders.add(Path(inspect.getfile(seed)).parent)
    digest = hashlib.sha256(f"{package}:{seed.__qualname__}:{today()}".encode())
    for folder in sorted(folders):
        for file in sorted(folder.rglob("*")):
            if file.is_file() and "__pycache__" not in file.parts:
                digest.update(str(file.relative_to(folder)).encode())
                digest.update(file.read_bytes())
    return digest.hexdigest()[:16]


@pytest.fixture(scope="session")
def seeded_templates(request: pytest.FixtureRequest) -> Iterator[SeededTemplates]:
    """The cache of seeded template databases, in pytest's cache folder (`--cache-clear`)."""
    templates = SeededTemplates(request.config.cache.mkdir("seeded-templates"))
    yield templates
    templates.close()


@contextmanager
def database_from_template(template_url: str, folder: Path) -> Iterator[str]:
    """A database of its own with the template's schema and rows, dropped afterwards."""
    if using_postgres():
        url = create_postgres_database(template=make_url(template_url).database)
        try:
            yield url
        finally:
            drop_postgres_database(url)
        return
    copy = folder / "test.db"
    shutil.copyfile(template_url.removeprefix("sqlite:///"), copy)
    yield f"sqlite:///{copy}"


def _no_rows(session: Session) -> str:
    """The seed of a template that is only migrated."""
    return "no rows"


@pytest.fixture
def migrated_database_url(
    request: pytest.FixtureRequest, seeded_templates: SeededTemplates, tmp_path: Path
) -> Iterator[str]:
    """A database of its own for this test, migrated to head for the service named by the
    `service_package` fixture and empty (cloned from a template: migrating takes 0.1-0.2 s)."""
    package = request.getfixturevalue("service_package")
    template = seeded_templates.template(f"{package}-migrated", package, _no_rows)
    with database_from_template(template, tmp_path) as url:
        yield url


@pytest.fixture
def seeded_database_url(
    request: pytest.FixtureRequest, seeded_templates: SeededTemplates, tmp_path: Path
) -> Iterator[str]:
    """A database of its own for this test, migrated and seeded with the service's full seed.

    Needs the `service_package` and `service_seed` fixtures of the service's conftest.
    """
    package = request.getfixturevalue("service_package")
    seed = request.getfixturevalue("service_seed")
    template = seeded_templates.template(f"{package}-{seed.__name__}", package, seed)
    with database_from_template(template, tmp_path) as url:
        yield url


def mint_token(
    service: str, subject: str = "c-test", roles: list[str] | None = None, kind: str = "citizen"
) -> dict[str, str]:
    """Headers with an internal token as the gateway would send it."""
    token = issue_token(
        secret=TEST_SECRET, audience=service, subject=subject, roles=roles, kind=kind
    )
    return {"Authorization": f"Bearer {token}"}


def service_headers(caller: str, audience: str) -> dict[str, str]:
    """Headers with the token a part (`caller`) sends to another's `/v1/internal/...`."""
    return {
        "Authorization": "Bearer "
        + service_token(secret=TEST_SECRET, caller=caller, audience=audience)
    }


def assert_migrations_cycle(package: str, url: str) -> None:
    """upgrade -> downgrade to base -> upgrade leaves the schema at head."""
    from sqlalchemy import inspect

    from servicekit.db import downgrade, make_engine, migration_status

    upgrade(package, url)
    downgrade(package, url, "base")
    engine = make_engine(url)
    try:
        leftover = set(inspect(engine).get_table_names()) - {"alembic_version"}
        assert not leftover, f"downgrade left tables behind: {sorted(leftover)}"
        upgrade(package, url)
        assert migration_status(package, engine)["at_head"]
    finally:
        engine.dispose()


def assert_models_match_migrations(package: str, url: str, metadata: MetaData) -> None:
    """After migrating to head, autogenerate finds nothing: models and migrations agree."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from servicekit.db import make_engine

    upgrade(package, url)
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            ctx = MigrationContext.configure(conn, opts={"compare_type": True})
            diff = compare_metadata(ctx, metadata)
    finally:
        engine.dispose()
    assert not diff, f"models and migrations of {package} differ: {diff}"


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(url: str, *, seconds: float = 30.0, status: int = 200) -> None:
    """Poll `url` until it answers `status`."""
    deadline = time.monotonic() + seconds
    last = ""
    while time.monotonic() < deadline:
        try:
            response = httpx.get(url, timeout=2)
            if response.status_code == status:
                return
            last = f"{response.status_code} {response.text[:200]}"
        except httpx.HTTPError as exc:
            last = repr(exc)
        time.sleep(0.2)
    raise TimeoutError(f"{url} not ready: {last}")


def seed_database(url: str, seed: Callable[[Session], str]) -> str:
    """Run a service's seed function on the database at `url`; return its summary."""
    from servicekit.db import make_engine

    engine = make_engine(url)
    try:
        with Session(engine) as session:
            return seed(session)
    finally:
        engine.dispose()


class _PromptServer(uvicorn.Server):
    """A uvicorn server that stops as soon as it is asked, not at its next 0.1 s tick.

    Dozens of tests start and stop servers; uvicorn's polling main loop made each stop wait.
    """

    _loop: asyncio.AbstractEventLoop | None = None

    async def main_loop(self) -> None:
        self._stop = asyncio.Event()
        self._loop = asyncio.get_running_loop()
        counter = 0
        # on_tick refreshes the Date header every tenth tick and reports should_exit.
        while not await self.on_tick(counter):
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), timeout=1.0)
            counter += 10

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        """uvicorn's shutdown, polling for open connections and tasks every 5 ms where uvicorn
        first sleeps 0.1 s whatever is open (a tenth of a second per server, per test)."""
        for server in self.servers:
            server.close()
        for sock in sockets or []:
            sock.close()
        for connection in list(self.server_state.connections):
            connection.shutdown()
        state = self.server_state
        try:
            async with asyncio.timeout(self.config.timeout_graceful_shutdown):
                while state.connections or state.tasks:
                    await asyncio.sleep(0.005)
        except TimeoutError:
            for task in state.tasks:
                task.cancel(msg="Task cancelled, timeout graceful shutdown exceeded")
        for server in self.servers:
            await server.wait_closed()
        await self.lifespan.shutdown()

    def stop(self) -> None:
        """Ask the server to shut down now (from any thread)."""
        self.should_exit = True
        if self._loop is not None:
            with contextlib.suppress(RuntimeError):
                self._loop.call_soon_threadsafe(self._stop.set)


@contextmanager
def serve_in_thread(app: Any) -> Iterator[str]:
    """Serve an ASGI app with uvicorn in a background thread on a free port; yield its URL.

    The socket is bound before the server starts, so no other process can take the port.
    """
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    # A short graceful shutdown: a deliberately hung request must not hold teardown up.
    config = uvicorn.Config(app, log_config=None, access_log=False, timeout_graceful_shutdown=1)
    server = _PromptServer(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "server did not start"
        time.sleep(0.005)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.stop()
        thread.join(timeout=10)
        sock.close()


@contextmanager
def process_database(folder: Path, name: str) -> Iterator[str]:
    """A new, empty database for a part run as a process: a SQLite file in `folder`, or with
    TEST_DATABASE=postgres a PostgreSQL database of its own, dropped afterwards."""
    if using_postgres():
        url = create_postgres_database()
        try:
            yield url
        finally:
            drop_postgres_database(url)
        return
    yield f"sqlite:///{folder / f'{name}.db'}"


# Numbers no database column holds: past PostgreSQL's INTEGER, past BIGINT, past 64 bits.
