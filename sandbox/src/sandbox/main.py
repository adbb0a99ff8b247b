"""`create_app`: the sandbox, a simulated WeChat platform for development and tests."""

from fastapi import FastAPI

from sandbox import chat, chat_page, introspection, media, oauth, platform_api
from sandbox.errcodes import install_wechat_errors
from sandbox.pay.store import PayState
from sandbox.pay.wiring import PAY_ROUTERS, pay_lifespan
from sandbox.settings import SandboxSettings
from sandbox.state import SandboxState
from servicekit.app import create_service_app


def create_app(settings: SandboxSettings) -> FastAPI:
    """Build the sandbox on `settings`, with a fresh simulated world."""
    state = SandboxState(settings)
    app = create_service_app(
        settings,
        title="guanwei sandbox",
        description="开发与测试用的模拟微信平台与微信支付。",
        routers=[
            platform_api.router,
            media.router,
            oauth.router,
            introspection.router,
            chat.router,
            chat_page.router,
            *PAY_ROUTERS,
        ],
        lifespan=pay_lifespan,
    )
    app.state.sandbox = state
    app.state.pay = PayState(settings, state.clock)

    def count_error(errcode: int) -> None:
        state.errors[errcode] += 1

    install_wechat_errors(app, count_error)
    return app
