"""Examples of the public models in the OpenAPI document, from the seeded demo data: 张三's
粤S12345, its decided-unpaid red-light violation (决定书 4419002600000031, fine and late
surcharge 290 元 on 2026-12-04), his bindings and a licence-renewal booking at 长安."""

from typing import Any

VIOLATION: dict[str, Any] = {
    "id": 3,
    "code": "1625",
    "description": "驾驶机动车违反道路交通信号灯通行的",
    "points": 6,
    "fine_fen": 20000,
    "status": "decided_unpaid",
    "paid_on": None,
    "overdue_days": 15,
    "surcharge_fen": 9000,
    "amount_due_fen": 29000,
    "plate": "粤S12345",
    "occurred_at": "2026-10-20T17:32:00+08:00",
    "place": "莞城街道莞太路与环城路交叉口",
    "decision_number": "4419002600000031",
    "decided_on": "2026-11-04",
    "due_on": "2026-11-19",
}
VEHICLE_BINDING = {"kind": "vehicle", "plate": "粤SD66888", "vin6": "654321"}
LICENCE_BINDING = {
    "kind": "licence",
    "licence_number": "441900198505203523",
    "file_number": "441987654321",
}
BINDING: dict[str, Any] = {
    "id": 2,
    "kind": "licence",
    "plate": None,
    "vehicle_type": None,
    "licence_number": "4419**********1231",
    "licence_class": "C1",
    "holder_name": "张*",
    "created_at": "2026-12-04T04:14:28+08:00",
}
OFFICE: dict[str, Any] = {
    "code": "changan",
    "name": "车辆管理所长安分所",
    "kind": "分所",
    "town": "长安镇",
    "address": "长安镇莞长路长安段车管分所",
    "phone": "0769-85000122",
    "hours": "周一至周五 9:00-12:00、14:00-17:00",
}
BUSINESS: dict[str, Any] = {
    "code": "licence-renewal",
    "name": "驾驶证期满换证",
    "category": "驾驶证业务",
    "description": "驾驶证有效期满前90日内换领新证。",
    "materials": [
        "居民身份证（外地户籍另需东莞居住证）",
        "机动车驾驶证",
        "《机动车驾驶人身体条件证明》（可电子传递）",
    ],
}
APPOINTMENT_CREATE = {"slot_id": 70, "business_code": "licence-renewal"}
APPOINTMENT: dict[str, Any] = {
    "id": 1,
    "number": "YY20261204000001",
    "status": "booked",
    "business": BUSINESS,
    "office": OFFICE,
    "starts_at": "2026-12-04T14:00:00+08:00",
    "ends_at": "2026-12-04T15:00:00+08:00",
    "created_at": "2026-12-04T04:15:46+08:00",
    "cancelled_at": None,
}
PAYMENT: dict[str, Any] = {
    "id": 1,
    "out_trade_no": "JJ20261204093015A1B2C3D4E5F6",
    "decision_number": "4419002600000031",
    "state": {"status": "success", "finished": True, "failure_reason": None},
    "status_text": "已支付",
    "description": "东莞交警-交通违法罚款-决定书4419002600000031",
    "fine_fen": 20000,
    "surcharge_fen": 9000,
    "amount_fen": 29000,
    "overdue_days": 15,
    "priced_on": "2026-12-04",
    "created_at": "2026-12-04T09:30:15+08:00",
    "expires_at": "2026-12-04T11:30:15+08:00",
    "paid_at": "2026-12-04T09:31:02+08:00",
    "transaction_id": "4200002612202612041234567890",
    "under_review": False,
    "refund_summary": {
        "status": "available",
        "amount_available_fen": 29000,
        "amount_submitted_fen": 0,
        "amount_refunded_fen": 0,
    },
}
