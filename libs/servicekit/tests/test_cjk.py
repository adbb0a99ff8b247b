"""servicekit.cjk: a CJK font is chosen only when it has every glyph to be drawn."""

from pathlib import Path

import pytest

from servicekit import cjk
from servicekit.testing import require

matplotlib = pytest.importorskip("matplotlib")
DEJAVU = Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSans.ttf"


def test_missing_glyphs_of_a_latin_font() -> None:
    assert cjk.missing_glyphs(DEJAVU, "Reads 13075") == set()
    assert cjk.missing_glyphs(DEJAVU, "荔香大朗 13075") == {"荔", "香", "大", "朗"}


def test_whitespace_needs_no_glyph() -> None:
    assert cjk.missing_glyphs(DEJAVU, " \t\n") == set()


def test_an_unreadable_font_covers_nothing(tmp_path: Path) -> None:
    broken = tmp_path / "broken.ttf"
    broken.write_bytes(b"not a font")
    assert cjk.missing_glyphs(broken, "a东") == {"a", "东"}


def test_no_candidate_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cjk, "candidate_fonts", lambda: iter([DEJAVU]))
    with pytest.raises(cjk.CJKFontNotFound, match="请安装 fonts-wqy-microhei"):
        cjk.find_cjk_font("东莞天气")
    assert cjk.find_cjk_font("Dongguan") == DEJAVU


def test_finds_a_font_that_covers_the_text() -> None:
    text = "阅读数前 10 名公众号：荔香大朗、东莞天气、莞香花开、东莞特检"
    try:
        font = cjk.find_cjk_font(text)
    except cjk.CJKFontNotFound:
        require("no CJK font")
    assert font.is_file() and cjk.missing_glyphs(font, text) == set()


def test_a_font_lacking_one_glyph_is_passed_over(monkeypatch: pytest.MonkeyPatch) -> None:
    fonts = list(cjk.candidate_fonts())
    if not fonts:
        require("no CJK font")
    monkeypatch.setattr(cjk, "candidate_fonts", lambda: [DEJAVU, *fonts])
    assert cjk.find_cjk_font("东莞") != DEJAVU


def test_a_glyph_without_outline_counts_as_missing() -> None:
    # WenQuanYi Micro Hei maps ℃ to an empty glyph: charted, it would be a blank.
    wqy = [f for f in cjk.candidate_fonts() if "wqy-microhei" in f.name]
    if not wqy:
        require("WenQuanYi Micro Hei is not installed (Debian: fonts-wqy-microhei)")
    assert cjk.missing_glyphs(wqy[0], "18～25℃ 多云") == {"℃"}
    assert cjk.missing_glyphs(DEJAVU, "18~25℃") == set()
