"""`/v1/audit`: the trail of staff writes, for forecasters."""

from servicekit.audit import audit_router
from weather.models import AuditEntry
from weather.staff import forecaster

router = audit_router(
    AuditEntry,
    reader=forecaster,
    description=(
        "工作人员（及系统导入）写操作的记录，最新的在前；`changes` 为 {字段: [旧值, 新值]}。"
        "需要 `forecaster` 角色：未登录 401，角色不符 403。"
    ),
    entities="issuance | warning | bulletin",
    entity_id_example="发布编号或日期",
)
