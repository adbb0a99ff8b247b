"""`create_app`: the accounts service's FastAPI app."""

from fastapi import FastAPI

from accounts.background import lifespans
from accounts.metrics import install_accounts_metrics
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

TAGS = [
    {
        "name": "accounts",
        "description": "政务公众号名录：公开查询；registry_admin 登记、修改、停用",
    },
    {"name": "chat", "description": "各公众号的菜单、关键词规则、欢迎语与聊天意图"},
    {"name": "followers", "description": "关注人数统计"},
    {"name": "articles", "description": "公众号文章：公开列表；导入"},
    {
        "name": "editor",
        "description": "编辑：撰写、预览、推送文章（editor:<账号> 或 registry_admin）",
    },
    {"name": "rankings", "description": "WCI 传播力排行（公开）"},
    {"name": "reports", "description": "运营报表：JSON、CSV 与图表"},
    {"name": "consents", "description": "本人的授权记录：授权与撤回（需登录）"},
    {"name": "me", "description": "我的资料与个人记录访问记录（需登录）"},
    {"name": "outbox", "description": "待投递的跨服务消息（工作人员）"},
    {"name": "audit", "description": "工作人员写操作的审计日志"},
    {"name": "internal", "description": "仅供网关与其他服务调用"},
]


def create_app(settings: AccountsSettings) -> FastAPI:
    """Build the accounts app on `settings`."""
    app = create_service_app(
        settings,
        title="东莞政务微信 accounts",
        description="东莞市政务微信公众号名录、聊天配置与审计日志。",
        package="accounts",
        openapi_tags=TAGS,
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
    install_accounts_metrics(app)
    return app
