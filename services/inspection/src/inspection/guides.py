"""办事指南 and the fee schedule: short, fixed texts shipped with the service, searchable.

The guides summarise TSG 08-2017 (use registration and changes), the periodic-inspection rules
(REFERENCE.md) and the lift maintenance rules (TSG T5002); the fees are demo values (REFERENCE.md).
"""

from __future__ import annotations

from pydantic import BaseModel, Field

from servicekit.deps import Page, PageParams


class Guide(BaseModel):
    """One 办事指南 entry."""

    code: str = Field(description="指南编号")
    title: str
    summary: str
    steps: list[str] = Field(description="办理步骤")
    materials: list[str] = Field(description="所需材料")
    basis: str = Field(description="依据")


class Fee(BaseModel):
    """One fee line; amounts are integer fen."""

    item: str = Field(description="收费项目")
    unit: str = Field(description="计费单位")
    amount_fen: int = Field(ge=0, description="金额（分）")
    note: str = ""
    demo: bool = Field(default=True, description="演示数据，以检验机构公示为准")


GUIDES: tuple[Guide, ...] = (
    Guide(
        code="use-registration",
        title="特种设备使用登记",
        summary="特种设备在投入使用前或者投入使用后30日内，使用单位向所在地登记机关申请使用登记，"
        "取得使用登记证。",
        steps=[
            "网上或窗口提交申请",
            "登记机关审查（一般15个工作日内）",
            "领取使用登记证",
            "将使用登记标志置于设备显著位置",
        ],
        materials=[
            "使用登记表",
            "使用单位统一社会信用代码证明",
            "产品合格证及监督检验证明",
            "安装、改造、修理质量证明",
        ],
        basis="TSG 08-2017《特种设备使用管理规则》",
    ),
    Guide(
        code="change",
        title="使用登记变更（改造、移装、单位变更、停用、报废）",
        summary="设备改造、移装、使用单位或名称变更的，办理变更登记；停用1年以上的告知登记机关；"
        "报废的办理注销。",
        steps=["提交变更（停用、注销）申请", "登记机关审核", "换发或收回使用登记证"],
        materials=["使用登记证原件", "变更情况说明及相关证明", "改造或移装的监督检验报告"],
        basis="TSG 08-2017《特种设备使用管理规则》",
    ),
    Guide(
        code="periodic-inspection",
        title="定期检验报检",
        summary="使用单位在检验有效期届满前1个月向检验机构提出定期检验申请；检验合格后方可继续使用。"
        "电梯、锅炉外部检验、叉车每年1次；桥式、门式起重机每2年1次；压力容器按安全状况等级3至6年。",
        steps=[
            "在检验有效期届满前1个月报检",
            "检验机构受理并安排检验日期",
            "配合现场检验",
            "领取检验报告，不合格的整改后申请复检",
        ],
        materials=["使用登记证", "上次检验报告", "维护保养记录", "作业人员证书"],
        basis="TSG 08-2017；TSG T7001；TSG G7002；TSG 21；TSG Q7015；TSG N0001",
    ),
    Guide(
        code="lift-maintenance",
        title="电梯维护保养",
        summary="电梯应当由取得许可的单位至少每15日进行一次维护保养；乘客被困请拨打96333。",
        steps=[
            "与取得许可的维保单位签订维保合同",
            "按半月、季度、半年、年度项目维保",
            "维保记录经使用单位签字确认",
            "电梯故障或困人立即启动应急救援",
        ],
        materials=["维保合同", "维保记录", "应急救援预案"],
        basis="TSG T5002-2017《电梯维护保养规则》",
    ),
)
FEES: tuple[Fee, ...] = (
    Fee(item="电梯定期检验", unit="台", amount_fen=36000),
    Fee(item="自动扶梯、自动人行道定期检验", unit="台", amount_fen=42000),
    Fee(item="锅炉外部检验", unit="台", amount_fen=30000, note="额定蒸发量1吨/小时以下"),
    Fee(item="锅炉内部检验", unit="台", amount_fen=80000, note="额定蒸发量1吨/小时以下"),
    Fee(item="压力容器定期检验", unit="台", amount_fen=60000, note="容积1立方米以下"),
    Fee(item="桥式、门式起重机定期检验", unit="台", amount_fen=50000),
    Fee(item="场（厂）内专用机动车辆定期检验", unit="台", amount_fen=30000),
    Fee(item="复检", unit="台次", amount_fen=0, note="首次检验不合格后的复检不另收费"),
)


def _mentions(guide: Guide, word: str) -> bool:
    """`word` appears in the guide's title, summary, steps or materials."""
    return any(
        word in text for text in (guide.title, guide.summary, *guide.steps, *guide.materials)
    )


def search_guides(*, q: str | None, page: PageParams) -> Page[Guide]:
    """The guides containing every word of `q`, a page of them."""
    words = (q or "").split()
    found = [g for g in GUIDES if all(_mentions(g, w) for w in words)]
    return Page(items=found[page.offset : page.offset + page.limit], total=len(found))
