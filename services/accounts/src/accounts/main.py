"""`create_app`: the accounts service's FastAPI app."""

from fastapi import FastAPI

from accounts.routes import accounts
from accounts.settings import AccountsSettings
from servicekit.app import create_service_app


def create_app(settings: AccountsSettings) -> FastAPI:
    """Build the accounts app on `settings`."""
    return create_service_app(
        settings,
        title="东莞政务微信 accounts",
        description="东莞市政务微信公众号名录。",
        package="accounts",
        routers=[accounts.router],
    )
