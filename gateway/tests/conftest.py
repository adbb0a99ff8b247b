"""Fixtures shared by the gateway tests: the real weather service and accounts registry as
upstreams, the sandbox playing WeChat for the chat accounts, and Redis."""

from collections.abc import Iterator

import pytest
import redis
from sqlmodel import Session

from accounts.main import create_app as create_accounts_app
from accounts.registry_seed import seed_chat_config, seed_registry
from accounts.settings import AccountsSettings
from gateway.settings import WechatAccount
from sandbox.main import create_app as create_sandbox_app
from sandbox.settings import SandboxSettings
from servicekit.settings import SharedSettings
from servicekit.testing import free_port, require, serve_in_thread, serve_seeded_service
from traffic.main import create_app as create_traffic_app
from traffic.seed import seed as seed_traffic
from traffic.settings import TrafficSettings
from weather.main import create_app as create_weather_app
from weather.seed import seed
from weather.settings import WeatherSettings


@pytest.fixture(scope="session")
def weather_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The real weather service on a migrated, seeded temporary database, served on a free port."""
    with serve_seeded_service(
        package="weather",
        folder=tmp_path_factory.mktemp("weather"),
        seed=seed,
        app_factory=lambda url: create_weather_app(
            WeatherSettings(database_url=url, shared=SharedSettings(env="dev"))
        ),
    ) as base:
        yield base


@pytest.fixture(scope="session")
def traffic_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The real traffic service, seeded (the demo citizens' vehicles, licences and bindings
    included), on a free port; its tests only read."""
    with serve_seeded_service(
        package="traffic",
        folder=tmp_path_factory.mktemp("traffic"),
        seed=seed_traffic,
        app_factory=lambda url: create_traffic_app(
            TrafficSettings(database_url=url, shared=SharedSettings(env="dev"))
        ),
    ) as base:
        yield base


# A database of the local Redis that no other part of the suite uses; flushed around each test.
TEST_REDIS_URL = "redis://127.0.0.1:6379/11"


@pytest.fixture
def redis_url() -> Iterator[str]:
    """An empty Redis database (skips locally without Redis; fails under CI=true)."""
    client = redis.Redis.from_url(TEST_REDIS_URL, socket_connect_timeout=1, socket_timeout=1)
    try:
        client.flushdb()
    except redis.RedisError as exc:
        client.close()
        require(f"Redis not reachable at {TEST_REDIS_URL}: {exc}")
    try:
        yield TEST_REDIS_URL
    finally:
        client.flushdb()
        client.close()


@pytest.fixture(autouse=True)
def no_background_menu_sync(monkeypatch: pytest.MonkeyPatch) -> None:
    """Gateways built in tests publish no menus unless a test asks (a keyword argument wins)."""
    monkeypatch.setenv("GATEWAY_WECHAT_MENU_SYNC_SECONDS", "0")


def _registry_only(session: Session) -> str:
    return "; ".join([seed_registry(session=session), seed_chat_config(session=session)])


@pytest.fixture(scope="session")
def registry_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The real accounts service with the seeded registry and chat configuration (read only)."""
    with serve_seeded_service(
        package="accounts",
        folder=tmp_path_factory.mktemp("registry"),
        seed=_registry_only,
        app_factory=lambda url: create_accounts_app(
            AccountsSettings(database_url=url, shared=SharedSettings(env="dev"))
        ),
    ) as base:
        yield base


CHAT_ACCOUNT_CODES = ("dgjj", "dgtq", "dgsb", "gxhk", "lxdl", "dgtj")


@pytest.fixture(scope="session")
def chat_accounts() -> list[WechatAccount]:
    """The six chat accounts with test credentials, for the gateway and the sandbox alike."""
    return [
        WechatAccount(code=c, appid=f"wxgwchat000{c}", token=f"tk-{c}", app_secret=f"s-{c}")
        for c in CHAT_ACCOUNT_CODES
    ]


@pytest.fixture
def sandbox_accounts(chat_accounts: list[WechatAccount]) -> list[WechatAccount]:
    """The accounts `chat_sandbox_url` plays WeChat for (a test module may override this)."""
    return chat_accounts


@pytest.fixture
def chat_sandbox_url(sandbox_accounts: list[WechatAccount]) -> Iterator[str]:
    """A fresh sandbox playing WeChat for the accounts (its own callbacks go nowhere)."""
    settings = SandboxSettings(
        wechat_accounts=[a.model_dump() for a in sandbox_accounts],
        gateway_url=f"http://127.0.0.1:{free_port()}",
        shared=SharedSettings(env="dev"),
    )
    with serve_in_thread(create_sandbox_app(settings)) as url:
        yield url
