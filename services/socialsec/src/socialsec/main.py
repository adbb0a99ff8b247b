"""`create_app`: the social-security service's FastAPI app."""

import logging

from fastapi import FastAPI

from servicekit.app import create_service_app
from socialsec.routes import (
    answers,
    bindings,
    certificates,
    eligibility,
    export,
    faq,
    me,
    offices,
    rates,
)
from socialsec.settings import SocialsecSettings

TAGS = [
    {"name": "offices", "description": "各镇街社保分局通讯录（公开）"},
    {"name": "faq", "description": "政策问答（公开）"},
    {"name": "rates", "description": "缴费费率（公开）"},
    {"name": "eligibility", "description": "政策资格：规则说明与长者免费乘车核验"},
    {"name": "certificates", "description": "参保证明：本人开具（需登录），凭验证码核验（公开）"},
    {"name": "bindings", "description": "绑定社保信息：姓名、身份证号、社保卡号（需登录）"},
    {
        "name": "me",
        "description": "本人参保信息、缴费明细、个人账户、社保卡、养老金与访问记录（需登录并绑定）",
    },
    {"name": "internal", "description": "仅供网关与其他服务调用"},
]


def create_app(settings: SocialsecSettings) -> FastAPI:
    """Build the social-security app on `settings`."""
    app = create_service_app(
        settings,
        title="东莞社保 socialsec",
        description=(
            "社保分局通讯录、政策问答与费率；绑定社保信息后查询缴费明细、个人账户、"
            "社保卡制卡进度、养老金发放，开具和核验参保证明，查看政策资格与访问记录。"
        ),
        package="socialsec",
        openapi_tags=TAGS,
        routers=[
            offices.router,
            faq.router,
            rates.router,
            eligibility.router,
            certificates.router,
            bindings.router,
            bindings.internal_router,
            me.router,
            answers.catalogue,
            answers.router,
            export.router,
        ],
    )
    # SQL statements logged at INFO carry their parameters: ID and card numbers. Never log them.
    logging.getLogger("sqlalchemy.engine").setLevel(logging.WARNING)
    return app
