"""The equipment this service registers: the varieties of the 特种设备目录 (2014) it serves.

A variety's four-character code opens every registration code (注册代码); its class character
(梯, 锅, 容, 起, 车) and its second and third digits (the 品种代号) open the use-registration
certificate number (使用登记证编号). See REFERENCE.md for sources and assumptions.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Category = Literal["电梯", "锅炉", "压力容器", "起重机械", "场（厂）内专用机动车辆"]


@dataclass(frozen=True)
class Variety:
    """One variety: its code, category, name, the certificate's class character, and how many
    months its periodic inspection runs."""

    code: str
    category: Category
    name: str
    class_char: str
    interval_months: int

    @property
    def certificate_code(self) -> str:
        """The variety's two digits in the certificate number (3110 -> 11)."""
        return self.code[1:3]

    @property
    def is_lift(self) -> bool:
        """Riders' equipment: lifts, escalators and moving walks carry the 96333 card."""
        return self.category == "电梯"


# Intervals: lifts 12 months (TSG T7001); boilers 12 months, the yearly external inspection
# (TSG G7002); pressure vessels 72 months at safety levels 1-2, shortened by `vessel_months`
# (TSG 21); cranes 12 or 24 months by type (TSG Q7015); in-plant vehicles 12 months (TSG N0001).
VARIETIES: tuple[Variety, ...] = (
    Variety("3110", "电梯", "曳引驱动乘客电梯", "梯", 12),
    Variety("3120", "电梯", "曳引驱动载货电梯", "梯", 12),
    Variety("3310", "电梯", "自动扶梯", "梯", 12),
    Variety("3320", "电梯", "自动人行道", "梯", 12),
    Variety("3430", "电梯", "杂物电梯", "梯", 12),
    Variety("1100", "锅炉", "承压蒸汽锅炉", "锅", 12),
    Variety("1200", "锅炉", "承压热水锅炉", "锅", 12),
    Variety("2150", "压力容器", "第二类压力容器", "容", 72),
    Variety("2170", "压力容器", "第一类压力容器", "容", 72),
    Variety("4110", "起重机械", "通用桥式起重机", "起", 24),
    Variety("4210", "起重机械", "通用门式起重机", "起", 24),
    Variety("4310", "起重机械", "普通塔式起重机", "起", 12),
    Variety("4410", "起重机械", "轮胎起重机", "起", 12),
    Variety("4860", "起重机械", "施工升降机", "起", 12),
    Variety("5110", "场（厂）内专用机动车辆", "叉车", "车", 12),
    Variety("5210", "场（厂）内专用机动车辆", "非公路用旅游观光车辆", "车", 12),
)
BY_CODE = {v.code: v for v in VARIETIES}
BY_CERTIFICATE = {(v.class_char, v.certificate_code): v for v in VARIETIES}


def variety_of(code: str) -> Variety | None:
    """The variety of a four-character code, or None when this service registers none such."""
    return BY_CODE.get(code)
