"""A fresh sandbox per test, playing WeChat for one service and one subscription account.

Callbacks go to a port nobody listens on unless a test module overrides `gateway_url`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from sandbox.main import create_app
from sandbox.settings import SandboxSettings
from sandbox.state import SandboxState
from sandbox.wiring import sandbox_of
from servicekit.settings import SharedSettings
from servicekit.testing import free_port

# dgjj is a service account (东莞交警) and dgtq a subscription account (东莞天气).
ACCOUNTS = [
    {"code": "dgjj", "appid": "wxtest0000000dgjj", "token": "t-dgjj", "app_secret": "s-dgjj"},
    {"code": "dgtq", "appid": "wxtest0000000dgtq", "token": "t-dgtq", "app_secret": "s-dgtq"},
]


@pytest.fixture
def limits() -> dict[str, Any]:
    """Overrides of the sandbox's limits (override this fixture in a test module)."""
    return {}


@pytest.fixture
def accounts() -> list[dict[str, str]]:
    """The accounts the sandbox plays WeChat for (override this fixture in a test module)."""
    return ACCOUNTS


@pytest.fixture
def gateway_url() -> str:
    """Where the sandbox posts callbacks: by default a port nobody listens on."""
    return f"http://127.0.0.1:{free_port()}"


@pytest.fixture
def client(
    limits: dict[str, Any], accounts: list[dict[str, str]], gateway_url: str
) -> Iterator[TestClient]:
    """A client of a fresh sandbox."""
    settings = SandboxSettings(
        wechat_accounts=accounts,
        gateway_url=gateway_url,
        shared=SharedSettings(env="dev"),
        **limits,
    )
    with TestClient(create_app(settings)) as c:
        yield c


@pytest.fixture
def state(client: TestClient) -> SandboxState:
    """The sandbox's state (to move its clock)."""
    return sandbox_of(client.app)


@pytest.fixture
def appid() -> dict[str, str]:
    """Appid per account code."""
    return {a["code"]: a["appid"] for a in ACCOUNTS}


@pytest.fixture
def token(client: TestClient, appid: dict[str, str]) -> Callable[[str], str]:
    """Fetch a new access token for an account code."""
    secrets = {a["code"]: a["app_secret"] for a in ACCOUNTS}

    def fetch(code: str) -> str:
        params = {"grant_type": "client_credential", "appid": appid[code], "secret": secrets[code]}
        return client.get("/cgi-bin/token", params=params).json()["access_token"]

    return fetch


@pytest.fixture
def openid(client: TestClient) -> Callable[[str, str], str]:
    """A citizen's openid with an account code."""

    def lookup(citizen: str, code: str) -> str:
        items = client.get("/sandbox/citizens").json()["items"]
        return next(c["openids"][code] for c in items if c["id"] == citizen)

    return lookup


@pytest.fixture
def follow(client: TestClient) -> Callable[[str, str], None]:
    """Make a citizen follow an account code (which also opens the reply window)."""

    def do(citizen: str, code: str) -> None:
        assert client.put(f"/sandbox/citizens/{citizen}/follows/{code}").json()["following"]

    return do


@pytest.fixture
def inbox(client: TestClient) -> Callable[..., list[dict[str, Any]]]:
    """A citizen's inbox items (keyword arguments become query parameters)."""

    def read(citizen: str, **params: Any) -> list[dict[str, Any]]:
        return client.get(f"/sandbox/citizens/{citizen}/inbox", params=params).json()["items"]

    return read
