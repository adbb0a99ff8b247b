"""Life indices (CMA style): umbrella, outing, UV, dressing and comfort.

No official formula is published; these are our rules (`reference/weather.md`). Umbrella and
outing follow the reference exactly; UV follows its bands; dressing and comfort are ours.
Active warning signals override levels: a signal can only make a level more cautious, and the
reading then names the signal that set it.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from weather.models import DailyForecast
from weather.phenomena import (
    HEAVY_CODES,
    PRECIPITATION_CODES,
    SHOWER_CODES,
    THUNDER_CODES,
    rain_grade_code,
)
from weather.reference import signal_name
from weather.signals import ActiveSignal


@dataclass(frozen=True)
class IndexReading:
    """One index for one day: its level, its advice and the signal that set it, if any."""

    code: str
    name: str
    level: str
    text: str
    override: str | None = None


def _strongest(
    levels: tuple[str, ...], weather: str, floors: list[tuple[str, ActiveSignal]]
) -> tuple[str, ActiveSignal | None]:
    """The most cautious of `weather` and the signals' floors (later in `levels` = more cautious).

    Returns the level and the signal that raised it (None when the weather set it).
    """
    level, by = weather, None
    for floor, signal in floors:
        if levels.index(floor) > levels.index(level):
            level, by = floor, signal
    return level, by


def _reading(code: str, name: str, level: str, text: str, by: ActiveSignal | None) -> IndexReading:
    return IndexReading(code, name, level, text, by and signal_name(by.hazard, by.colour))


# ---- umbrella (雨伞指数)

UMBRELLA_LEVELS = ("不带伞", "备伞", "带伞", "带伞(强)")
UMBRELLA_TEXTS = {
    "不带伞": "天气较好，外出不必带伞。",
    "备伞": "可能有降水，外出可备伞。",
    "带伞": "有降水，带雨伞。",
    "带伞(强)": "较强降水，带雨伞，避免淋湿。",
}


def umbrella_level(*, codes: Collection[str], rain_mm: float, rain_probability: int) -> str:
    """The umbrella level the weather alone calls for."""
    codes = set(codes)
    if rain_mm >= 25 or codes & (HEAVY_CODES | THUNDER_CODES):
        return "带伞(强)"
    if rain_mm >= 0.1 or rain_probability >= 60:
        return "带伞"
    if rain_probability >= 30 or codes & SHOWER_CODES:
        return "备伞"
    if codes & PRECIPITATION_CODES:
        # A precipitation code without amount or probability fits no rule of the reference;
        # "possible precipitation" is the honest reading.
        return "备伞"
    return "不带伞"


def umbrella_index(
    *,
    codes: Collection[str],
    rain_mm: float,
    rain_probability: int,
    signals: Collection[ActiveSignal] = (),
) -> IndexReading:
    """雨伞指数: any active rainstorm signal makes it 带伞(强)."""
    weather = umbrella_level(codes=codes, rain_mm=rain_mm, rain_probability=rain_probability)
    floors = [("带伞(强)", s) for s in signals if s.hazard == "rainstorm"]
    level, by = _strongest(UMBRELLA_LEVELS, weather, floors)
    return _reading("umbrella", "雨伞指数", level, UMBRELLA_TEXTS[level], by)


# ---- outing (郊游指数)

OUTING_LEVELS = ("适宜", "较适宜", "一般", "较不宜", "不适宜")
OUTING_TEXTS = {
    "适宜": "天气较好，可尽情享受大自然的风光。",
    "较适宜": "天气尚好，较适宜郊游，出行前请留意天气变化。",
    "一般": "天气一般，郊游时请做好防晒或防雨准备。",
    "较不宜": "天气欠佳，不太适宜郊游，外出请注意安全。",
    "不适宜": "天气不好，不适宜郊游，建议在室内活动。",
}
# (lowest score, level), best first.
OUTING_BANDS = ((85, "适宜"), (70, "较适宜"), (50, "一般"), (30, "较不宜"))
RAIN_PENALTIES = {None: 0, "07": 30, "08": 50}  # 大雨 and worse: 不适宜 whatever the score
STRONG_WIND_FORCE = 6
OUTING_SIGNAL_HAZARDS = frozenset({"typhoon", "rainstorm"})


def temperature_penalty(temp_max_c: int) -> int:
    """Points off the outing score for the day's maximum: none at 18-28 ℃."""
    if temp_max_c > 30:
        return 10 + 10 * (temp_max_c - 30)
    if temp_max_c > 28:
        return 5 * (temp_max_c - 28)
    if temp_max_c < 12:
        return 12 + 10 * (12 - temp_max_c)
    if temp_max_c < 18:
        return 2 * (18 - temp_max_c)
    return 0


def wind_penalty(wind_force: int) -> int:
    """Points off the outing score for the wind: none up to force 3."""
    return 0 if wind_force <= 3 else min(30, 10 * (wind_force - 3))


def outing_score(*, temp_max_c: int, wind_force: int, rain_mm: float) -> int:
    """100 less the temperature, wind and rain penalties (大雨 and worse are handled apart)."""
    rain = RAIN_PENALTIES.get(rain_grade_code(rain_mm), 100)
    return 100 - temperature_penalty(temp_max_c) - wind_penalty(wind_force) - rain


def outing_level(*, temp_max_c: int, wind_force: int, rain_mm: float) -> str:
    """The outing level the weather alone calls for."""
    if rain_mm >= 25:  # 大雨 or worse
        return "不适宜"
    score = outing_score(temp_max_c=temp_max_c, wind_force=wind_force, rain_mm=rain_mm)
    level = next((name for lowest, name in OUTING_BANDS if score >= lowest), "不适宜")
    if wind_force >= STRONG_WIND_FORCE and OUTING_LEVELS.index(level) < OUTING_LEVELS.index(
        "较不宜"
    ):
        return "较不宜"
    return level


def outing_index(
    *,
    temp_max_c: int,
    wind_force: int,
    rain_mm: float,
    signals: Collection[ActiveSignal] = (),
) -> IndexReading:
    """郊游指数: a typhoon or rainstorm signal orange or red makes it 不适宜."""
    weather = outing_level(temp_max_c=temp_max_c, wind_force=wind_force, rain_mm=rain_mm)
    floors = [
        ("不适宜", s)
        for s in signals
        if s.hazard in OUTING_SIGNAL_HAZARDS and s.colour in ("orange", "red")
    ]
    level, by = _strongest(OUTING_LEVELS, weather, floors)
    return _reading("outing", "郊游指数", level, OUTING_TEXTS[level], by)


# ---- ultraviolet (紫外线指数)

# (lowest UV index, level, text), strongest first.
UV_BANDS = (
    (10, "很强", "紫外线辐射极强，尽量避免外出，必须外出时涂擦SPF30以上的防晒护肤品。"),
    (7, "强", "紫外线辐射强，涂擦SPF20以上的防晒护肤品，避免10点至14点暴露于日光下。"),
    (5, "中等", "紫外线强度中等，外出时涂擦SPF15以上的防晒护肤品，戴帽子和太阳镜。"),
    (3, "弱", "紫外线强度较弱，外出时可涂擦SPF12至15的防晒护肤品。"),
    (0, "最弱", "紫外线强度最弱，无需特别防护。"),
)


def uv_index(*, uv: int) -> IndexReading:
    """紫外线指数: 0-2 最弱, 3-4 弱, 5-6 中等, 7-9 强, 10 and above 很强."""
    _, level, text = next(band for band in UV_BANDS if uv >= band[0])
    return IndexReading("uv", "紫外线指数", level, text)


# ---- dressing (穿衣指数)

DRESSING_LEVELS = ("炎热", "热", "舒适", "较舒适", "较冷", "冷", "寒冷")  # warmest first
DRESSING_TEXTS = {
    "炎热": "天气炎热，建议着短衫、短裙、短裤、薄型T恤衫等清凉夏季服装。",
    "热": "天气热，建议着短裙、短裤、短薄外套、T恤等夏季服装。",
    "舒适": "建议着长袖T恤、衬衫加单裤等服装，年老体弱者宜着针织长袖衬衫、马甲和长裤。",
    "较舒适": "建议着薄外套、开衫牛仔衫裤等服装，年老体弱者宜着夹克衫、薄毛衣等。",
    "较冷": "建议着厚外套加毛衣等服装，年老体弱者宜着大衣、呢外套加羊毛衫。",
    "冷": "天气冷，建议着棉服、羽绒服、皮夹克加羊毛衫等冬季服装。",
    "寒冷": "天气寒冷，建议着厚羽绒服、毛皮大衣加厚毛衣等隆冬服装。",
}
# (lowest mean of min and max in ℃, level), warmest first.
DRESSING_BANDS = ((28, "炎热"), (24, "热"), (21, "舒适"), (18, "较舒适"), (15, "较冷"), (10, "冷"))


def dressing_index(
    *, temp_min_c: int, temp_max_c: int, signals: Collection[ActiveSignal] = ()
) -> IndexReading:
    """穿衣指数 from the day's mean temperature; cold signals dress warmer, heat ones lighter."""
    mean = (temp_min_c + temp_max_c) / 2
    weather = next((name for lowest, name in DRESSING_BANDS if mean >= lowest), "寒冷")
    cold = [("冷" if s.colour == "yellow" else "寒冷", s) for s in signals if s.hazard == "cold"]
    level, by = _strongest(DRESSING_LEVELS, weather, cold)
    if by is None:
        # Heat pushes the other way along the same scale: at least as light as 炎热.
        heat = [("炎热", s) for s in signals if s.hazard == "high_temperature"]
        level, by = _strongest(DRESSING_LEVELS[::-1], weather, heat)
    return _reading("dressing", "穿衣指数", level, DRESSING_TEXTS[level], by)


# ---- comfort (舒适度指数)

COMFORT_LEVELS = ("舒适", "较舒适", "不舒适", "很不舒适")
COMFORT_TEXTS = {
    ("舒适", ""): "温度适宜，感觉舒适。",
    ("较舒适", "hot"): "白天稍热，总体感觉较舒适。",
    ("较舒适", "cold"): "早晚偏凉，总体感觉较舒适。",
    ("不舒适", "hot"): "天气炎热，感觉不舒适，午后尽量减少户外活动。",
    ("不舒适", "cold"): "天气较冷，感觉不舒适，注意添衣保暖。",
    ("很不舒适", "hot"): "天气酷热，很不舒适，注意防暑降温。",
    ("很不舒适", "cold"): "天气寒冷，很不舒适，注意防寒保暖。",
}
# (hottest maximum from which, coldest minimum below which, level), worst first.
COMFORT_BANDS = ((35, 5, "很不舒适"), (32, 10, "不舒适"), (29, 14, "较舒适"))


def comfort_index(
    *, temp_min_c: int, temp_max_c: int, signals: Collection[ActiveSignal] = ()
) -> IndexReading:
    """舒适度指数 from the day's extremes; heat and cold signals make it less comfortable."""
    weather, side = "舒适", ""
    for hot_from, cold_below, name in COMFORT_BANDS:
        if temp_max_c >= hot_from or temp_min_c < cold_below:
            weather, side = name, "hot" if temp_max_c >= hot_from else "cold"
            break
    floors = [
        ("不舒适" if s.colour == "yellow" else "很不舒适", s)
        for s in signals
        if s.hazard in ("high_temperature", "cold")
    ]
    level, by = _strongest(COMFORT_LEVELS, weather, floors)
    if by is not None:
        side = "cold" if by.hazard == "cold" else "hot"
    return _reading("comfort", "舒适度指数", level, COMFORT_TEXTS[(level, side)], by)


def day_indices(
    *, day: DailyForecast, signals: Collection[ActiveSignal] = ()
) -> list[IndexReading]:
    """The five indices of one forecast day under the given active signals."""
    return [
        umbrella_index(
            codes=(day.day_code, day.night_code),
            rain_mm=day.rain_mm,
            rain_probability=day.rain_probability,
            signals=signals,
        ),
        outing_index(
            temp_max_c=day.temp_max_c,
            wind_force=day.wind_force,
            rain_mm=day.rain_mm,
            signals=signals,
        ),
        uv_index(uv=day.uv_index),
        dressing_index(temp_min_c=day.temp_min_c, temp_max_c=day.temp_max_c, signals=signals),
        comfort_index(temp_min_c=day.temp_min_c, temp_max_c=day.temp_max_c, signals=signals),
    ]
