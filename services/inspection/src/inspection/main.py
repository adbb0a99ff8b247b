"""`create_app`: the special-equipment inspection service's FastAPI app."""

from fastapi import FastAPI

from inspection.routes import answers, equipment, export, guides
from inspection.settings import InspectionSettings
from servicekit.app import create_service_app

TAGS = [
    {"name": "equipment", "description": "特种设备查询：按注册代码或使用登记证编号（公开）"},
    {"name": "guides", "description": "办事指南与检验收费标准（公开）"},
    {"name": "internal", "description": "仅供网关调用：聊天回答"},
]


def create_app(settings: InspectionSettings) -> FastAPI:
    """Build the inspection app on `settings`."""
    return create_service_app(
        settings,
        title="东莞特检 inspection",
        description="特种设备查询：按注册代码或使用登记证编号查检验结论与下次检验日期，"
        "电梯乘梯须知卡，办事指南与收费标准。",
        package="inspection",
        routers=[equipment.router, guides.router, answers.catalogue, answers.router, export.router],
        openapi_tags=TAGS,
    )
