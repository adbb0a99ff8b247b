"""The token owner without a platform: single flight in one process, the memory cache, and the
settings the platform client is built from."""

from __future__ import annotations

import asyncio

import pytest
from pydantic import ValidationError

from gateway.platform import PlatformError
from gateway.platform.tokens import AccessTokens, MemoryTokenCache, cache_seconds
from gateway.settings import GatewaySettings
from servicekit.settings import SharedSettings


class SlowPlatform:
    """A token endpoint that takes a while and counts its calls."""

    def __init__(self, fail: bool = False) -> None:
        self.calls = 0
        self.fail = fail

    async def fetch(self) -> tuple[str, int]:
        """One token fetch."""
        self.calls += 1
        await asyncio.sleep(0.05)
        if self.fail:
            raise PlatformError(45009, "reach max api daily quota limit")
        return f"token-{self.calls}", 7200


async def test_concurrent_callers_wait_for_one_fetch() -> None:
    platform, tokens = SlowPlatform(), AccessTokens(MemoryTokenCache())
    got = await asyncio.gather(*(tokens.get("wxa", platform.fetch) for _ in range(20)))
    assert got == ["token-1"] * 20 and platform.calls == 1
    # Each account has its own token.
    assert await tokens.get("wxb", platform.fetch) == "token-2"


async def test_invalidating_drops_only_the_refused_token() -> None:
    platform, tokens = SlowPlatform(), AccessTokens(MemoryTokenCache())
    first = await tokens.get("wxa", platform.fetch)
    await tokens.invalidate("wxa", first)
    second = await tokens.get("wxa", platform.fetch)
    assert second == "token-2"
    await tokens.invalidate("wxa", first)  # a late refusal of the old token changes nothing
    assert await tokens.get("wxa", platform.fetch) == "token-2" and platform.calls == 2


async def test_a_failed_fetch_reaches_every_waiter_and_is_not_cached() -> None:
    platform, tokens = SlowPlatform(fail=True), AccessTokens(MemoryTokenCache())
    results = await asyncio.gather(
        *(tokens.get("wxa", platform.fetch) for _ in range(3)), return_exceptions=True
    )
    assert all(isinstance(r, PlatformError) and r.errcode == 45009 for r in results)
    platform.fail = False
    assert (await tokens.get("wxa", platform.fetch)).startswith("token-")


def test_tokens_are_cached_a_margin_short_of_their_lifetime() -> None:
    assert cache_seconds(7200, 300) == 6900
    assert cache_seconds(60, 300) == 30  # short-lived tokens keep half their lifetime
    assert cache_seconds(1, 300) == 1


def test_the_platform_base_url_defaults_to_the_sandbox_only_in_dev(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("GATEWAY_WECHAT_API_BASE_URL", raising=False)
    dev = GatewaySettings(shared=SharedSettings(env="dev"))
    assert dev.wechat_api_base_url == "http://127.0.0.1:8009"
    prod_shared = SharedSettings(env="prod", internal_token_secret="x" * 32)
    with pytest.raises(ValidationError, match="GATEWAY_WECHAT_API_BASE_URL is required"):
        GatewaySettings(shared=prod_shared)
    wechat_api = "https://api.weixin.qq.com"
    prod = GatewaySettings(wechat_api_base_url=wechat_api, shared=prod_shared)
    assert prod.wechat_api_base_url == wechat_api
