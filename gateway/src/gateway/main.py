"""`create_app`: the gateway's FastAPI app."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from gateway import docs_text, export, federation, overview
from gateway.auth import signin, signout
from gateway.auth.guard import Credentials, create_guard_store
from gateway.auth.tokens import token_key
from gateway.circuit import CircuitMetrics
from gateway.compression import compression_middleware
from gateway.cors import cors_middleware
from gateway.h5 import routes as h5_routes
from gateway.metrics import GatewayMetrics
from gateway.openapi_merge import FederatedOpenAPI
from gateway.platform import PlatformClient
from gateway.proxy_cache import ProxyCache
from gateway.ratelimit import ClientAddress, RateLimits, StrictPaths, Tier, create_rate_limiter
from gateway.readiness import UpstreamReadiness
from gateway.response_cache import create_response_cache
from gateway.settings import GatewaySettings
from gateway.staff import StaffKeys
from gateway.state import GatewayState, install_state
from gateway.upstreams import Upstreams
from gateway.wechat import routes as wechat_routes
from gateway.wechat.answers import ChatAnswers
from gateway.wechat.chat_config import ChatConfigs
from gateway.wechat.citizens import ChatCitizens, warn_plain_mode_accounts
from gateway.wechat.dedup import create_dedup_store
from gateway.wechat.late import LateReplies
from gateway.wechat.menus import MenuPublisher
from gateway.wechat.replay import create_replay_guard
from servicekit.app import create_service_app


def _rate_limits(settings: GatewaySettings, metrics: GatewayMetrics) -> RateLimits | None:
    """The rate limits of the federation path; None when they are turned off."""
    if not settings.rate_limit_enabled:
        return None
    window = settings.rate_limit_window_seconds
    return RateLimits(
        create_rate_limiter(settings.redis_url),
        general=Tier("general", settings.rate_limit_general, window),
        strict=Tier("strict", settings.rate_limit_strict, window),
        strict_paths=StrictPaths(settings.rate_limit_strict_paths),
        addresses=ClientAddress(settings.rate_limit_trusted_proxies),
        refused=metrics.rate_limited,
    )


def _credentials(settings: GatewaySettings) -> Credentials:
    """The staff keys, the public bearer tokens' key and the guard against guessing them."""
    return Credentials(
        create_guard_store(
            settings.redis_url,
            limit=settings.auth_failure_limit,
            window_seconds=settings.auth_failure_window_seconds,
        ),
        staff_keys=StaffKeys(settings.staff_keys),
        token_key=token_key(
            internal_secret=settings.shared.internal_token_secret,
            configured=settings.auth_token_secret,
        ),
        token_ttl=settings.auth_token_ttl_seconds,
        addresses=ClientAddress(settings.rate_limit_trusted_proxies),
    )


def _response_cache(settings: GatewaySettings, metrics: GatewayMetrics) -> ProxyCache | None:
    """The proxy's response cache (in Redis when configured); None when it is turned off."""
    if not settings.response_cache_enabled:
        return None
    store = create_response_cache(
        settings.redis_url,
        max_bytes=settings.response_cache_max_bytes,
        stale_seconds=settings.response_cache_stale_seconds,
    )
    return ProxyCache(
        store,
        max_entry_bytes=settings.response_cache_max_entry_bytes,
        counter=metrics.response_cache,
    )


def create_app(settings: GatewaySettings) -> FastAPI:
    """Build the gateway on `settings`."""
    metrics = GatewayMetrics()
    upstreams = Upstreams(
        settings.upstream_urls(),
        connect_timeout=settings.connect_timeout_seconds,
        total_timeout=settings.upstream_timeout_seconds,
        timeouts=settings.upstream_timeouts,
        failure_threshold=settings.circuit_failure_threshold,
        open_seconds=settings.circuit_open_seconds,
        metrics=metrics.upstreams,
    )
    readiness = UpstreamReadiness(upstreams, deadline=settings.readiness_timeout_seconds)
    openapi = FederatedOpenAPI(
        upstreams, timeout=settings.openapi_timeout_seconds, ttl=settings.openapi_cache_seconds
    )
    platform = PlatformClient(
        settings.wechat_api_base_url, settings.wechat_accounts, redis_url=settings.redis_url
    )
    citizens = ChatCitizens(platform, upstreams, settings)
    state = GatewayState(
        settings=settings,
        upstreams=upstreams,
        rate_limits=_rate_limits(settings, metrics),
        metrics=metrics,
        credentials=_credentials(settings),
        platform=platform,
        openapi=openapi,
        wechat_dedup=create_dedup_store(
            settings.redis_url, ttl_seconds=settings.wechat_dedup_ttl_seconds
        ),
        wechat_replay=create_replay_guard(
            settings.redis_url, window_seconds=settings.wechat_timestamp_window_seconds
        ),
        late_replies=LateReplies(platform),
        chat_configs=ChatConfigs(upstreams, ttl=settings.wechat_config_ttl_seconds),
        citizens=citizens,
        answers=ChatAnswers(
            upstreams,
            citizens,
            secret=settings.shared.internal_token_secret,
            ttl=settings.wechat_config_ttl_seconds,
            public_base_url=settings.public_base_url,
            answer_ttl=settings.wechat_answer_cache_seconds,
        ),
        menus=MenuPublisher(upstreams, platform, [a.code for a in settings.wechat_accounts]),
        response_cache=_response_cache(settings, metrics),
    )

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        async with state.running():
            warn_plain_mode_accounts(settings)
            menu_sync = None
            if settings.wechat_menu_sync_seconds > 0:
                menu_sync = asyncio.create_task(state.menus.run(settings.wechat_menu_sync_seconds))
            try:
                yield
            finally:
                if menu_sync is not None:
                    menu_sync.cancel()
                    await asyncio.gather(menu_sync, return_exceptions=True)

    app = create_service_app(
        settings,
        title="guanwei 东莞政务服务网关",
        description=docs_text.description(settings),
        openapi_tags=docs_text.TAGS,
        # /internal/... is served only by the internal listener's app (gateway.internal).
        routers=[wechat_routes.router, h5_routes.router],
        # The proxy's raw route goes ahead of all others rather than through include_router;
        # only the sign-in, sign-out, data-export and home-screen routes precede it, so
        # /api/v1/auth/..., /api/v1/me/export and /api/v1/me/overview are not taken for services.
        routes=[
            *signin.router.routes,
            *signout.router.routes,
            *export.router.routes,
            *overview.router.routes,
            federation.proxy_route(state),
        ],
        readiness=readiness.checks(),
        lifespan=lifespan,
        openapi=openapi.document,
        collectors=[CircuitMetrics(upstreams.breakers), metrics],
        # Public listener only: the internal one (gateway.internal) serves no browser.
        middleware=[
            cors_middleware(settings.cors_origins, max_age_seconds=settings.cors_max_age_seconds),
            *compression_middleware(
                enabled=settings.compression_enabled, minimum_size=settings.compress_min_bytes
            ),
        ],
    )
    install_state(app, state)
    return app
