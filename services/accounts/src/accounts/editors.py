"""Who may write an account's articles: its editors (`editor:<code>`) and registry admins.

The gateway puts a staff key's roles into the internal token as they are (DESIGN §4); the scope
of an editor role is read here, against the account in the request's path.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from accounts.staff import REGISTRY_ADMIN
from servicekit.audit import Actor
from servicekit.identity import IdentityDep, require_staff, staff_only


def editor_role(code: str) -> str:
    """The role that lets a staff member write the articles of account `code`."""
    return f"editor:{code}"


@staff_only
def account_editor(code: str, request: Request, identity: IdentityDep) -> Actor:
    """The calling staff member as the actor of a write to account `code`'s articles; 403 for
    a citizen, a service or staff without either role (an editor of another account)."""
    require_staff(identity, REGISTRY_ADMIN, editor_role(code))
    return Actor(subject=identity.subject, request_id=request.state.request_id)


EditorDep = Annotated[Actor, Depends(account_editor)]
# Appended to the OpenAPI description of every editor route.
EDITOR_NOTE = (
    "需要该公众号编辑（`editor:<账号代码>`）或 `registry_admin` 角色的工作人员令牌"
    "（经网关以 X-Api-Key 调用）；未登录 401，无权编辑该账号 403。写入记入审计日志。"
)
