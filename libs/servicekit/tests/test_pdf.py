"""servicekit.pdf: an A4 document that draws Chinese, or a clear 503 without a font."""

import io

import pypdf
import pytest

from servicekit import pdf as pdf_module
from servicekit.cjk import CJKFontNotFound, find_cjk_font
from servicekit.errors import UpstreamUnavailable
from servicekit.testing import require


@pytest.mark.slow
def test_a_table_document_draws_its_chinese_text_with_an_embedded_font() -> None:
    try:
        find_cjk_font("东莞特检报告摘要")
    except CJKFontNotFound:
        require("no CJK font installed (fonts-wqy-microhei)")
    content = pdf_module.table_pdf(
        title="报告摘要",
        heading="东莞特检 报告摘要",
        rows=[("注册代码", "31104419002015060001"), ("检验结论", "合格")],
        footer=["检验机构：东莞检测院", "验证码：ABCD-EFGH-JKMN-PQRS"],
        creator="guanwei tests",
        what="报告摘要",
    )
    reader = pypdf.PdfReader(io.BytesIO(content))
    assert reader.metadata is not None and reader.metadata.title == "报告摘要"
    [page] = reader.pages
    assert page.mediabox.width == pytest.approx(595.28, abs=0.1)  # A4
    lines = page.extract_text().splitlines()
    assert lines == [
        "东莞特检 报告摘要",
        "注册代码 31104419002015060001",
        "检验结论 合格",
        "检验机构：东莞检测院",
        "验证码：ABCD-EFGH-JKMN-PQRS",
    ]
    font = next(iter(page["/Resources"]["/Font"].values())).get_object()
    assert "/FontFile2" in font["/DescendantFonts"][0].get_object()["/FontDescriptor"]


def test_no_font_is_a_503_naming_the_document(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_font(text: str) -> None:
        raise CJKFontNotFound("未找到中文字体，请安装 fonts-wqy-microhei")

    monkeypatch.setattr(pdf_module, "find_cjk_font", no_font)
    with pytest.raises(UpstreamUnavailable, match="暂时无法生成检验报告摘要：未找到中文字体"):
        pdf_module.cjk_document(title="摘要", text="东莞", creator="tests", what="检验报告摘要")
