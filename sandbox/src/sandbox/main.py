"""`create_app`: the sandbox, a simulated WeChat platform for development and tests."""

from fastapi import FastAPI

from sandbox import (
    chat,
    chat_page,
    datacube,
    introspection,
    media,
    oauth,
    platform_api,
    tags,
    wiring,
)
from sandbox.errcodes import install_wechat_errors
from sandbox.pay import api, page, sim
from sandbox.settings import SandboxSettings
from servicekit.app import create_service_app

# The WeChat platform's APIs, the simulation's own, then the WeChat Pay simulator's.
_ROUTED = (
    platform_api,
    media,
    tags,
    datacube,
    oauth,
    introspection,
    chat,
    chat_page,
    api,
    sim,
    page,
)


def create_app(settings: SandboxSettings) -> FastAPI:
    """Build the sandbox on `settings`, with a fresh simulated world."""
    app = create_service_app(
        settings,
        title="guanwei sandbox",
        description="开发与测试用的模拟微信平台与微信支付。",
        routers=[module.router for module in _ROUTED],
        lifespan=wiring.lifespan,
    )
    state = wiring.install(app, settings)

    def count_error(errcode: int) -> None:
        state.errors[errcode] += 1

    install_wechat_errors(app, count_error)
    return app
