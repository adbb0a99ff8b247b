"""Fixtures shared by the gateway tests: fake answering services and a fake registry (chat
configurations and menus) as upstreams, the sandbox playing WeChat for the chat accounts, and
Redis. No service package is imported: the gateway knows the services only by their HTTP."""

from __future__ import annotations

import asyncio
import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from typing import Annotated, Any

import pytest
import redis
from fastapi import FastAPI, Header, Response
from fastapi.responses import JSONResponse

from gateway.internal import create_internal_app
from gateway.listeners import GatewayListeners
from gateway.main import create_app as create_gateway_app
from gateway.settings import SERVICES, GatewaySettings, WechatAccount
from sandbox.main import create_app as create_sandbox_app
from sandbox.settings import SandboxSettings
from servicekit.answers import Answer, AnswerRequest, CitizenNeed, IntentCatalogue, IntentInfo
from servicekit.errors import PROBLEM_JSON, Unauthorized
from servicekit.identity import verify_token
from servicekit.settings import SharedSettings
from servicekit.testing import TEST_SECRET, free_port, require, serve_in_thread

# No service answers here: the listener tests reach only the platform.
CLOSED = "http://127.0.0.1:9"
# Databases of the local Redis that nothing else uses, one per pytest-xdist worker (`make test`
# runs at most this many): each test flushes its worker's database, never another worker's.
TEST_REDIS_DATABASES = range(8, 16)


def worker_redis_url() -> str:
    """The Redis database of this test process (xdist worker gw<n>, or the only process)."""
    worker = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw"))
    return f"redis://127.0.0.1:6379/{TEST_REDIS_DATABASES[worker % len(TEST_REDIS_DATABASES)]}"


@pytest.fixture
def redis_url() -> Iterator[str]:
    """This worker's Redis database, empty (skips locally without Redis; fails under CI=true)."""
    url = worker_redis_url()
    client = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)
    try:
        client.flushdb()
    except redis.RedisError as exc:
        client.close()
        require(f"Redis not reachable at {url}: {exc}")
    try:
        yield url
    finally:
        client.flushdb()
        client.close()


@pytest.fixture(autouse=True)
def no_background_menu_sync(monkeypatch: pytest.MonkeyPatch) -> None:
    """Gateways built in tests publish no menus unless a test asks (a keyword argument wins)."""
    monkeypatch.setenv("GATEWAY_WECHAT_MENU_SYNC_SECONDS", "0")


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


# -- a fake chat: answering services and the registry's chat side --------------------------------

AnswerScript = Answer | Callable[[AnswerRequest, str | None], Answer]


@dataclass(frozen=True)
class Asked:
    """One answer the gateway asked for: the intent's name, what it sent, and the citizen_id
    its X-Citizen-Authorization vouched for (None without one)."""

    name: str
    request: AnswerRequest
    citizen: str | None


def _caller(authorization: str, audience: str, secret: str) -> str:
    """The verified service caller of `Authorization: Bearer <service token>`."""
    identity = verify_token(authorization.removeprefix("Bearer "), secret=secret, audience=audience)
    if identity.kind != "service":
        raise Unauthorized("not a service token")
    return identity.issuer


class FakeService:
    """A service answering chat intents as scripted (servicekit.answers), recording each call:
    `answers` maps an intent's name to its Answer, or to a function of (request, citizen_id)."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.url = ""
        self.secret = TEST_SECRET  # the gateway's internal token secret
        self.intents: dict[str, CitizenNeed] = {}
        self.answers: dict[str, AnswerScript] = {}
        self.delay = 0.0
        self.status = 200
        self.catalogue_status = 200
        self.body: bytes | None = None  # answered (with 200) instead of the scripted answer
        self.catalogue_reads = 0
        self.callers: list[str] = []
        self.asked: list[Asked] = []

    def serves(self, name: str, answer: AnswerScript | str, citizen: CitizenNeed = "none") -> None:
        """Answer the intent `name` (a plain string is a text answer)."""
        self.intents[name] = citizen
        self.answers[name] = Answer(text=answer) if isinstance(answer, str) else answer

    def app(self) -> FastAPI:
        """The service's internal answer endpoints."""
        app = FastAPI()

        @app.get("/v1/internal/answers", response_model=None)
        async def catalogue(
            authorization: Annotated[str, Header()],
        ) -> IntentCatalogue | Response:
            self.callers.append(_caller(authorization, self.name, self.secret))
            self.catalogue_reads += 1
            if self.catalogue_status != 200:
                return Response(status_code=self.catalogue_status)
            intents = [IntentInfo(name=n, citizen=c) for n, c in self.intents.items()]
            return IntentCatalogue(service=self.name, intents=intents)

        @app.post("/v1/internal/answers/{name}", response_model=None)
        async def answer(
            name: str,
            request: AnswerRequest,
            authorization: Annotated[str, Header()],
            x_citizen_authorization: Annotated[str | None, Header()] = None,
        ) -> Answer | Response:
            self.callers.append(_caller(authorization, self.name, self.secret))
            citizen = None
            if x_citizen_authorization is not None:
                token = x_citizen_authorization.removeprefix("Bearer ")
                citizen = verify_token(token, secret=self.secret, audience=self.name).subject
            self.asked.append(Asked(name, request, citizen))
            await asyncio.sleep(self.delay)
            script = self.answers.get(name)
            if script is None:
                return Response(status_code=404)
            if self.status != 200:
                return Response("oops", status_code=self.status)
            if self.body is not None:
                return Response(self.body, media_type="application/json")
            return script if isinstance(script, Answer) else script(request, citizen)

        return app


class FakeRegistry:
    """The accounts registry's chat side: each account's chat configuration (`configs`), the
    follower events it was told of, chatting citizens resolved to `citizen-<unionid>` (or
    `citizen-<openid>` without one), and each citizen's `consents` (purpose -> status)."""

    def __init__(self) -> None:
        self.url = ""
        self.secret = TEST_SECRET
        self.configs: dict[str, dict[str, Any]] = {}
        self.follower_events: list[dict[str, Any]] = []
        self.resolved: list[dict[str, Any]] = []
        self.consents: dict[str, dict[str, str]] = {}

    def app(self) -> FastAPI:
        """The registry's endpoints the chat uses."""
        app = FastAPI()

        @app.get("/v1/accounts/{code}/chat-config", response_model=None)
        async def chat_config(code: str) -> dict[str, Any] | Response:
            config = self.configs.get(code)
            if not config:
                # As the registry answers for an account it does not know.
                problem = {"title": "Not Found", "status": 404, "detail": f"未找到公众号 {code}。"}
                return JSONResponse(problem, status_code=404, media_type=PROBLEM_JSON)
            return {"account_code": code, **config}

        @app.post("/v1/internal/followers/events", status_code=201)
        async def follower_event(
            event: dict[str, Any], authorization: Annotated[str, Header()]
        ) -> dict[str, str]:
            _caller(authorization, "accounts", self.secret)
            self.follower_events.append(event)
            return {"status": "recorded"}

        @app.post("/v1/internal/citizens/resolve")
        async def resolve(
            body: dict[str, Any], authorization: Annotated[str, Header()]
        ) -> dict[str, str]:
            _caller(authorization, "accounts", self.secret)
            self.resolved.append(body)
            return {"citizen_id": f"citizen-{body.get('unionid') or body['openid']}"}

        @app.get("/v1/me/consents")
        async def consents(authorization: Annotated[str, Header()]) -> dict[str, list[Any]]:
            token = authorization.removeprefix("Bearer ")
            citizen = verify_token(token, secret=self.secret, audience="accounts").subject
            granted = self.consents.get(citizen, {})
            return {"items": [{"purpose": p, "status": s} for p, s in granted.items()]}

        return app


@pytest.fixture
def fake_service() -> Iterator[Callable[[str], FakeService]]:
    """`fake_service(name)`: a FakeService served for this test (its `url` set)."""
    with ExitStack() as stack:

        def serve(name: str) -> FakeService:
            service = FakeService(name)
            service.url = stack.enter_context(serve_in_thread(service.app()))
            return service

        yield serve


@pytest.fixture
def fake_registry() -> Iterator[FakeRegistry]:
    """A FakeRegistry served for this test (its `url` set), with no account configured."""
    registry = FakeRegistry()
    with serve_in_thread(registry.app()) as url:
        registry.url = url
        yield registry


@contextmanager
def serving(settings: GatewaySettings) -> Iterator[tuple[str, str]]:
    """Both listeners of `python -m gateway serve` (one event loop, in a thread) on free ports:
    (public URL, internal URL)."""
    public = create_gateway_app(settings)
    listeners = GatewayListeners(
        public, create_internal_app(public), host="127.0.0.1", port=0, internal_port=0
    )
    sockets = (socket.create_server(("127.0.0.1", 0)), socket.create_server(("127.0.0.1", 0)))
    thread = threading.Thread(target=asyncio.run, args=(listeners.serve(sockets),), daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not listeners.started:
        assert thread.is_alive() and time.monotonic() < deadline, "gateway did not start"
        time.sleep(0.02)
    try:
        public_url, internal_url = (f"http://127.0.0.1:{s.getsockname()[1]}" for s in sockets)
        yield public_url, internal_url
    finally:
        listeners.stop()
        thread.join(timeout=10)
        for sock in sockets:
            sock.close()


@pytest.fixture
def gateway_listeners(
    chat_accounts: list[WechatAccount],
) -> Iterator[Callable[..., tuple[str, str]]]:
    """Serve the gateway's two listeners with the platform at `platform_url` and no service
    reachable: (public URL, internal URL). Settings (a service's URL too) may be overridden;
    stopped at teardown."""
    with ExitStack() as stack:

        def serve(platform_url: str, **overrides: Any) -> tuple[str, str]:
            closed = {f"{name}_url": CLOSED for name in SERVICES}
            settings = GatewaySettings(
                wechat_api_base_url=platform_url,
                wechat_accounts=chat_accounts,
                shared=SharedSettings(env="dev"),
                **(closed | overrides),
            )
            return stack.enter_context(serving(settings))

        yield serve
