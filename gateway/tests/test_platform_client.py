"""The outbound platform client against the real sandbox: one token owner per account, in one
process and across workers sharing Redis, one refetch on a refused token, typed errors; and the
Redis lock and token cache on their own."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from redis.asyncio import Redis

from gateway.platform import (
    PlatformClient,
    PlatformError,
    PlatformUnavailable,
    text_message,
)
from gateway.platform.redis_lock import RedisLock
from gateway.platform.tokens import AccessTokens, RedisTokenCache
from gateway.settings import WechatAccount
from sandbox.main import create_app as create_sandbox_app
from sandbox.settings import SandboxSettings
from servicekit.settings import SharedSettings
from servicekit.testing import free_port, serve_in_thread

# dgjj is a service account and dgtq a subscription account in the sandbox.
ACCOUNTS = [
    WechatAccount(code="dgjj", appid="wxgwtest000dgjj", token="t-dgjj", app_secret="s-dgjj"),
    WechatAccount(code="dgtq", appid="wxgwtest000dgtq", token="t-dgtq", app_secret="s-dgtq"),
]
APPID = {a.code: a.appid for a in ACCOUNTS}
# The H5 page a template message links to (any address; the sandbox only records it).
DETAIL_PAGE = "https://h5.example.cn/violations"


class Sandbox:
    """The sandbox's own API: follows, counters, token hooks, inboxes."""

    def __init__(self, url: str, http: httpx.AsyncClient) -> None:
        self.url = url
        self.http = http

    async def call(self, method: str, path: str, **kwargs: Any) -> Any:
        """One request to the sandbox; its JSON answer."""
        response = await self.http.request(method, path, **kwargs)
        response.raise_for_status()
        return response.json()

    async def follow(self, citizen: str, code: str) -> str:
        """The citizen follows the account (opening the reply window); returns their openid."""
        return (await self.call("PUT", f"/sandbox/citizens/{citizen}/follows/{code}"))["openid"]

    async def token_fetches(self, code: str) -> int:
        """How many tokens the account fetched from `/cgi-bin/token`."""
        return (await self.call("GET", "/sandbox/stats"))["token_fetches"].get(APPID[code], 0)

    async def errors(self) -> dict[str, int]:
        """Refusals per errcode."""
        return (await self.call("GET", "/sandbox/stats"))["errors"]

    async def tokens(self, code: str, hook: str) -> None:
        """Expire or invalidate the account's tokens."""
        await self.call("POST", f"/sandbox/tokens/{APPID[code]}/{hook}")

    async def inbox(self, citizen: str) -> list[dict[str, Any]]:
        """The citizen's inbox."""
        page = await self.call("GET", f"/sandbox/citizens/{citizen}/inbox", params={"limit": 100})
        return page["items"]


@pytest.fixture
async def sandbox() -> AsyncIterator[Sandbox]:
    """A fresh sandbox playing WeChat for the test accounts (its own callbacks go nowhere)."""
    settings = SandboxSettings(
        wechat_accounts=[a.model_dump() for a in ACCOUNTS],
        gateway_url=f"http://127.0.0.1:{free_port()}",
        shared=SharedSettings(env="dev"),
    )
    with serve_in_thread(create_sandbox_app(settings)) as url:
        async with httpx.AsyncClient(base_url=url) as http:
            yield Sandbox(url, http)


@pytest.fixture
async def platform(sandbox: Sandbox) -> AsyncIterator[PlatformClient]:
    """A started client without Redis (tokens in this process's memory)."""
    client = PlatformClient(sandbox.url, ACCOUNTS)
    await client.start()
    yield client
    await client.close()


@pytest.fixture
async def workers(sandbox: Sandbox, redis_url: str) -> AsyncIterator[list[PlatformClient]]:
    """Two gateway workers: separate clients (sessions, locks) sharing one Redis."""
    made = [PlatformClient(sandbox.url, ACCOUNTS, redis_url=redis_url) for _ in range(2)]
    for worker in made:
        await worker.start()
    yield made
    for worker in made:
        await worker.close()


async def _send_many(
    clients: list[PlatformClient], openid: str, count: int, label: str = "消息"
) -> None:
    await asyncio.gather(
        *(
            clients[n % len(clients)].send_custom_message(
                "dgtq", openid, text_message(f"{label}{n}")
            )
            for n in range(count)
        )
    )


@pytest.mark.slow
async def test_twenty_concurrent_sends_fetch_the_token_once(
    platform: PlatformClient, sandbox: Sandbox
) -> None:
    openid = await sandbox.follow("lisi", "dgtq")
    await _send_many([platform], openid, 20)
    assert await sandbox.token_fetches("dgtq") == 1
    inbox = await sandbox.inbox("lisi")
    assert sorted(m["content"]["content"] for m in inbox) == sorted(f"消息{n}" for n in range(20))
    assert all(m["kind"] == "custom" for m in inbox)


@pytest.mark.slow
async def test_two_workers_sharing_redis_fetch_the_token_once(
    workers: list[PlatformClient], sandbox: Sandbox
) -> None:
    openid = await sandbox.follow("lisi", "dgtq")
    await _send_many(workers, openid, 20)
    assert await sandbox.token_fetches("dgtq") == 1
    assert len(await sandbox.inbox("lisi")) == 20
    # Later calls from either worker keep using the shared token.
    assert await workers[0].access_token("dgtq") == await workers[1].access_token("dgtq")
    assert await sandbox.token_fetches("dgtq") == 1


@pytest.mark.slow
@pytest.mark.parametrize(("hook", "errcode"), [("invalidate", "40001"), ("expire", "42001")])
async def test_a_refused_token_is_refetched_once_and_the_call_retried(
    platform: PlatformClient, sandbox: Sandbox, hook: str, errcode: str
) -> None:
    openid = await sandbox.follow("wangwu", "dgtq")
    await platform.send_custom_message("dgtq", openid, text_message("第一条"))
    await sandbox.tokens("dgtq", hook)
    await platform.send_custom_message("dgtq", openid, text_message("第二条"))
    assert await sandbox.token_fetches("dgtq") == 2
    assert await sandbox.errors() == {errcode: 1}
    assert [m["content"]["content"] for m in await sandbox.inbox("wangwu")] == ["第一条", "第二条"]


@pytest.mark.slow
async def test_workers_refused_together_refetch_once(
    workers: list[PlatformClient], sandbox: Sandbox
) -> None:
    openid = await sandbox.follow("lisi", "dgtq")
    await workers[0].send_custom_message("dgtq", openid, text_message("预热"))
    await sandbox.tokens("dgtq", "invalidate")
    await _send_many(workers, openid, 10)
    # Every call was refused once, but only the first refusal replaced the shared token.
    assert await sandbox.token_fetches("dgtq") == 2
    assert len(await sandbox.inbox("lisi")) == 11


async def test_other_refusals_are_typed_errors_and_not_retried(
    platform: PlatformClient, sandbox: Sandbox
) -> None:
    openid = (await sandbox.call("GET", "/sandbox/citizens"))["items"][0]["openids"]["dgtq"]
    with pytest.raises(PlatformError) as refused:
        await platform.send_custom_message("dgtq", openid, text_message("你好"))
    assert refused.value.errcode == 43004 and refused.value.errmsg == "require subscribe"
    assert not refused.value.token_rejected
    assert await sandbox.errors() == {"43004": 1}


async def test_a_wrong_secret_fails_without_looping(sandbox: Sandbox) -> None:
    wrong = [ACCOUNTS[1].model_copy(update={"app_secret": "wrong"})]
    client = PlatformClient(sandbox.url, wrong)
    await client.start()
    try:
        with pytest.raises(PlatformError) as refused:
            await client.send_custom_message("dgtq", "o", text_message("你好"))
    finally:
        await client.close()
    assert refused.value.errcode == 40001
    assert await sandbox.errors() == {"40001": 1}


@pytest.mark.slow
async def test_template_message_returns_its_msgid(
    platform: PlatformClient, sandbox: Sandbox
) -> None:
    openid = await sandbox.follow("zhangsan", "dgjj")
    msgid = await platform.send_template_message(
        "dgjj",
        openid,
        "tpl_violation_notice",
        {"first": {"value": "您有一条新的违法记录"}},
        url=DETAIL_PAGE,
    )
    [item] = await sandbox.inbox("zhangsan")
    assert item["msgid"] == msgid and item["content"]["url"] == DETAIL_PAGE
    with pytest.raises(PlatformError) as refused:
        await platform.send_template_message("dgtq", openid, "tpl", {"first": {"value": "x"}})
    assert refused.value.errcode == 48001  # subscription accounts have no template messages


@pytest.mark.slow
async def test_mass_send_is_idempotent_by_clientmsgid(
    platform: PlatformClient, sandbox: Sandbox
) -> None:
    await sandbox.follow("zhangsan", "dgtq")
    await sandbox.follow("lisi", "dgtq")
    bulletin = text_message("东莞天气：今天多云，22~28℃。")
    first = await platform.mass_send("dgtq", bulletin, "dgtq-bulletin-2026-11-26")
    again = await platform.mass_send("dgtq", bulletin, "dgtq-bulletin-2026-11-26")
    assert not first.duplicate and again.duplicate
    assert again.msg_id == first.msg_id
    assert len(await sandbox.inbox("zhangsan")) == len(await sandbox.inbox("lisi")) == 1
    # A different send the same day is over a subscription account's quota.
    with pytest.raises(PlatformError) as refused:
        await platform.mass_send("dgtq", bulletin, "dgtq-bulletin-2026-11-26-extra")
    assert refused.value.errcode == 45009


async def test_menu_publish_and_its_validation_errors(
    platform: PlatformClient, sandbox: Sandbox
) -> None:
    menu = {"button": [{"type": "click", "name": "今日天气", "key": "WEATHER_TODAY"}]}
    await platform.publish_menu("dgtq", menu)
    token = await platform.access_token("dgtq")
    published = await sandbox.call("GET", "/cgi-bin/menu/get", params={"access_token": token})
    assert published["menu"] == menu
    too_long = {"button": [{"type": "click", "name": "东莞天气预报", "key": "K"}]}  # 18 bytes
    with pytest.raises(PlatformError) as refused:
        await platform.publish_menu("dgtq", too_long)
    assert refused.value.errcode == 40018
    assert refused.value.errmsg == "invalid button name size"


@pytest.mark.slow
async def test_oauth_code_exchange(platform: PlatformClient, sandbox: Sandbox) -> None:
    async with httpx.AsyncClient(base_url=sandbox.url) as client:
        chosen = await client.post(
            "/connect/oauth2/authorize",
            data={
                "appid": APPID["dgjj"],
                "redirect_uri": "https://h5.example.cn/cb",
                "scope": "snsapi_base",
                "state": "s1",
                "citizen": "chenxiaomei",
            },
        )
    code = httpx.URL(chosen.headers["location"]).params["code"]
    identity = await platform.oauth_exchange_code("dgjj", code)
    citizens = (await sandbox.call("GET", "/sandbox/citizens"))["items"]
    chen = next(c for c in citizens if c["id"] == "chenxiaomei")
    assert (identity.openid, identity.unionid) == (chen["openids"]["dgjj"], chen["unionid"])
    assert identity.scope == "snsapi_base" and identity.expires_in == 7200
    with pytest.raises(PlatformError) as refused:
        await platform.oauth_exchange_code("dgjj", code)
    assert refused.value.errcode == 40029


async def test_an_unreachable_platform_is_unavailable() -> None:
    client = PlatformClient(f"http://127.0.0.1:{free_port()}", ACCOUNTS, connect_timeout=0.5)
    await client.start()
    try:
        with pytest.raises(PlatformUnavailable) as failed:
            await client.publish_menu("dgtq", {"button": []})
    finally:
        await client.close()
    assert failed.value.errcode == -1
    assert "access_token" not in str(failed.value)  # no secrets or tokens in messages


# The Redis pieces on their own


async def test_a_redis_lock_has_one_owner_at_a_time(redis_url: str) -> None:
    client = Redis.from_url(redis_url)
    try:
        first, second = RedisLock(client, "k", 200), RedisLock(client, "k", 200)
        assert await first.acquire() and not await second.acquire()
        await second.release()  # not the owner: no effect
        assert not await second.acquire()
        await first.release()
        assert await second.acquire()
        await asyncio.sleep(0.25)  # a holder that died: the lock expires
        assert await first.acquire()
    finally:
        await client.aclose()


@pytest.mark.slow
async def test_a_waiting_worker_takes_over_from_a_dead_refresher(redis_url: str) -> None:
    client = Redis.from_url(redis_url)
    fetches = 0

    async def fetch() -> tuple[str, int]:
        nonlocal fetches
        fetches += 1
        return "token-from-the-waiter", 7200

    try:
        cache = RedisTokenCache(client, poll_seconds=0.01)
        # Another worker took the lock and died before storing a token.
        await client.set("guanwei:wechat:access_token_lock:wxa", "dead", px=300)
        tokens = AccessTokens(cache)
        assert await tokens.get("wxa", fetch) == "token-from-the-waiter"
        assert fetches == 1
        ttl = await client.pttl("guanwei:wechat:access_token:wxa")
        assert 6_800_000 < ttl <= 6_900_000  # WeChat's 7200 s less the 300 s margin
    finally:
        await client.aclose()


async def test_a_waiting_worker_uses_the_token_the_refresher_stores(redis_url: str) -> None:
    client = Redis.from_url(redis_url)

    async def never() -> tuple[str, int]:
        raise AssertionError("the waiter must not fetch")

    try:
        await client.set("guanwei:wechat:access_token_lock:wxa", "busy", px=5000)
        waiter = asyncio.create_task(AccessTokens(RedisTokenCache(client)).get("wxa", never))
        await asyncio.sleep(0.1)
        assert not waiter.done()
        await client.set("guanwei:wechat:access_token:wxa", "stored-by-the-refresher")
        assert await asyncio.wait_for(waiter, 1) == "stored-by-the-refresher"
    finally:
        await client.aclose()


async def test_discarding_keeps_a_fresher_token(redis_url: str) -> None:
    client = Redis.from_url(redis_url)
    try:
        cache = RedisTokenCache(client)
        await client.set("guanwei:wechat:access_token:wxa", "fresh")
        await cache.discard("wxa", "stale")
        assert await cache.get("wxa") == "fresh"
        await cache.discard("wxa", "fresh")
        assert await cache.get("wxa") is None
    finally:
        await client.aclose()


async def test_redis_down_is_platform_unavailable(sandbox: Sandbox) -> None:
    client = PlatformClient(sandbox.url, ACCOUNTS, redis_url=f"redis://127.0.0.1:{free_port()}/0")
    await client.start()
    try:
        with pytest.raises(PlatformUnavailable, match="token cache unavailable"):
            await client.access_token("dgtq")
    finally:
        await client.close()
    assert await sandbox.token_fetches("dgtq") == 0
