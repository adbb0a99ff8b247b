"""The `registry_admin` dependency of staff writes: who is writing, under which request."""

from typing import Annotated

from fastapi import Depends, Request

from accounts.audit import Actor
from servicekit.identity import Identity, requires_staff

REGISTRY_ADMIN = "registry_admin"
# Appended to the OpenAPI description of every staff write.
STAFF_NOTE = (
    "需要 `registry_admin` 角色的工作人员令牌（经网关以 X-Api-Key 调用）；"
    "未登录 401，角色不符 403。每次写入都在同一事务中记一条审计日志（`GET /v1/audit`）。"
)


def registry_admin(request: Request, identity: Identity = requires_staff(REGISTRY_ADMIN)) -> Actor:
    """The calling registry admin; a citizen or service token is refused even with the role."""
    return Actor(subject=identity.subject, request_id=request.state.request_id)


RegistryAdminDep = Annotated[Actor, Depends(registry_admin)]
