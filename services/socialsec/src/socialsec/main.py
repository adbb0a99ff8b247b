"""`create_app`: the social-security service's FastAPI app."""

from fastapi import FastAPI

from servicekit.app import create_service_app
from socialsec.routes import bindings, offices
from socialsec.settings import SocialsecSettings


def create_app(settings: SocialsecSettings) -> FastAPI:
    """Build the social-security app on `settings`."""
    return create_service_app(
        settings,
        title="东莞社保 socialsec",
        description="东莞各镇街社保分局的地址、电话和办公时间。",
        package="socialsec",
        routers=[offices.router, bindings.router],
    )
