"""Find a font that can draw Chinese text, and prove it has every glyph before anything is drawn.

Charts and PDFs with Chinese labels need a real CJK font (DESIGN §11): without one, matplotlib
silently draws missing-glyph boxes. Candidates come from matplotlib's font manager (known CJK
families first) and fontconfig (`fc-list :lang=zh`); a candidate is chosen only if it has a glyph
with an outline for every character of the text to be drawn (a character map entry is not
enough: WenQuanYi Micro Hei maps ℃ to an empty glyph, drawn as nothing). matplotlib is
imported lazily, so importing this module costs nothing.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from functools import cache
from pathlib import Path

# Families known to cover simplified Chinese, in order of preference (Debian, Noto, macOS,
# Windows); `fonts-wqy-microhei` is the small Debian package the suite installs.
KNOWN_FAMILIES = (
    "WenQuanYi Micro Hei",
    "WenQuanYi Zen Hei",
    "Noto Sans CJK SC",
    "Noto Sans SC",
    "Source Han Sans SC",
    "Source Han Sans CN",
    "Droid Sans Fallback",
    "PingFang SC",
    "Hiragino Sans GB",
    "Microsoft YaHei",
    "SimHei",
)
INSTALL_HINT = "未找到中文字体，请安装 fonts-wqy-microhei"


class CJKFontNotFound(RuntimeError):
    """No installed font has a glyph for every character of the text to be drawn."""


def _drawn(text: str) -> set[str]:
    """The characters of `text` that need a glyph (whitespace and control characters do not)."""
    return {ch for ch in text if ch.isprintable() and not ch.isspace()}


@cache
def _charmap(path: str) -> frozenset[int]:
    from matplotlib.ft2font import FT2Font

    return frozenset(FT2Font(path).get_charmap())


@cache
def _has_outline(path: str, codepoint: int) -> bool:
    from matplotlib.ft2font import FT2Font, LoadFlags

    face = FT2Font(path)
    face.load_char(codepoint, flags=LoadFlags.NO_HINTING)
    return len(face.get_path()[0]) > 0


def missing_glyphs(font: Path, text: str) -> set[str]:
    """The characters of `text` that `font` cannot draw: no glyph, or a glyph without outline."""
    path = str(font)
    try:
        charmap = _charmap(path)
        return {
            ch for ch in _drawn(text) if ord(ch) not in charmap or not _has_outline(path, ord(ch))
        }
    except (OSError, RuntimeError, ValueError):
        return _drawn(text)


def require_glyphs(font: Path, text: str) -> None:
    """Raise ValueError naming the characters of `text` that `font` cannot draw, if any."""
    missing = missing_glyphs(font, text)
    if missing:
        raise ValueError(f"{font} has no glyph for {''.join(sorted(missing))}")


def _fontconfig_fonts() -> list[Path]:
    """Font files fontconfig says support Chinese; empty when fontconfig is not installed."""
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        return []
    try:
        out = subprocess.run(
            [fc_list, ":lang=zh", "file"], capture_output=True, text=True, timeout=10, check=False
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    return sorted(Path(line.strip().rstrip(":")) for line in out.splitlines() if line.strip())


def candidate_fonts() -> Iterator[Path]:
    """Installed font files that may draw Chinese, most preferred first, without duplicates.

    Lazy: fontconfig is asked only when no known family has covered the text already.
    """
    from matplotlib import font_manager

    def ordered() -> Iterator[Path]:
        for family in KNOWN_FAMILIES:
            yield from (Path(e.fname) for e in font_manager.fontManager.ttflist if e.name == family)
        yield from _fontconfig_fonts()

    seen: set[Path] = set()
    for path in ordered():
        if path not in seen and path.is_file():
            seen.add(path)
            yield path


def find_cjk_font(text: str) -> Path:
    """The first candidate font with a glyph for every character of `text`.

    Raises CJKFontNotFound, with the Chinese install hint as its message, when there is none.
    """
    for font in candidate_fonts():
        if not missing_glyphs(font, text):
            return font
    raise CJKFontNotFound(INSTALL_HINT)
