"""One-page A4 PDFs that draw Chinese (certificates, receipts, report summaries).

`table_pdf` lays out the common kind: a heading, label and value rows, and lines under them.

fpdf2 embeds a subset of a TrueType CJK font found through `servicekit.cjk` (it reads the
WenQuanYi Micro Hei collection, .ttc, directly). With no font that draws every character, the
document answers a clear 503 rather than a PDF of empty boxes.
"""

from __future__ import annotations

from collections.abc import Sequence

from fpdf import FPDF

from servicekit.cjk import CJKFontNotFound, find_cjk_font
from servicekit.errors import UpstreamUnavailable

# The family name the CJK font is registered under in every document.
FONT = "cjk"
# Millimetres of a table's label column: seven characters at 11 points, with padding.
LABEL_WIDTH = 44


def cjk_document(*, title: str, text: str, creator: str, what: str) -> FPDF:
    """An A4 document on its first page with a CJK font (family `FONT`) that draws `title` and
    every character of `text`; UpstreamUnavailable naming `what` (参保证明…) when none does."""
    try:
        font = find_cjk_font(title + text)
    except CJKFontNotFound as exc:
        raise UpstreamUnavailable(f"暂时无法生成{what}：{exc}") from None
    pdf = FPDF(format="A4")
    pdf.set_title(title)
    pdf.set_creator(creator)
    pdf.add_page()
    pdf.add_font(FONT, "", str(font))
    return pdf


def table_pdf(
    *,
    title: str,
    heading: str,
    rows: Sequence[tuple[str, str]],
    footer: Sequence[str],
    creator: str,
    what: str,
) -> bytes:
    """A one-page document of a centred `heading`, a table of label and value rows, and the
    `footer` lines under it (receipts, report summaries); `title` is the file's own title."""
    pdf = cjk_document(
        title=title,
        text=heading + "".join(footer) + "".join(label + value for label, value in rows),
        creator=creator,
        what=what,
    )
    pdf.set_font(FONT, size=16)
    pdf.multi_cell(0, 10, heading, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    pdf.set_font(FONT, size=11)
    for label, value in rows:
        pdf.cell(LABEL_WIDTH, 9, label, border=1)
        pdf.multi_cell(0, 9, value, border=1, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(6)
    pdf.set_font(FONT, size=9)
    for line in footer:
        pdf.multi_cell(0, 6, line, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
