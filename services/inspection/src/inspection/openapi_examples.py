"""Examples of the public models in the OpenAPI document, from the seeded demo data: the
in-date lift 31104419002015060001 and the application for the overdue one of the same unit."""

from typing import Any

EQUIPMENT: dict[str, Any] = {
    "registration_code": "31104419002015060001",
    "certificate_number": "梯11粤S00001(15)",
    "category": "电梯",
    "variety": "曳引驱动乘客电梯",
    "user_unit": "东莞市新宇食品有限公司",
    "town": "南城街道",
    "address": "南城街道鸿福路100号1栋1号梯",
    "status": "在用",
    "last_inspection": "2026-08-26",
    "conclusion": "合格",
    "safety_level": None,
    "next_due": "2027-08-26",
    "overdue": False,
}
APPLICATION_CREATE = {
    "registration_code": "31104419002012030001",
    "preferred_date": "2026-12-09",
    "note": "检验前请提前一天电话联系设备管理员。",
}
APPLICATION: dict[str, Any] = {
    "number": "BJ20261202000001",
    "registration_code": "31104419002012030001",
    "category": "电梯",
    "variety": "曳引驱动乘客电梯",
    "address": "南城街道鸿福路100号1栋2号梯",
    "town": "南城街道",
    "user_unit": "东莞市新宇食品有限公司",
    "state": "已排期",
    "preferred_date": "2026-12-09",
    "note": "检验前请提前一天电话联系设备管理员。",
    "scheduled_date": "2026-12-09",
    "inspected_on": None,
    "conclusion": None,
    "safety_level": None,
    "next_due": None,
    "report_code": None,
    "created_at": "2026-12-02T17:30:00+08:00",
    "steps": [
        {"state": "受理", "at": "2026-12-02T17:30:00+08:00", "remark": "已受理您的定期检验申请。"},
        {
            "state": "已排期",
            "at": "2026-12-03T23:00:00+08:00",
            "remark": "已安排于2026年12月09日现场检验，请安排人员配合。",
        },
    ],
}
