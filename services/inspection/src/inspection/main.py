"""`create_app`: the special-equipment inspection service's FastAPI app."""

from fastapi import FastAPI

from inspection.reminder_schedule import ReminderMetrics, reminders_lifespan
from inspection.routes import (
    access_log,
    answers,
    applications,
    audit,
    contacts,
    equipment,
    export,
    guides,
    inspector,
    reports,
)
from inspection.settings import InspectionSettings
from servicekit.app import create_service_app
from servicekit.metrics import register_metrics

TAGS = [
    {"name": "equipment", "description": "特种设备查询：按注册代码或使用登记证编号（公开）"},
    {"name": "guides", "description": "办事指南与检验收费标准（公开）"},
    {
        "name": "contacts",
        "description": "使用单位联系人：凭统一社会信用代码、单位全称和使用登记证编号绑定单位，"
        "查看本单位设备的检验状态（需登录）",
    },
    {
        "name": "applications",
        "description": "定期检验报检：使用单位联系人申请检验、查看进度（需登录并绑定单位）",
    },
    {
        "name": "inspector",
        "description": "检验员：查看报检申请并逐步推进（已排期、检验中、出具报告），"
        "需 inspector 角色",
    },
    {"name": "audit", "description": "检验员写操作的审计日志"},
    {
        "name": "reports",
        "description": "检验报告摘要：联系人下载 PDF（需登录），任何人凭验证码核验（公开）",
    },
    {"name": "me", "description": "我的记录在本服务被谁、何时读取（访问日志）"},
    {"name": "internal", "description": "仅供网关与账号服务调用：聊天回答、数据导出、删除绑定"},
]


def create_app(settings: InspectionSettings) -> FastAPI:
    """Build the inspection app on `settings`."""
    app = create_service_app(
        settings,
        title="东莞特检 inspection",
        description="特种设备查询：按注册代码或使用登记证编号查检验结论与下次检验日期，"
        "电梯乘梯须知卡，办事指南与收费标准。",
        package="inspection",
        routers=[
            equipment.router,
            guides.router,
            answers.catalogue,
            answers.router,
            export.router,
            contacts.router,
            contacts.internal_router,
            applications.router,
            inspector.router,
            audit.router,
            reports.router,
            access_log.router,
        ],
        openapi_tags=TAGS,
        lifespan=reminders_lifespan,
    )
    register_metrics(app, ReminderMetrics)
    return app
