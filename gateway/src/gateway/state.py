"""The gateway's shared objects, typed: one `GatewayState` built by `create_app`.

Routes take it with `StateDep`, the raw federation proxy from its constructor, the WeChat
handlers from their `Context`, and the internal listener's app shares the public app's object
(`gateway_state`). This module is the only one that touches Starlette's untyped `app.state`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Annotated, cast

from fastapi import Depends, Request
from starlette.applications import Starlette

from gateway.auth.guard import Credentials
from gateway.metrics import GatewayMetrics
from gateway.openapi_merge import FederatedOpenAPI
from gateway.platform import PlatformClient
from gateway.proxy_cache import ProxyCache
from gateway.ratelimit import RateLimits
from gateway.settings import GatewaySettings
from gateway.upstreams import Upstreams
from gateway.wechat.answers import ChatAnswers
from gateway.wechat.chat_config import ChatConfigs
from gateway.wechat.citizens import ChatCitizens
from gateway.wechat.dedup import DedupStore
from gateway.wechat.late import LateReplies
from gateway.wechat.menus import MenuPublisher
from gateway.wechat.replay import ReplayGuard


@dataclass(frozen=True)
class GatewayState:
    """Everything the gateway's routes share; each object is built once per gateway."""

    settings: GatewaySettings
    upstreams: Upstreams
    rate_limits: RateLimits | None
    metrics: GatewayMetrics
    credentials: Credentials
    platform: PlatformClient
    openapi: FederatedOpenAPI
    wechat_dedup: DedupStore
    wechat_replay: ReplayGuard
    late_replies: LateReplies
    chat_configs: ChatConfigs
    citizens: ChatCitizens
    answers: ChatAnswers
    menus: MenuPublisher
    # None when GATEWAY_RESPONSE_CACHE_ENABLED is false.
    response_cache: ProxyCache | None = None

    @property
    def internal_token_secret(self) -> str:
        """The secret the gateway signs its internal tokens with."""
        return self.settings.shared.internal_token_secret

    @asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        """Start the shared clients and stores, and close them in reverse order at the end."""
        await self.upstreams.start()
        await self.wechat_dedup.start()
        await self.wechat_replay.start()
        if self.rate_limits is not None:
            await self.rate_limits.limiter.start()
        await self.credentials.store.start()
        await self.platform.start()
        if self.response_cache is not None:
            await self.response_cache.store.start()
        try:
            yield
        finally:
            # Before the clients close: late answers still being sent need them.
            await self.late_replies.close()
            if self.response_cache is not None:
                await self.response_cache.store.close()
            await self.platform.close()
            await self.credentials.store.close()
            if self.rate_limits is not None:
                await self.rate_limits.limiter.close()
            await self.wechat_replay.close()
            await self.wechat_dedup.close()
            await self.upstreams.close()


def install_state(app: Starlette, state: GatewayState) -> None:
    """Give `app` (the public app, or the internal listener's) the gateway's state."""
    app.state.gateway = state


def gateway_state(app: Starlette) -> GatewayState:
    """The state `install_state` gave `app`."""
    return cast(GatewayState, app.state.gateway)


async def request_state(request: Request) -> GatewayState:
    """FastAPI dependency: the gateway's state, for the app serving `request` (async: a plain
    `def` would cost every request a threadpool hop)."""
    return gateway_state(request.app)


StateDep = Annotated[GatewayState, Depends(request_state)]
