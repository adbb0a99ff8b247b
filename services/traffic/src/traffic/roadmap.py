"""The road-conditions map: a schematic PNG of the main roads coloured by status.

Each segment is a line between the rough coordinates of its ends (not a survey map): green
畅通, yellow 缓行, red 拥堵, dark red 严重拥堵, grey 未知, as the account described it:
"电子地图红色拥堵，绿色畅通". Road names are drawn once per road with a font proven to cover
every character (`servicekit.cjk`). Drawn with matplotlib's Agg renderer on a Figure of its own;
one render per snapshot (5 minutes), kept in a small cache.
"""

from __future__ import annotations

import io
import threading
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from servicekit.cjk import find_cjk_font, missing_glyphs
from traffic.roads import STATUS_TEXT, CityConditions, Segment, index_level

STATUS_COLOUR = {0: "#9e9e9e", 1: "#2e9e44", 2: "#f2b705", 3: "#d93025", 4: "#7f0000"}
WIDTH_IN, HEIGHT_IN, DPI = 7.2, 7.2, 150


@dataclass(frozen=True)
class MapText:
    """Every string the map draws."""

    title: str
    subtitle: str
    roads: tuple[tuple[str, float, float], ...]  # name, longitude, latitude of its label
    legend: tuple[str, ...]

    def all_text(self) -> str:
        """Every character the font must cover."""
        return "".join((self.title, self.subtitle, *(r[0] for r in self.roads), *self.legend))


def map_text(conditions: CityConditions) -> MapText:
    """The strings of the map of one snapshot; each road labelled at its middle segment."""
    by_road: dict[str, list[Segment]] = {}
    for c in conditions.segments:
        by_road.setdefault(c.segment.road, []).append(c.segment)
    labels = []
    for road, segments in by_road.items():
        middle = segments[len(segments) // 2]
        (x0, y0), (x1, y1) = middle.points[0], middle.points[-1]
        labels.append((road, (x0 + x1) / 2, (y0 + y1) / 2))
    when = conditions.snapshot_at.strftime("%Y-%m-%d %H:%M")
    level = index_level(index=conditions.index)
    return MapText(
        title="东莞主要道路实时路况",
        subtitle=f"{when}  全市交通指数 {conditions.index:.1f}（{level}）",
        roads=tuple(labels),
        legend=tuple(STATUS_TEXT[s] for s in (1, 2, 3, 4, 0)),
    )


def find_map_font(text: MapText) -> Path:
    """A font covering every string of `text` (raises servicekit.cjk.CJKFontNotFound)."""
    return find_cjk_font(text.all_text())


_render_lock = threading.Lock()


def render_map(conditions: CityConditions, *, font: Path) -> bytes:
    """The map of a snapshot as PNG bytes (rendered once per snapshot and font)."""
    with _render_lock:
        return _render(conditions, str(font))


@lru_cache(maxsize=4)
def _render(conditions: CityConditions, font: str) -> bytes:
    text = map_text(conditions)
    missing = missing_glyphs(Path(font), text.all_text())
    if missing:
        raise ValueError(f"{font} has no glyph for {''.join(sorted(missing))}")
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.font_manager import FontProperties
    from matplotlib.lines import Line2D

    def cjk(size: float) -> FontProperties:
        return FontProperties(fname=font, size=size)

    figure = Figure(figsize=(WIDTH_IN, HEIGHT_IN), dpi=DPI, layout="constrained")
    FigureCanvasAgg(figure)
    figure.suptitle(text.title, fontproperties=cjk(17))
    axes = figure.subplots()
    axes.set_title(text.subtitle, fontproperties=cjk(10), color="#555555")
    for c in conditions.segments:
        xs = [p[0] for p in c.segment.points]
        ys = [p[1] for p in c.segment.points]
        width = 5 if c.segment.road_class == "expressway" else 3.5
        axes.plot(xs, ys, color=STATUS_COLOUR[c.status], linewidth=width, solid_capstyle="round")
    for name, lon, lat in text.roads:
        axes.annotate(
            name,
            (lon, lat),
            xytext=(4, 4),
            textcoords="offset points",
            fontproperties=cjk(9),
            color="#222222",
            bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.75},
        )
    handles = [
        Line2D([], [], color=STATUS_COLOUR[s], linewidth=4, label=label)
        for s, label in zip((1, 2, 3, 4, 0), text.legend, strict=True)
    ]
    axes.legend(handles=handles, prop=cjk(9), loc="upper right", frameon=False)
    axes.set_aspect(1 / 0.92)  # a degree of longitude is ~0.92 of one of latitude here
    axes.set_axis_off()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", facecolor="white")
    return buffer.getvalue()
