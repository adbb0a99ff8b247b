"""Examples of the public models in the OpenAPI document, from the seeded demo data: 大朗's
branch office, and 张三's contributions (the last two months owed) and their summary."""

from typing import Any

BINDING_CREATE = {"name": "李四", "id_number": "441900198505203523", "card_number": "S19850520"}
OFFICE: dict[str, Any] = {
    "town": "dalang",
    "town_name": "大朗镇",
    "name": "东莞市社会保险基金管理中心大朗分局",
    "address": "东莞市大朗镇社保服务大厅",
    "phone": "0769-83106399",
    "hours": "周一至周五 8:30-12:00，14:00-17:30（法定节假日除外）",
    "demo": True,
    "phone_demo": False,
}
CONTRIBUTION: dict[str, Any] = {
    "month": "2026-11",
    "insurance": "pension",
    "insurance_name": "养老保险",
    "employer": "东莞市南城云帆科技有限公司",
    "base_fen": 1143900,
    "employer_fen": 183024,
    "employee_fen": 91512,
    "total_fen": 274536,
    "status": "owed",
    "status_text": "欠缴",
}
_PENSION_TOTALS = {
    "months_paid": 142,
    "months_owed": 2,
    "employer_fen": 16782781,
    "employee_fen": 9227088,
    "total_fen": 26009869,
    "paid_fen": 25460797,
    "owed_fen": 549072,
}
CONTRIBUTION_SUMMARY: dict[str, Any] = {
    "from_month": "2014-06",
    "to_month": "2026-11",
    "totals": {
        "months_paid": 142,
        "months_owed": 2,
        "employer_fen": 23698957,
        "employee_fen": 11775951,
        "total_fen": 35474908,
        "paid_fen": 34734116,
        "owed_fen": 740792,
    },
    "by_insurance": [{**_PENSION_TOTALS, "insurance": "pension", "insurance_name": "养老保险"}],
    "gap_months": ["2017-04", "2017-05", "2017-06", "2017-07", "2017-08", "2017-09"],
    "continuous_months": 110,
}
