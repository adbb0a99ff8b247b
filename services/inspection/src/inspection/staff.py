"""The `inspector` dependency of staff writes: who is writing, under which request."""

from typing import Annotated

from fastapi import Depends

from servicekit.audit import Actor, staff_actor

INSPECTOR = "inspector"
# Appended to the OpenAPI description of every staff call.
STAFF_NOTE = (
    "需要 `inspector` 角色的工作人员令牌（经网关以 X-Api-Key 调用）；"
    "未登录 401，市民令牌、角色不符 403。"
)

# The calling inspector as the actor of a write; other callers are refused.
inspector = staff_actor(INSPECTOR)

InspectorDep = Annotated[Actor, Depends(inspector)]
