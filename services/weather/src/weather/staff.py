"""The `forecaster` dependency of staff writes: who is writing, under which request."""

from typing import Annotated

from fastapi import Depends

from servicekit.audit import Actor, staff_actor

FORECASTER = "forecaster"
# Appended to the OpenAPI description of every staff call.
STAFF_NOTE = (
    "需要 `forecaster` 角色的工作人员令牌（经网关以 X-Api-Key 调用）；"
    "未登录 401，角色不符或非工作人员 403。"
    "每次写入都在同一事务中记一条审计日志（`GET /v1/audit`）。"
)


# The calling forecaster as the actor of a write; other callers are refused.
forecaster = staff_actor(FORECASTER)


ForecasterDep = Annotated[Actor, Depends(forecaster)]
