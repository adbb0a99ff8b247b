"""A PNG bar chart of the most-read accounts of an operations report, with Chinese labels.

Drawn with matplotlib's Agg renderer on a Figure of its own (no pyplot, no display, no global
state shared between requests). Every Chinese label is drawn with a font proven to have its
glyphs (`servicekit.cjk`); numbers use matplotlib's bundled font.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

from accounts.reports import OperationsReport
from servicekit.cjk import find_cjk_font, require_glyphs

DEFAULT_TOP = 10


@dataclass(frozen=True)
class ChartText:
    """Every label the chart draws with the CJK font, and the values of its bars."""

    title: str
    axis_label: str
    names: list[str]
    reads: list[int]

    def all_text(self) -> str:
        """Every character the CJK font must cover."""
        return self.title + self.axis_label + "".join(self.names)


def chart_text(report: OperationsReport, *, top: int = DEFAULT_TOP) -> ChartText:
    """The labels and values of the chart of the `top` most-read accounts of `report`."""
    best = sorted(report.items, key=lambda r: (-r.reads, r.code))[:top]
    return ChartText(
        title=f"阅读数前 {len(best)} 名公众号（{report.start} 至 {report.end}）",
        axis_label="阅读数",
        names=[r.name for r in best],
        reads=[r.reads for r in best],
    )


def find_chart_font(text: ChartText) -> Path:
    """A font covering every label of `text` (raises servicekit.cjk.CJKFontNotFound)."""
    return find_cjk_font(text.all_text())


def render_png(text: ChartText, *, font: Path) -> bytes:
    """The chart as PNG bytes, labels drawn with `font` (which must cover them all)."""
    require_glyphs(font, text.all_text())
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.font_manager import FontProperties
    from matplotlib.ticker import StrMethodFormatter

    cjk = FontProperties(fname=str(font), size=11)
    rows = max(1, len(text.names))
    figure = Figure(figsize=(9, 1.2 + 0.45 * rows), dpi=100, layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    positions = list(range(rows))
    bars = axes.barh(positions[: len(text.reads)], text.reads, color="#2b7bb9")
    axes.set_yticks(positions[: len(text.names)], labels=text.names, fontproperties=cjk)
    axes.invert_yaxis()  # most read at the top
    axes.bar_label(bars, labels=[f"{v:,}" for v in text.reads], padding=3, fontsize=9)
    axes.xaxis.set_major_formatter(StrMethodFormatter("{x:,.0f}"))  # whole reads, no "1e6"
    axes.set_xlabel(text.axis_label, fontproperties=cjk)
    axes.set_title(text.title, fontproperties=FontProperties(fname=str(font), size=13))
    axes.margins(x=0.12)
    axes.spines[["top", "right"]].set_visible(False)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()
