"""`create_app`: the accounts service's FastAPI app."""

from fastapi import FastAPI

from accounts.background import lifespans
from accounts.outbox import outbox_lifespan
from accounts.pusher import push_lifespan
from accounts.routes import (
    access_log,
    accounts,
    answers,
    articles,
    audit,
    chat,
    citizens,
    consents,
    editor,
    export,
    followers,
    me,
    outbox,
    rankings,
    reports,
)
from accounts.settings import AccountsSettings
from accounts.statistics_schedule import statistics_lifespan
from servicekit.app import create_service_app


def create_app(settings: AccountsSettings) -> FastAPI:
    """Build the accounts app on `settings`."""
    return create_service_app(
        settings,
        title="东莞政务微信 accounts",
        description="东莞市政务微信公众号名录、聊天配置与审计日志。",
        package="accounts",
        routers=[
            accounts.router,
            chat.router,
            audit.router,
            citizens.router,
            followers.router,
            consents.router,
            outbox.router,
            me.router,
            articles.router,
            editor.router,
            rankings.router,
            reports.router,
            answers.router,
            access_log.router,
            export.router,
        ],
        lifespan=lifespans(outbox_lifespan, push_lifespan, statistics_lifespan),
    )
