"""The 5-day forecast chart: temperature lines, rain-probability bars, the phenomenon per day.

Sized for a phone (1080 x 1350 px, 4:5 portrait as WeChat articles show images). Drawn with
matplotlib's Agg renderer on a Figure of its own (no pyplot, no global state). Every string is
drawn with one font proven to have its glyphs (`servicekit.cjk`), numbers included, so a test
can check the font covers everything drawn. Rendering happens once per issuance (or per
synthetic date) and location: the PNG is kept in a small in-memory cache.
"""

from __future__ import annotations

import io
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

from fastapi import Depends, Request
from starlette.applications import Starlette

from servicekit.cjk import find_cjk_font, require_glyphs
from servicekit.state import keep, kept
from weather.serving import ServedForecast

WEEKDAYS = "一二三四五六日"
SOURCE_LABELS = {
    "forecaster": "预报员发布",
    "open-meteo": "数值预报导入",
    "synthetic": "气候模型生成",
}
WIDTH_IN, HEIGHT_IN, DPI = 7.2, 9.0, 150
HIGH_COLOUR, LOW_COLOUR, RAIN_COLOUR = "#d9534f", "#2b7bb9", "#5bc0de"


@dataclass(frozen=True)
class ChartText:
    """Every string the chart draws, and the values behind them."""

    title: str
    subtitle: str
    day_labels: tuple[str, ...]
    phenomena: tuple[str, ...]
    highs: tuple[int, ...]
    lows: tuple[int, ...]
    probabilities: tuple[int, ...]
    high_labels: tuple[str, ...]
    low_labels: tuple[str, ...]
    rain_labels: tuple[str, ...]
    legend: tuple[str, str, str]

    def all_text(self) -> str:
        """Every character the font must cover."""
        parts = (
            self.title,
            self.subtitle,
            *self.day_labels,
            *self.phenomena,
            *self.high_labels,
            *self.low_labels,
            *self.rain_labels,
            *self.legend,
        )
        return "".join(parts)


def _phenomenon_label(text: str) -> str:
    """`多云转小雨` on two lines so five columns fit a phone's width."""
    day, sep, night = text.partition("转")
    return f"{day}\n转{night}" if sep else text


def chart_text(served: ServedForecast) -> ChartText:
    """The strings and values of the chart of one served forecast."""
    days = served.days
    if served.issuance_version is None:
        subtitle = f"{SOURCE_LABELS[served.source]}（暂无正式发布）"
    else:
        when = served.issued_at.strftime("%Y-%m-%d %H:%M")
        subtitle = f"{when} {SOURCE_LABELS[served.source]} 第{served.issuance_version}版"
    return ChartText(
        title=f"{served.division.name} 未来{len(days)}天天气预报",
        subtitle=subtitle,
        day_labels=tuple(
            f"{d.date.month}月{d.date.day}日\n周{WEEKDAYS[d.date.weekday()]}" for d in days
        ),
        phenomena=tuple(_phenomenon_label(d.text) for d in days),
        highs=tuple(d.temp_max_c for d in days),
        lows=tuple(d.temp_min_c for d in days),
        probabilities=tuple(d.rain_probability for d in days),
        # "°C", not "℃": WenQuanYi Micro Hei maps U+2103 to an empty glyph, drawn as nothing.
        high_labels=tuple(f"{d.temp_max_c}°C" for d in days),
        low_labels=tuple(f"{d.temp_min_c}°C" for d in days),
        rain_labels=tuple(
            f"{d.rain_probability}%\n{d.rain_mm:g}毫米"
            if d.rain_mm >= 0.1
            else f"{d.rain_probability}%\n无降水"
            for d in days
        ),
        legend=("最高气温", "最低气温", "降水概率（%）"),
    )


def find_chart_font(text: ChartText) -> Path:
    """A font covering every string of `text` (raises servicekit.cjk.CJKFontNotFound)."""
    return find_cjk_font(text.all_text())


def render_png(text: ChartText, *, font: Path) -> bytes:
    """The chart as PNG bytes, every string drawn with `font` (which must cover them all)."""
    require_glyphs(font, text.all_text())
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.font_manager import FontProperties

    def cjk(size: float) -> FontProperties:
        return FontProperties(fname=str(font), size=size)

    figure = Figure(figsize=(WIDTH_IN, HEIGHT_IN), dpi=DPI, layout="constrained")
    FigureCanvasAgg(figure)
    figure.suptitle(text.title + "\n", fontproperties=cjk(17))
    figure.text(0.5, 0.935, text.subtitle, ha="center", fontproperties=cjk(10), color="#666666")
    temps, rain = figure.subplots(2, 1, sharex=True, height_ratios=(3, 2))
    xs = list(range(len(text.highs)))

    temps.plot(xs, text.highs, "o-", color=HIGH_COLOUR, linewidth=2.5, label=text.legend[0])
    temps.plot(xs, text.lows, "o-", color=LOW_COLOUR, linewidth=2.5, label=text.legend[1])
    for x, value, label in zip(xs, text.highs, text.high_labels, strict=True):
        temps.annotate(
            label,
            (x, value),
            xytext=(0, 9),
            textcoords="offset points",
            ha="center",
            fontproperties=cjk(11),
            color=HIGH_COLOUR,
        )
    for x, value, label in zip(xs, text.lows, text.low_labels, strict=True):
        temps.annotate(
            label,
            (x, value),
            xytext=(0, -18),
            textcoords="offset points",
            ha="center",
            fontproperties=cjk(11),
            color=LOW_COLOUR,
        )
    low, high = min(text.lows), max(text.highs)
    temps.set_ylim(low - 4, high + 4)
    temps.set_xlim(-0.5, len(xs) - 0.5)
    temps.set_yticks([])
    temps.legend(
        prop=cjk(10), loc="lower center", ncols=2, frameon=False, bbox_to_anchor=(0.5, -0.02)
    )
    # The phenomenon of each day heads its column.
    top = temps.secondary_xaxis("top")
    top.set_xticks(xs, labels=list(text.phenomena), fontproperties=cjk(12))
    top.tick_params(length=0, pad=6)

    bars = rain.bar(xs, text.probabilities, width=0.55, color=RAIN_COLOUR, label=text.legend[2])
    rain.bar_label(bars, labels=list(text.rain_labels), padding=3, fontproperties=cjk(10))
    rain.set_ylim(0, 140)
    rain.set_yticks([])
    rain.legend(prop=cjk(10), loc="upper left", frameon=False)
    rain.set_xticks(xs, labels=list(text.day_labels), fontproperties=cjk(11))
    rain.tick_params(axis="x", length=0)
    for axes in (temps, rain):
        axes.spines[["top", "right", "left"]].set_visible(False)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


class ChartCache:
    """PNGs by key, least recently used dropped first; one render at a time.

    Rendering under the lock keeps matplotlib single-threaded and renders a chart once even when
    many requests for it arrive together.
    """

    def __init__(self, size: int = 128) -> None:
        self.size = size
        self._items: OrderedDict[Hashable, bytes] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable, render: Callable[[], bytes]) -> bytes:
        """The cached PNG for `key`, rendered by `render` on a miss."""
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
            png = render()
            self._items[key] = png
            if len(self._items) > self.size:
                self._items.popitem(last=False)
            return png


def install_charts(app: Starlette) -> None:
    """Give `app` the one chart cache its routes and its bulletin push share."""
    keep(app, ChartCache, ChartCache())


def app_charts(app: Starlette) -> ChartCache:
    """The chart cache `install_charts` gave `app`."""
    return kept(app, ChartCache)


def get_charts(request: Request) -> ChartCache:
    """The app's chart cache, as a FastAPI dependency."""
    return app_charts(request.app)


ChartsDep = Annotated[ChartCache, Depends(get_charts)]


def chart_png(served: ServedForecast, charts: ChartCache) -> bytes:
    """The 5-day chart of a served forecast, rendered once per issuance, location and font
    (CJKFontNotFound when no font on the server draws every character)."""
    text = chart_text(served)
    font = find_chart_font(text)
    return charts.get((*served.cache_key, str(font)), lambda: render_png(text, font=font))
