"""`create_app`: the weather service's FastAPI app."""

from fastapi import FastAPI

from servicekit.app import create_service_app
from weather.bulletin_schedule import bulletin_lifespan
from weather.charts import install_charts
from weather.routes import (
    answers,
    audit,
    bulletins,
    export,
    forecasts,
    indices,
    issuances,
    locations,
    warnings,
)
from weather.settings import WeatherSettings

TAGS = [
    {"name": "locations", "description": "预报地点：33 个镇街园区"},
    {"name": "forecasts", "description": "5 天预报与预报图（公开）"},
    {"name": "indices", "description": "生活指数（公开）"},
    {"name": "warnings", "description": "广东省预警信号：公开查询；预报员发布、升级、降级、解除"},
    {"name": "issuances", "description": "预报发布：预报员发布，系统导入，各版本可查"},
    {"name": "bulletins", "description": "每日天气短评，及其 16:00 群发的状态"},
    {"name": "audit", "description": "工作人员写操作的审计日志"},
    {"name": "internal", "description": "仅供网关调用：聊天回答"},
]


def create_app(settings: WeatherSettings) -> FastAPI:
    """Build the weather app on `settings`."""
    app = create_service_app(
        settings,
        title="东莞天气 weather",
        description="东莞各镇街 5 天天气预报、生活指数、预警信号、预报图与每日短评。",
        package="weather",
        routers=[
            locations.router,
            forecasts.router,
            indices.router,
            warnings.router,
            issuances.router,
            bulletins.router,
            audit.router,
            answers.catalogue,
            answers.router,
            export.router,
        ],
        openapi_tags=TAGS,
        lifespan=bulletin_lifespan,
    )
    install_charts(app)
    return app
