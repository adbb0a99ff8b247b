"""The `registry_admin` dependency of staff writes: who is writing, under which request."""

from typing import Annotated

from fastapi import Depends

from servicekit.audit import Actor, staff_actor

REGISTRY_ADMIN = "registry_admin"
# Appended to the OpenAPI description of every staff write.
STAFF_NOTE = (
    "需要 `registry_admin` 角色的工作人员令牌（经网关以 X-Api-Key 调用）；"
    "未登录 401，角色不符 403。每次写入都在同一事务中记一条审计日志（`GET /v1/audit`）。"
)


# The calling registry admin as the actor of a write; other callers are refused.
registry_admin = staff_actor(REGISTRY_ADMIN)


RegistryAdminDep = Annotated[Actor, Depends(registry_admin)]
