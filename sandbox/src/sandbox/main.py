"""`create_app`: the sandbox's FastAPI app (its WeChat protocols arrive in a later issue)."""

from fastapi import FastAPI

from sandbox.settings import SandboxSettings
from servicekit.app import create_service_app


def create_app(settings: SandboxSettings) -> FastAPI:
    """Build the sandbox on `settings`."""
    return create_service_app(
        settings,
        title="guanwei sandbox",
        description="开发与测试用的模拟微信平台与微信支付。",
    )
