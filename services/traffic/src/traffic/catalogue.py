"""Reference data seeded as is: offices, bookable businesses and business guides (办事指南).

Names, materials and fees follow what Guangdong's traffic police publish for these businesses
(fees: 驾驶证、行驶证、登记证书工本费 10 元, 汽车号牌 100 元 a pair); addresses and phone
numbers of the offices are demo data.
"""

from __future__ import annotations

from typing import Any

OFFICES: tuple[dict[str, Any], ...] = (
    {
        "code": "dongguan",
        "name": "东莞市公安局交通警察支队车辆管理所",
        "kind": "车管所",
        "town": "东城街道",
        "address": "东城街道东莞大道与莞樟路交汇处车管所业务大厅",
        "phone": "0769-22000122",
        "hours": "周一至周五 9:00-12:00、14:00-17:00；周六 9:00-12:00",
        "opens_saturday": True,
        "slot_capacity": 30,
    },
    {
        "code": "changan",
        "name": "车辆管理所长安分所",
        "kind": "分所",
        "town": "长安镇",
        "address": "长安镇莞长路长安段车管分所",
        "phone": "0769-85000122",
        "hours": "周一至周五 9:00-12:00、14:00-17:00",
        "opens_saturday": False,
        "slot_capacity": 10,
    },
    {
        "code": "humen",
        "name": "车辆管理所虎门分所",
        "kind": "分所",
        "town": "虎门镇",
        "address": "虎门镇虎门大道车管分所",
        "phone": "0769-85100122",
        "hours": "周一至周五 9:00-12:00、14:00-17:00",
        "opens_saturday": False,
        "slot_capacity": 10,
    },
    {
        "code": "changping",
        "name": "车辆管理所常平分所",
        "kind": "分所",
        "town": "常平镇",
        "address": "常平镇常平大道车管分所",
        "phone": "0769-83300122",
        "hours": "周一至周五 9:00-12:00、14:00-17:00",
        "opens_saturday": False,
        "slot_capacity": 10,
    },
    {
        "code": "tangxia",
        "name": "车辆管理所塘厦分所",
        "kind": "分所",
        "town": "塘厦镇",
        "address": "塘厦镇莞深高速塘厦出口旁车管分所",
        "phone": "0769-87900122",
        "hours": "周一至周五 9:00-12:00、14:00-17:00；周六 9:00-12:00",
        "opens_saturday": True,
        "slot_capacity": 10,
    },
    {
        "code": "songshanhu",
        "name": "松山湖车管业务服务站",
        "kind": "服务站",
        "town": "松山湖",
        "address": "松山湖新城大道政务服务中心一楼",
        "phone": "0769-22890122",
        "hours": "周一至周五 9:00-12:00、14:00-17:00",
        "opens_saturday": False,
        "slot_capacity": 10,
    },
)

ID = "居民身份证（外地户籍另需东莞居住证）"
# What a new vehicle is registered with, booked at the counter or read in its guide.
REGISTRATION_MATERIALS = [
    ID,
    "机动车销售统一发票",
    "车辆出厂合格证（进口车为进口凭证）",
    "交强险保单",
]
TRANSFER_MATERIALS = [
    "买卖双方身份证明",
    "机动车登记证书",
    "机动车行驶证",
    "二手车销售统一发票",
    "待过户车辆",
]
BUSINESSES: tuple[dict[str, Any], ...] = (
    {
        "code": "licence-renewal",
        "name": "驾驶证期满换证",
        "category": "驾驶证业务",
        "description": "驾驶证有效期满前90日内换领新证。",
        "materials": [ID, "机动车驾驶证", "《机动车驾驶人身体条件证明》（可电子传递）"],
    },
    {
        "code": "licence-replacement",
        "name": "驾驶证补领",
        "category": "驾驶证业务",
        "description": "驾驶证遗失、损毁后补领。",
        "materials": [ID],
    },
    {
        "code": "licence-review",
        "name": "驾驶证审验",
        "category": "驾驶证业务",
        "description": "大中型客货车驾驶人记分周期结束后30日内审验。",
        "materials": [ID, "机动车驾驶证", "审验教育学习证明（网上学习完成的无需提交）"],
    },
    {
        "code": "vehicle-registration",
        "name": "新车注册登记（上牌）",
        "category": "机动车业务",
        "description": "新购机动车申领号牌、行驶证和登记证书，车辆到场查验。",
        "materials": [
            *REGISTRATION_MATERIALS,
            "车辆购置税完税证明（已电子化的无需提交）",
            "待登记车辆",
        ],
    },
    {
        "code": "vehicle-transfer",
        "name": "机动车转移登记（过户）",
        "category": "机动车业务",
        "description": "二手车买卖后办理所有权转移，车辆到场查验。",
        "materials": TRANSFER_MATERIALS,
    },
    {
        "code": "vehicle-licence-replacement",
        "name": "补领行驶证",
        "category": "机动车业务",
        "description": "行驶证遗失、损毁后补领。",
        "materials": [ID],
    },
)

TRAFFIC_HALL = "东莞市公安局交通警察支队车辆管理所及长安、虎门、常平、塘厦分所"
COUNTER_HOURS = "周一至周五 9:00-12:00、14:00-17:00（车管所周六上午开放）"
ONLINE_12123 = "交管12123 App、东莞交警微信公众号"
# The fees of the module docstring, each written once.
LICENCE_FEE = {"item": "驾驶证工本费", "fee_fen": 1000}
VEHICLE_LICENCE_FEE = {"item": "行驶证工本费", "fee_fen": 1000}
CERTIFICATE_FEE = {"item": "登记证书工本费", "fee_fen": 1000}
PLATES_FEE = {"item": "汽车号牌", "fee_fen": 10000}
GUIDES: tuple[dict[str, Any], ...] = (
    {
        "id": "licence-renewal",
        "title": "驾驶证期满换证",
        "category": "驾驶证",
        "summary": "驾驶证有效期满前90日内申请换证；身体条件证明可由体检机构电子传递。",
        "conditions": ["驾驶证有效期满前90日内", "身体条件符合申请准驾车型要求"],
        "materials": [ID, "机动车驾驶证", "《机动车驾驶人身体条件证明》"],
        "fees": [LICENCE_FEE],
        "offices": [TRAFFIC_HALL, "各镇街交警中队车驾管服务站"],
        "hours": COUNTER_HOURS,
        "time_limit": "当场办结",
        "online": ONLINE_12123 + "（换证后邮寄到家）",
        "keywords": "换领驾驶证 换证 到期 有效期满 驾照换证",
    },
    {
        "id": "licence-replacement",
        "title": "驾驶证补领",
        "category": "驾驶证",
        "summary": "驾驶证遗失、损毁无法辨认时申请补领。",
        "conditions": ["驾驶证遗失或损毁", "驾驶证未被扣押、扣留"],
        "materials": [ID],
        "fees": [LICENCE_FEE],
        "offices": [TRAFFIC_HALL],
        "hours": COUNTER_HOURS,
        "time_limit": "当场办结",
        "online": ONLINE_12123 + "（补证后邮寄到家）",
        "keywords": "补领驾驶证 补证 驾照丢失 遗失 损毁",
    },
    {
        "id": "vehicle-licence-replacement",
        "title": "补领行驶证",
        "category": "机动车",
        "summary": "机动车行驶证遗失、损毁时由机动车所有人申请补领。",
        "conditions": ["行驶证遗失或损毁", "机动车未被扣押、查封"],
        "materials": [ID],
        "fees": [VEHICLE_LICENCE_FEE],
        "offices": [TRAFFIC_HALL],
        "hours": COUNTER_HOURS,
        "time_limit": "当场办结",
        "online": ONLINE_12123 + "（邮寄到家）",
        "keywords": "补领行驶证 行驶证丢失 遗失 补办行驶证",
    },
    {
        "id": "annual-inspection",
        "title": "机动车年检（安全技术检验）",
        "category": "机动车",
        "summary": "非营运小微型载客汽车10年内免检2次：第6年、第10年上线检验，其余年份网上申领"
        "检验标志；检验合格后领取电子检验合格标志。",
        "conditions": ["检验有效期满前3个月内", "交通违法和交通事故已处理完毕"],
        "materials": [ID, "机动车行驶证", "交强险保单（可电子核查）"],
        "fees": [{"item": "检验合格标志", "fee_fen": 0}],
        "offices": ["全市各机动车检验机构（检测站）"],
        "hours": "各检验机构营业时间，一般为每日 8:30-17:30",
        "time_limit": "检验合格后当场核发电子检验合格标志",
        "online": ONLINE_12123 + "（免检车辆申领检验标志、预约检验）",
        "keywords": "年检 年审 验车 六年免检 检验合格标志 审车",
    },
    {
        "id": "violation-handling",
        "title": "交通违法处理",
        "category": "违法处理",
        "summary": "记分较低的电子监控违法可网上自助处理，生成处罚决定书后15日内缴款，逾期每日"
        "加处罚款3%，加处总额不超过罚款本身。",
        "conditions": ["违法车辆已绑定，或持行驶证、驾驶证到窗口", "网上处理限记3分及以下的违法"],
        "materials": [ID, "机动车驾驶证", "机动车行驶证"],
        "fees": [],
        "offices": ["各交警大队违法处理窗口", TRAFFIC_HALL],
        "hours": COUNTER_HOURS,
        "time_limit": "当场办结",
        "online": ONLINE_12123 + "（违法查询、自助处理、网上缴款）",
        "keywords": "违章 违法 处理违章 罚款 缴款 决定书 扣分 记分",
    },
    {
        "id": "licence-review",
        "title": "驾驶证审验",
        "category": "驾驶证",
        "summary": "A1、A2、A3、B1、B2 驾驶人在每个记分周期结束后30日内审验；周期内无记分的"
        "免予审验；须学习不少于3小时并考试，可网上完成。",
        "conditions": ["持大中型客货车驾驶证", "本记分周期有记分记录"],
        "materials": [ID, "机动车驾驶证"],
        "fees": [],
        "offices": [TRAFFIC_HALL],
        "hours": COUNTER_HOURS,
        "time_limit": "学习考试完成后当场办结",
        "online": ONLINE_12123 + "（审验教育网上学习）",
        "keywords": "审验 审验学习 审验教育 大车 货车 客车 A1 A2 A3 B1 B2",
    },
    {
        "id": "full-score-study",
        "title": "满分学习考试",
        "category": "驾驶证",
        "summary": "一个记分周期内记满12分，驾驶证被扣留，须参加7天（第二次14天，第三次及以上"
        "21天）道路交通安全法律法规学习，并参加科目一考试。",
        "conditions": ["记分周期内累积记分达到12分", "交通违法已处理、罚款已缴纳"],
        "materials": [ID, "机动车驾驶证（已被扣留的无需提交）"],
        "fees": [],
        "offices": ["东莞市交通安全教育基地", TRAFFIC_HALL],
        "hours": COUNTER_HOURS,
        "time_limit": "学习期满后预约考试，考试合格当日发还驾驶证",
        "online": ONLINE_12123 + "（网上学习部分课时、预约考试）",
        "keywords": "满分学习 记满12分 扣满12分 满分教育 驾驶证扣留",
    },
    {
        "id": "point-study",
        "title": "学法减分",
        "category": "驾驶证",
        "summary": "记分未满12分的，网上学习并考试合格减1分，现场参加活动减2分，一个记分周期"
        "最多减6分；不减罚款。",
        "conditions": ["本记分周期记分未满12分", "本或上一周期无饮酒驾驶、肇事逃逸、满分等记录"],
        "materials": [ID],
        "fees": [],
        "offices": ["各交警大队", ONLINE_12123],
        "hours": "网上全天可学习；现场活动以公告为准",
        "time_limit": "考试合格即时减分",
        "online": ONLINE_12123 + "（学法减分）",
        "keywords": "学法减分 减分 消分 销分 扣分",
    },
    {
        "id": "vehicle-registration",
        "title": "新车上牌（注册登记）",
        "category": "机动车",
        "summary": "新购机动车在登记地申领号牌、行驶证和登记证书；可在4S店代办点办理，也可"
        "网上选号。",
        "conditions": ["机动车已投保交强险", "车辆购置税已缴纳或免征"],
        "materials": [*REGISTRATION_MATERIALS, "待登记车辆"],
        "fees": [PLATES_FEE, VEHICLE_LICENCE_FEE, CERTIFICATE_FEE],
        "offices": [TRAFFIC_HALL, "新车销售企业（4S店）上牌服务站"],
        "hours": COUNTER_HOURS,
        "time_limit": "查验合格后当日核发号牌",
        "online": ONLINE_12123 + "（网上选号、预约查验）",
        "keywords": "新车上牌 上牌 注册登记 选号 号牌 挂牌 新车",
    },
    {
        "id": "vehicle-transfer",
        "title": "二手车过户（转移登记）",
        "category": "机动车",
        "summary": "机动车所有权转移后30日内办理转移登记；小型非营运载客汽车可在二手车市场"
        "交易登记服务站一站办理。",
        "conditions": ["交通违法和交通事故已处理完毕", "机动车在检验有效期内"],
        "materials": TRANSFER_MATERIALS,
        "fees": [VEHICLE_LICENCE_FEE, CERTIFICATE_FEE],
        "offices": [TRAFFIC_HALL, "二手车交易市场登记服务站"],
        "hours": COUNTER_HOURS,
        "time_limit": "查验合格后当场办结",
        "online": ONLINE_12123 + "（预约办理）",
        "keywords": "过户 二手车 转移登记 买卖车辆 转籍",
    },
)
