"""`create_app`: the traffic service's FastAPI app."""

from fastapi import FastAPI

from servicekit.app import create_service_app
from traffic.payments.client import keep_pay_client, pay_lifespan
from traffic.payments.metrics import install_payment_metrics
from traffic.payments.provider import MerchantConfig, WechatPayClient
from traffic.routes import (
    access_log,
    answers,
    appointments,
    bindings,
    decisions,
    export,
    guides,
    licence,
    payments,
    review_study,
    road_conditions,
    summary,
    violation_codes,
    violations,
)
from traffic.settings import TrafficSettings

TAGS = [
    {"name": "violation-codes", "description": "交通违法代码与罚款、记分（公开）"},
    {
        "name": "violations",
        "description": "违法查询：按车牌与车架号后 6 位；本人违法与网上自助处理（需登录）",
    },
    {"name": "decisions", "description": "处罚决定书与应缴金额（含滞纳金）"},
    {"name": "licence", "description": "驾驶证记分与学法减分（需登录并绑定驾驶证）"},
    {"name": "bindings", "description": "绑定机动车、驾驶证（需登录）"},
    {"name": "road-conditions", "description": "路况与路况地图（公开）"},
    {
        "name": "appointments",
        "description": "车驾管业务预约：网点、业务、可约时段；本人预约（需登录）",
    },
    {"name": "review-study", "description": "大中型客货车驾驶证审验学习与考试（需登录）"},
    {"name": "guides", "description": "办事指南（公开）"},
    {"name": "payments", "description": "微信支付缴纳罚款、缴款凭证与退款"},
    {"name": "me", "description": "个人记录访问记录（需登录）"},
    {"name": "internal", "description": "仅供网关与其他服务调用"},
]


def create_app(settings: TrafficSettings) -> FastAPI:
    """Build the traffic app on `settings`."""
    # Read the keys now: a missing or unreadable key stops start-up, not the first payment.
    pay = WechatPayClient(MerchantConfig.from_settings(settings))
    app = create_service_app(
        settings,
        title="东莞交警 traffic",
        description=(
            "交通违法代码与违法查询、机动车和驾驶证绑定、驾驶证记分与学法减分、"
            "网上自助处理违法与处罚决定书应缴金额查询；路况与路况地图；车驾管业务预约；"
            "大中型客货车驾驶证审验学习；办事指南；微信支付缴纳罚款、电子缴款凭证与退款。"
        ),
        package="traffic",
        openapi_tags=TAGS,
        routers=[
            violation_codes.router,
            violations.router,
            decisions.router,
            licence.router,
            summary.router,
            bindings.router,
            bindings.internal_router,
            road_conditions.router,
            appointments.router,
            appointments.me_router,
            review_study.router,
            guides.router,
            payments.router,
            answers.router,
            access_log.router,
            export.router,
        ],
        lifespan=pay_lifespan,
    )
    keep_pay_client(app, pay)
    install_payment_metrics(app)
    return app
