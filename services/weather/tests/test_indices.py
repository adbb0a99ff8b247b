"""Every rule of the life indices (`reference/weather.md`), one table row each."""

from datetime import date

import pytest

from weather.indices import (
    comfort_index,
    day_indices,
    dressing_index,
    outing_index,
    outing_score,
    umbrella_index,
    uv_index,
)
from weather.models import DailyForecast
from weather.signals import ActiveSignal

RAINSTORM_YELLOW = ActiveSignal("rainstorm", "yellow")
RAINSTORM_ORANGE = ActiveSignal("rainstorm", "orange")
RAINSTORM_RED = ActiveSignal("rainstorm", "red")
TYPHOON_WHITE = ActiveSignal("typhoon", "white")
TYPHOON_YELLOW = ActiveSignal("typhoon", "yellow")
TYPHOON_ORANGE = ActiveSignal("typhoon", "orange")
TYPHOON_RED = ActiveSignal("typhoon", "red")
HEAT_YELLOW = ActiveSignal("high_temperature", "yellow")
HEAT_RED = ActiveSignal("high_temperature", "red")
COLD_YELLOW = ActiveSignal("cold", "yellow")
COLD_ORANGE = ActiveSignal("cold", "orange")
FOG_RED = ActiveSignal("fog", "red")


@pytest.mark.parametrize(
    ("codes", "mm", "prob", "signals", "level", "text", "override"),
    [
        # 不带伞: amount < 0.1, probability < 30, no rain, shower or thunder code
        (("00", "01"), 0.0, 0, (), "不带伞", "天气较好，外出不必带伞。", None),
        (("02", "02"), 0.09, 29, (), "不带伞", "天气较好，外出不必带伞。", None),
        (("18", "53"), 0.0, 10, (FOG_RED,), "不带伞", "天气较好，外出不必带伞。", None),
        # 备伞: probability 30-59, or showers
        (("01", "01"), 0.0, 30, (), "备伞", "可能有降水，外出可备伞。", None),
        (("01", "02"), 0.0, 59, (), "备伞", "可能有降水，外出可备伞。", None),
        (("03", "01"), 0.0, 10, (), "备伞", "可能有降水，外出可备伞。", None),
        (("13", "13"), 0.0, 10, (), "备伞", "可能有降水，外出可备伞。", None),
        # (our rule for the gap) a rain code without amount or probability
        (("07", "07"), 0.0, 10, (), "备伞", "可能有降水，外出可备伞。", None),
        # 带伞: amount >= 0.1, or probability >= 60
        (("01", "01"), 0.1, 10, (), "带伞", "有降水，带雨伞。", None),
        (("01", "01"), 0.0, 60, (), "带伞", "有降水，带雨伞。", None),
        (("03", "03"), 24.9, 80, (), "带伞", "有降水，带雨伞。", None),
        (("08", "08"), 15.0, 90, (TYPHOON_WHITE,), "带伞", "有降水，带雨伞。", None),
        # 带伞(强): amount >= 25, heavy or violent codes, thunder, or a rainstorm signal
        (("01", "01"), 25.0, 50, (), "带伞(强)", "较强降水，带雨伞，避免淋湿。", None),
        (("09", "09"), 0.0, 0, (), "带伞(强)", "较强降水，带雨伞，避免淋湿。", None),
        (("10", "10"), 60.0, 95, (), "带伞(强)", "较强降水，带雨伞，避免淋湿。", None),
        (("01", "04"), 2.0, 40, (), "带伞(强)", "较强降水，带雨伞，避免淋湿。", None),
        (("05", "05"), 5.0, 70, (), "带伞(强)", "较强降水，带雨伞，避免淋湿。", None),
        (
            ("00", "00"),
            0.0,
            0,
            (RAINSTORM_YELLOW,),
            "带伞(强)",
            "较强降水，带雨伞，避免淋湿。",
            "暴雨黄色预警信号",
        ),
        (
            ("07", "07"),
            3.0,
            70,
            (RAINSTORM_RED,),
            "带伞(强)",
            "较强降水，带雨伞，避免淋湿。",
            "暴雨红色预警信号",
        ),
        # the weather alone already calls for it: the signal is not what set the level
        (
            ("09", "09"),
            30.0,
            90,
            (RAINSTORM_ORANGE,),
            "带伞(强)",
            "较强降水，带雨伞，避免淋湿。",
            None,
        ),
    ],
)
def test_umbrella_index(
    codes: tuple[str, str],
    mm: float,
    prob: int,
    signals: tuple[ActiveSignal, ...],
    level: str,
    text: str,
    override: str | None,
) -> None:
    reading = umbrella_index(codes=codes, rain_mm=mm, rain_probability=prob, signals=signals)
    assert (reading.name, reading.level, reading.text, reading.override) == (
        "雨伞指数",
        level,
        text,
        override,
    )


@pytest.mark.parametrize(
    ("t_max", "force", "mm", "signals", "level", "override"),
    [
        # best with a maximum of 18-28 ℃
        (18, 2, 0.0, (), "适宜", None),
        (28, 3, 0.0, (), "适宜", None),
        (30, 3, 0.0, (), "适宜", None),  # 28-30: a small penalty
        # penalties above 30 ℃ and below 12 ℃
        (31, 2, 0.0, (), "较适宜", None),
        (33, 2, 0.0, (), "一般", None),
        (35, 2, 0.0, (), "较不宜", None),
        (37, 2, 0.0, (), "不适宜", None),
        (12, 2, 0.0, (), "适宜", None),
        (10, 2, 0.0, (), "一般", None),
        (7, 2, 0.0, (), "较不宜", None),
        (5, 2, 0.0, (), "不适宜", None),
        # wind force <= 3 costs nothing; 4 and 5 cost points; 6 or more caps at 较不宜
        (24, 4, 0.0, (), "适宜", None),
        (24, 5, 0.0, (), "较适宜", None),
        (24, 6, 0.0, (), "较不宜", None),
        (24, 8, 0.0, (), "较不宜", None),
        (33, 6, 0.0, (), "较不宜", None),
        (37, 6, 0.0, (), "不适宜", None),  # the cap never improves a worse score
        # rain: light and moderate cost points; 大雨 or worse is 不适宜
        (24, 2, 0.1, (), "较适宜", None),
        (24, 2, 10.0, (), "一般", None),
        (24, 2, 24.9, (), "一般", None),
        (24, 2, 25.0, (), "不适宜", None),
        (24, 2, 120.0, (), "不适宜", None),
        # any typhoon or rainstorm signal orange or red forces 不适宜
        (24, 2, 0.0, (RAINSTORM_ORANGE,), "不适宜", "暴雨橙色预警信号"),
        (24, 2, 0.0, (RAINSTORM_RED,), "不适宜", "暴雨红色预警信号"),
        (24, 2, 0.0, (TYPHOON_ORANGE,), "不适宜", "台风橙色预警信号"),
        (24, 2, 0.0, (TYPHOON_RED,), "不适宜", "台风红色预警信号"),
        # weaker signals of those hazards, and other hazards, leave the weather's level
        (24, 2, 0.0, (RAINSTORM_YELLOW,), "适宜", None),
        (24, 2, 0.0, (TYPHOON_WHITE, TYPHOON_YELLOW), "适宜", None),
        (24, 2, 0.0, (HEAT_RED, FOG_RED), "适宜", None),
    ],
)
def test_outing_index(
    t_max: int,
    force: int,
    mm: float,
    signals: tuple[ActiveSignal, ...],
    level: str,
    override: str | None,
) -> None:
    reading = outing_index(temp_max_c=t_max, wind_force=force, rain_mm=mm, signals=signals)
    assert (reading.name, reading.level, reading.override) == ("郊游指数", level, override)


def test_outing_texts_speak_in_the_cma_voice() -> None:
    best = outing_index(temp_max_c=24, wind_force=2, rain_mm=0.0)
    assert best.text == "天气较好，可尽情享受大自然的风光。"
    assert outing_score(temp_max_c=24, wind_force=2, rain_mm=0.0) == 100
    worst = outing_index(temp_max_c=24, wind_force=2, rain_mm=30.0)
    assert worst.text == "天气不好，不适宜郊游，建议在室内活动。"


@pytest.mark.parametrize(
    ("uv", "level"),
    [
        (0, "最弱"),
        (2, "最弱"),
        (3, "弱"),
        (4, "弱"),
        (5, "中等"),
        (6, "中等"),
        (7, "强"),
        (9, "强"),
        (10, "很强"),
        (14, "很强"),
    ],
)
def test_uv_bands(uv: int, level: str) -> None:
    reading = uv_index(uv=uv)
    assert (reading.name, reading.level) == ("紫外线指数", level) and reading.text


@pytest.mark.parametrize(
    ("t_min", "t_max", "signals", "level", "override"),
    [
        (26, 33, (), "炎热", None),
        (22, 28, (), "热", None),
        (19, 25, (), "舒适", None),
        (15, 22, (), "较舒适", None),
        (12, 19, (), "较冷", None),
        (8, 14, (), "冷", None),
        (3, 10, (), "寒冷", None),
        (12, 19, (COLD_YELLOW,), "冷", "寒冷黄色预警信号"),
        (12, 19, (COLD_ORANGE,), "寒冷", "寒冷橙色预警信号"),
        (3, 10, (COLD_YELLOW,), "寒冷", None),
        (22, 28, (HEAT_YELLOW,), "炎热", "高温黄色预警信号"),
        (26, 33, (HEAT_RED,), "炎热", None),
    ],
)
def test_dressing_index(
    t_min: int, t_max: int, signals: tuple[ActiveSignal, ...], level: str, override: str | None
) -> None:
    reading = dressing_index(temp_min_c=t_min, temp_max_c=t_max, signals=signals)
    assert (reading.name, reading.level, reading.override) == ("穿衣指数", level, override)
    assert reading.text


@pytest.mark.parametrize(
    ("t_min", "t_max", "signals", "level", "text", "override"),
    [
        (18, 26, (), "舒适", "温度适宜，感觉舒适。", None),
        (20, 29, (), "较舒适", "白天稍热，总体感觉较舒适。", None),
        (13, 20, (), "较舒适", "早晚偏凉，总体感觉较舒适。", None),
        (26, 32, (), "不舒适", "天气炎热，感觉不舒适，午后尽量减少户外活动。", None),
        (9, 16, (), "不舒适", "天气较冷，感觉不舒适，注意添衣保暖。", None),
        (27, 35, (), "很不舒适", "天气酷热，很不舒适，注意防暑降温。", None),
        (4, 11, (), "很不舒适", "天气寒冷，很不舒适，注意防寒保暖。", None),
        (
            20,
            29,
            (HEAT_YELLOW,),
            "不舒适",
            "天气炎热，感觉不舒适，午后尽量减少户外活动。",
            "高温黄色预警信号",
        ),
        (
            18,
            26,
            (COLD_ORANGE,),
            "很不舒适",
            "天气寒冷，很不舒适，注意防寒保暖。",
            "寒冷橙色预警信号",
        ),
    ],
)
def test_comfort_index(
    t_min: int,
    t_max: int,
    signals: tuple[ActiveSignal, ...],
    level: str,
    text: str,
    override: str | None,
) -> None:
    reading = comfort_index(temp_min_c=t_min, temp_max_c=t_max, signals=signals)
    assert (reading.name, reading.level, reading.text, reading.override) == (
        "舒适度指数",
        level,
        text,
        override,
    )


def test_a_day_has_the_five_indices_in_order() -> None:
    day = DailyForecast(
        date=date(2026, 7, 1),
        text="雷阵雨",
        day_code="04",
        night_code="04",
        temp_min_c=26,
        temp_max_c=33,
        rain_mm=2.0,
        rain_probability=80,
        wind_direction="南风",
        wind_force=3,
        wind_text="南风3级",
        uv_index=8,
    )
    readings = day_indices(day=day, signals=[TYPHOON_RED])
    assert [r.code for r in readings] == ["umbrella", "outing", "uv", "dressing", "comfort"]
    assert [r.level for r in readings] == ["带伞(强)", "不适宜", "强", "炎热", "不舒适"]
    assert readings[1].override == "台风红色预警信号"
