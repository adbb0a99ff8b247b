"""`/v1/audit`: the trail of inspectors' writes."""

from inspection.models import AuditEntry
from inspection.staff import inspector
from servicekit.audit import audit_router

router = audit_router(
    AuditEntry,
    reader=inspector,
    description=(
        "检验员写操作的记录，最新的在前；`changes` 为 {字段: [旧值, 新值]}。"
        "需要 `inspector` 角色：未登录 401，角色不符 403。"
    ),
    entities="application（报检申请）| equipment（设备检验结论）",
    entity_id_example="报检编号 BJ20260615000001 或注册代码",
)
