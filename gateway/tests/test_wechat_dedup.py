"""The de-duplication store (in memory and in Redis), `handle_once`, and the message keys."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest
import redis.asyncio as redis
from pydantic import ValidationError

from gateway.settings import GatewaySettings
from gateway.wechat.dedup import (
    REDIS_PREFIX,
    DedupStore,
    MemoryDedupStore,
    RedisDedupStore,
    create_dedup_store,
    dedup_key,
    handle_once,
)
from gateway.wechat.messages import InboundMessage, to_message
from gateway.wechat.replies import NO_REPLY
from servicekit.settings import SharedSettings

BODY = "<xml><Content><![CDATA[好]]></Content></xml>"


@pytest.fixture(params=["memory", "redis"])
async def store(request: pytest.FixtureRequest) -> AsyncIterator[DedupStore]:
    """Each store, with a 30 s TTL."""
    if request.param == "memory":
        made: DedupStore = MemoryDedupStore(ttl_seconds=30)
    else:
        made = RedisDedupStore(request.getfixturevalue("redis_url"), ttl_seconds=30)
    await made.start()
    yield made
    await made.close()


async def test_only_the_first_delivery_claims(store: DedupStore) -> None:
    assert await store.claim("acc:1") is True
    assert await store.claim("acc:1") is False
    assert await store.claim("acc:1") is False
    assert await store.claim("acc:2") is True
    assert await store.claim("other:1") is True


async def test_a_retry_after_completion_gets_the_stored_body(store: DedupStore) -> None:
    await store.claim("acc:1")
    await store.complete("acc:1", BODY)
    assert await store.claim("acc:1") is False
    assert await store.wait("acc:1", 0.1) == BODY


async def test_a_retry_while_pending_waits_for_the_body(store: DedupStore) -> None:
    await store.claim("acc:1")
    started = time.monotonic()
    waiting = asyncio.create_task(store.wait("acc:1", 3))
    await asyncio.sleep(0.2)
    assert not waiting.done()
    await store.complete("acc:1", BODY)
    assert await waiting == BODY
    assert time.monotonic() - started < 1


async def test_a_wait_gives_up_at_its_timeout(store: DedupStore) -> None:
    await store.claim("acc:1")
    started = time.monotonic()
    assert await store.wait("acc:1", 0.2) is None
    assert 0.15 < time.monotonic() - started < 1


async def test_waiting_for_an_unknown_key_is_none(store: DedupStore) -> None:
    assert await store.wait("acc:never", 0.1) is None


async def test_handle_once_runs_the_handler_once_for_concurrent_deliveries(
    store: DedupStore,
) -> None:
    calls = 0

    async def handle() -> str:
        nonlocal calls
        calls += 1
        await asyncio.sleep(0.2)
        return BODY

    bodies = await asyncio.gather(
        *(handle_once(store, "acc:1", handle, wait_seconds=3) for _ in range(3))
    )
    assert calls == 1
    assert bodies == [BODY] * 3
    assert await handle_once(store, "acc:1", handle, wait_seconds=3) == BODY
    assert calls == 1


async def test_a_failed_handling_is_final(store: DedupStore) -> None:
    calls = 0

    async def broken() -> str:
        nonlocal calls
        calls += 1
        raise RuntimeError("upstream exploded after its side effect")

    with pytest.raises(RuntimeError):
        await handle_once(store, "acc:1", broken, wait_seconds=1)
    # Retries answer `success`: the side effect may have happened and must not happen again.
    assert await handle_once(store, "acc:1", broken, wait_seconds=1) == NO_REPLY
    assert calls == 1


async def test_a_retry_waiting_past_its_budget_gets_none(store: DedupStore) -> None:
    release = asyncio.Event()

    async def slow() -> str:
        await release.wait()
        return BODY

    first = asyncio.create_task(handle_once(store, "acc:1", slow, wait_seconds=5))
    await asyncio.sleep(0.05)
    assert await handle_once(store, "acc:1", slow, wait_seconds=0.1) is None
    release.set()
    assert await first == BODY


async def test_memory_entries_expire_after_their_ttl() -> None:
    now = [1000.0]
    store = MemoryDedupStore(ttl_seconds=30, clock=lambda: now[0])
    await store.claim("acc:1")
    now[0] += 10
    await store.complete("acc:1", BODY)  # completion restarts the TTL
    await store.claim("acc:2")
    now[0] += 29
    assert await store.claim("acc:1") is False
    assert await store.wait("acc:1", 0) == BODY
    now[0] += 2
    assert await store.claim("acc:1") is True
    assert await store.claim("acc:2") is True


@pytest.mark.slow
async def test_redis_entries_expire_after_their_ttl(redis_url: str) -> None:
    store = RedisDedupStore(redis_url, ttl_seconds=0.3)
    await store.start()
    try:
        await store.claim("acc:1")
        await store.complete("acc:1", BODY)
        assert await store.claim("acc:1") is False
        await asyncio.sleep(0.4)
        assert await store.claim("acc:1") is True
    finally:
        await store.close()


async def test_redis_claims_are_shared_between_workers(redis_url: str) -> None:
    first, second = RedisDedupStore(redis_url, 30), RedisDedupStore(redis_url, 30)
    await first.start()
    await second.start()
    try:
        assert await first.claim("acc:1") is True
        assert await second.claim("acc:1") is False
        waiting = asyncio.create_task(second.wait("acc:1", 3))
        await asyncio.sleep(0.1)
        await first.complete("acc:1", BODY)
        assert await waiting == BODY
        client = redis.Redis.from_url(redis_url)
        ttl_ms = await client.pttl(REDIS_PREFIX + "acc:1")
        await client.aclose()
        assert 0 < ttl_ms <= 30_000
    finally:
        await first.close()
        await second.close()


async def test_redis_keys_hold_no_openid(redis_url: str) -> None:
    store = RedisDedupStore(redis_url, 30)
    await store.start()
    try:
        await store.claim(dedup_key("dgtq", text("o_secret_openid", msg_id="1")))
        client = redis.Redis.from_url(redis_url)
        keys = await client.keys("*")
        await client.aclose()
    finally:
        await store.close()
    assert len(keys) == 1
    assert keys[0].startswith(REDIS_PREFIX.encode() + b"dgtq:")
    assert b"o_secret_openid" not in keys[0]


def test_the_ttl_is_a_setting_of_at_least_30_s_defaulting_to_the_timestamp_window() -> None:
    settings = GatewaySettings(shared=SharedSettings(env="dev"))
    assert settings.wechat_dedup_ttl_seconds == settings.wechat_timestamp_window_seconds == 300
    with pytest.raises(ValidationError):
        GatewaySettings(wechat_dedup_ttl_seconds=10, shared=SharedSettings(env="dev"))


def test_the_store_follows_the_settings() -> None:
    assert isinstance(create_dedup_store("", ttl_seconds=30), MemoryDedupStore)
    assert isinstance(create_dedup_store("redis://h:6379/0", ttl_seconds=30), RedisDedupStore)


# -- keys ----------------------------------------------------------------------------------------


def text(sender: str = "o_1", *, msg_id: str, create_time: str = "100", content: str = "天气"):
    return to_message(
        {
            "ToUserName": "gh_1",
            "FromUserName": sender,
            "CreateTime": create_time,
            "MsgType": "text",
            "Content": content,
            "MsgId": msg_id,
        }
    )


def event(name: str, key: str = "", *, sender: str = "o_1", create_time: str = "100"):
    fields = {
        "ToUserName": "gh_1",
        "FromUserName": sender,
        "CreateTime": create_time,
        "MsgType": "event",
        "Event": name,
        "EventKey": key,
    }
    return to_message(fields)


def test_retries_of_a_message_share_its_key() -> None:
    assert dedup_key("dgtq", text(msg_id="1")) == dedup_key("dgtq", text(msg_id="1"))
    assert dedup_key("dgtq", event("CLICK", "A")) == dedup_key("dgtq", event("CLICK", "A"))


@pytest.mark.parametrize(
    ("first", "second"),
    [
        (text(msg_id="1"), text(msg_id="2")),
        (text(msg_id="1"), text("o_2", msg_id="1")),
        (text(msg_id="1"), text(msg_id="1", create_time="101")),
        (event("CLICK", "A"), event("CLICK", "B")),
        (event("CLICK", "A"), event("VIEW", "A")),
        (event("CLICK", "A"), event("CLICK", "A", sender="o_2")),
        (event("CLICK", "A"), event("CLICK", "A", create_time="101")),
        (event("subscribe"), event("unsubscribe")),
        # Parts cannot run into each other, whatever they contain.
        (event("CLICK", "A,B"), event("CLICK,A", "B")),
    ],
)
def test_different_messages_have_different_keys(
    first: InboundMessage, second: InboundMessage
) -> None:
    assert dedup_key("dgtq", first) != dedup_key("dgtq", second)


def test_keys_are_per_account() -> None:
    message = text(msg_id="1")
    assert dedup_key("dgtq", message) != dedup_key("dgsb", message)
    assert dedup_key("dgtq", message).startswith("dgtq:")


def test_a_message_type_without_msg_id_still_has_a_key() -> None:
    fields = {"ToUserName": "g", "FromUserName": "o_1", "CreateTime": "1", "MsgType": "future"}
    first, later = to_message(fields), to_message({**fields, "CreateTime": "2"})
    assert dedup_key("dgtq", first) == dedup_key("dgtq", to_message(fields))
    assert dedup_key("dgtq", first) != dedup_key("dgtq", later)
