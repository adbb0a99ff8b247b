"""`/v1/audit`: the trail of staff writes, for registry admins."""

from accounts.models import AuditEntry
from accounts.staff import registry_admin
from servicekit.audit import audit_router

router = audit_router(
    AuditEntry,
    reader=registry_admin,
    description=(
        "工作人员写操作的记录，最新的在前；`changes` 为 {字段: [旧值, 新值]}。"
        "需要 `registry_admin` 角色：未登录 401，角色不符 403。"
    ),
    entities="account | menu | keyword_rules | welcome",
    entity_id_example="账号代码 dgjj",
)
