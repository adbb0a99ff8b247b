"""Menus published from the accounts registry: the conversion to WeChat's `menu/create` body, and
syncs against a fake registry and the sandbox (the background loop and the CLI command too)."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from fastapi.testclient import TestClient

from gateway.__main__ import main
from gateway.main import create_app
from gateway.platform import PlatformClient
from gateway.settings import GatewaySettings, WechatAccount
from gateway.upstreams import Upstreams
from gateway.wechat.menus import InvalidMenu, MenuOutcome, MenuPublisher, wechat_menu
from servicekit.settings import SharedSettings
from servicekit.testing import free_port

if TYPE_CHECKING:
    from conftest import FakeRegistry

# -- the conversion ------------------------------------------------------------------------------

CLICK = {"type": "click", "name": "今日天气", "key": "WEATHER_TODAY"}
VIEW = {"type": "view", "name": "办事指南", "url": "https://h5.example.cn/guides"}
MINIPROGRAM = {
    "type": "miniprogram",
    "name": "预约",
    "url": "https://h5.example.cn/book",
    "appid": "wxminiprog0001",
    "pagepath": "pages/book/index",
}


@pytest.mark.parametrize(
    ("menu", "expected"),
    [
        ({"button": [CLICK]}, {"button": [CLICK]}),
        ({"button": [VIEW, MINIPROGRAM]}, {"button": [VIEW, MINIPROGRAM]}),
        (
            {"button": [{"name": "服务", "sub_button": [CLICK, VIEW]}, CLICK]},
            {"button": [{"name": "服务", "sub_button": [CLICK, VIEW]}, CLICK]},
        ),
        # menu/get's shape: an empty sub_button on every leaf, a menuid; neither is published.
        (
            {
                "button": [
                    {**CLICK, "sub_button": []},
                    {"name": "服务", "sub_button": [{**VIEW, "sub_button": []}]},
                ],
                "menuid": 208396938,
            },
            {"button": [CLICK, {"name": "服务", "sub_button": [VIEW]}]},
        ),
        # Fields another type would take are left out.
        (
            {"button": [{**VIEW, "key": "STRAY"}, {**CLICK, "url": "https://x"}]},
            {"button": [VIEW, CLICK]},
        ),
        (
            {"button": [{"type": "scancode_push", "name": "扫码", "key": "SCAN"}]},
            {"button": [{"type": "scancode_push", "name": "扫码", "key": "SCAN"}]},
        ),
    ],
    ids=["click", "view-miniprogram", "sub-buttons", "menu-get-shape", "stray-fields", "scancode"],
)
def test_registry_menu_to_menu_create_body(menu: dict[str, Any], expected: dict[str, Any]) -> None:
    assert wechat_menu(menu) == expected


@pytest.mark.parametrize(
    "menu",
    [
        {},
        {"button": []},
        {"button": [{"type": "click", "key": "NO_NAME"}]},
        {"button": [{"type": "click", "name": "无键"}]},
        {"button": [{"type": "view", "name": "无链接"}]},
        {"button": [{"type": "teleport", "name": "未知", "key": "K"}]},
        {"button": [{"name": "无类型"}]},
        {"button": [{"name": "一级", "sub_button": [{"name": "二级", "sub_button": [CLICK]}]}]},
        {"button": ["not a button"]},
    ],
    ids=[
        "no-button",
        "empty",
        "no-name",
        "click-no-key",
        "view-no-url",
        "unknown-type",
        "no-type",
        "three-levels",
        "not-object",
    ],
)
def test_menus_that_cannot_be_published_are_refused(menu: dict[str, Any]) -> None:
    with pytest.raises(InvalidMenu):
        wechat_menu(menu)


# -- syncing against the registry and the sandbox ------------------------------------------------

CHAT_CODES = ("dgjj", "dgtq", "dgsb", "gxhk", "lxdl", "dgtj")
# dgbj is in the registry with a chat configuration but no menu; gwtest is unknown to it.
NO_MENU_CODES = ("dgbj", "gwtest")


def account_menu(code: str) -> dict[str, Any]:
    """A menu of the account `code`, unlike any other account's."""
    return {
        "button": [
            {"type": "click", "name": "今日天气", "key": f"{code.upper()}_TODAY"},
            {
                "name": "服务",
                "sub_button": [
                    {"type": "view", "name": "办事指南", "url": f"https://h5.example.cn/{code}"},
                    {"type": "scancode_push", "name": "扫码", "key": f"{code.upper()}_SCAN"},
                ],
            },
        ]
    }


@pytest.fixture
def registry(fake_registry: FakeRegistry) -> FakeRegistry:
    """The registry: a menu for each chat account; dgbj configured without one."""
    fake_registry.configs = {code: {"menu": account_menu(code)} for code in CHAT_CODES}
    fake_registry.configs["dgbj"] = {"welcome_text": "欢迎关注"}
    return fake_registry


@pytest.fixture
def registry_url(registry: FakeRegistry) -> str:
    return registry.url


@pytest.fixture
def sandbox_accounts(chat_accounts: list[WechatAccount]) -> list[WechatAccount]:
    """The chat accounts, and two the registry has no menu for."""
    extra = [
        WechatAccount(code=c, appid=f"wxgwnomenu{c}", token=f"tk-{c}", app_secret=f"s-{c}")
        for c in NO_MENU_CODES
    ]
    return [*chat_accounts, *extra]


@pytest.fixture
async def platform(
    chat_sandbox_url: str, sandbox_accounts: list[WechatAccount]
) -> AsyncIterator[PlatformClient]:
    client = PlatformClient(chat_sandbox_url, sandbox_accounts)
    await client.start()
    yield client
    await client.close()


async def started_upstreams(accounts_url: str, *, open_seconds: float = 10.0) -> Upstreams:
    upstreams = Upstreams(
        {"accounts": accounts_url},
        connect_timeout=1.0,
        total_timeout=5.0,
        open_seconds=open_seconds,
    )
    await upstreams.start()
    return upstreams


@pytest.fixture
async def upstreams(registry_url: str) -> AsyncIterator[Upstreams]:
    made = await started_upstreams(registry_url)
    yield made
    await made.close()


def codes(accounts: list[WechatAccount]) -> list[str]:
    return [a.code for a in accounts]


async def registry_menu(registry_url: str, code: str) -> dict[str, Any]:
    async with httpx.AsyncClient() as http:
        response = await http.get(f"{registry_url}/v1/accounts/{code}/chat-config")
    response.raise_for_status()
    return response.json()["menu"]


async def menu_creates(sandbox_url: str) -> int:
    """How many menu/create calls the sandbox has answered."""
    async with httpx.AsyncClient() as http:
        stats = (await http.get(f"{sandbox_url}/sandbox/stats")).json()
    return stats["api_calls"].get("/cgi-bin/menu/create", 0)


OTHER_MENU = {"button": [{"type": "click", "name": "旧菜单", "key": "OLD"}]}


@pytest.mark.slow
async def test_sync_publishes_the_registry_menus_once(
    upstreams: Upstreams,
    platform: PlatformClient,
    registry_url: str,
    chat_sandbox_url: str,
    sandbox_accounts: list[WechatAccount],
) -> None:
    # The accounts without a registry menu keep the menus they have on the platform.
    for code in NO_MENU_CODES:
        await platform.publish_menu(code, OTHER_MENU)
    publisher = MenuPublisher(upstreams, platform, codes(sandbox_accounts))

    first = await publisher.sync()
    assert first.failures == {}
    assert first.outcomes == {
        **{code: MenuOutcome.PUBLISHED for code in CHAT_CODES},
        **{code: MenuOutcome.NO_MENU for code in NO_MENU_CODES},
    }
    for code in CHAT_CODES:
        assert await platform.get_menu(code) == await registry_menu(registry_url, code)
    for code in NO_MENU_CODES:
        assert await platform.get_menu(code) == OTHER_MENU
    creates = await menu_creates(chat_sandbox_url)
    assert creates == len(CHAT_CODES) + len(NO_MENU_CODES)

    # Nothing changed: nothing is published.
    second = await publisher.sync()
    assert set(second.outcomes.values()) == {MenuOutcome.UNCHANGED, MenuOutcome.NO_MENU}
    assert await menu_creates(chat_sandbox_url) == creates

    # A menu changed on the platform is put back; the others are left alone.
    await platform.publish_menu("dgtq", OTHER_MENU)
    third = await publisher.sync()
    assert third.outcomes["dgtq"] is MenuOutcome.PUBLISHED
    assert [c for c, o in third.outcomes.items() if o is MenuOutcome.PUBLISHED] == ["dgtq"]
    assert await platform.get_menu("dgtq") == await registry_menu(registry_url, "dgtq")
    assert await menu_creates(chat_sandbox_url) == creates + 2


@pytest.mark.slow
async def test_the_loop_retries_until_the_registry_answers(
    platform: PlatformClient, registry_url: str
) -> None:
    # The failed retries open the registry's circuit: a short cool-down lets a trial through.
    upstreams = await started_upstreams(f"http://127.0.0.1:{free_port()}", open_seconds=0.3)
    publisher = MenuPublisher(upstreams, platform, ["dgtq", "lxdl"], registry_timeout=1.0)
    first = await publisher.sync()
    assert first.outcomes == {} and first.unreachable == ["dgtq", "lxdl"]
    loop = asyncio.create_task(publisher.run(3600, first_delay=0, retry_delay=0.1))
    try:
        await asyncio.sleep(0.3)
        assert await platform.get_menu("dgtq") is None
        upstreams.urls["accounts"] = registry_url  # the registry comes up
        deadline = time.monotonic() + 5
        while await platform.get_menu("lxdl") is None and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
        assert await platform.get_menu("dgtq") == await registry_menu(registry_url, "dgtq")
        assert await platform.get_menu("lxdl") == await registry_menu(registry_url, "lxdl")
    finally:
        loop.cancel()
        await asyncio.gather(loop, return_exceptions=True)
        await upstreams.close()


def gateway_settings(
    registry_url: str, sandbox_url: str, accounts: list[WechatAccount], **kw: Any
) -> GatewaySettings:
    return GatewaySettings(
        accounts_url=registry_url,
        wechat_api_base_url=sandbox_url,
        wechat_accounts=accounts,
        shared=SharedSettings(env="dev"),
        **kw,
    )


@pytest.mark.slow
def test_the_gateway_publishes_the_menus_shortly_after_start(
    registry_url: str, chat_sandbox_url: str, chat_accounts: list[WechatAccount]
) -> None:
    settings = gateway_settings(
        registry_url, chat_sandbox_url, chat_accounts, wechat_menu_sync_seconds=300
    )
    with TestClient(create_app(settings)):
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            stats = httpx.get(f"{chat_sandbox_url}/sandbox/stats").json()
            if stats["api_calls"].get("/cgi-bin/menu/create", 0) == len(CHAT_CODES):
                break
            time.sleep(0.2)
        else:
            pytest.fail(f"menus not published: {stats}")


@pytest.mark.slow
def test_publish_menus_command(
    registry_url: str,
    chat_sandbox_url: str,
    chat_accounts: list[WechatAccount],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("ENV", "dev")
    monkeypatch.setenv("GATEWAY_ACCOUNTS_URL", registry_url)
    monkeypatch.setenv("GATEWAY_WECHAT_API_BASE_URL", chat_sandbox_url)
    monkeypatch.setenv(
        "GATEWAY_WECHAT_ACCOUNTS", json.dumps([a.model_dump() for a in chat_accounts[:2]])
    )
    main(["publish-menus"])
    assert capsys.readouterr().out.splitlines() == ["dgjj: published", "dgtq: published"]
    main(["publish-menus"])
    assert capsys.readouterr().out.splitlines() == ["dgjj: unchanged", "dgtq: unchanged"]

    monkeypatch.setenv("GATEWAY_ACCOUNTS_URL", f"http://127.0.0.1:{free_port()}")
    with pytest.raises(SystemExit) as failed:
        main(["publish-menus"])
    assert failed.value.code == 1
    assert "dgjj: failed (UpstreamUnavailable" in capsys.readouterr().err
