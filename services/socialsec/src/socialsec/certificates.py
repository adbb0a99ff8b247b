"""Certificates of insurance (参保证明): a verification code and a PDF that draws Chinese.

The code (`servicekit.verification`) is the certificate's key, so anyone holding the paper can
check it at `GET /v1/certificates/{code}`, and an altered code finds nothing. Only masked
identity and month counts are kept with the code: checking a certificate shows that much and no
amounts. The PDF draws with a CJK font subset (`servicekit.pdf`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from servicekit.money import yuan
from servicekit.pdf import FONT, cjk_document
from servicekit.verification import grouped
from socialsec.clock import month_label
from socialsec.contributions import Summary
from socialsec.rates import INSURANCE_NAMES, INSURANCES

TITLE = "东莞市社会保险参保证明"


@dataclass(frozen=True)
class CertificateText:
    """What a certificate says, identity already masked."""

    code: str
    holder_name: str
    id_number: str
    card_number: str
    status_text: str
    first: date
    last: date
    issued_at: datetime
    valid_until: datetime
    summary: Summary


def public_summary(summary: Summary) -> dict[str, Any]:
    """What a certificate check may show: month counts per insurance, never amounts."""
    return {
        "months_paid": summary.overall.months_paid,
        "months_owed": summary.overall.months_owed,
        "gap_months": len(summary.gaps),
        "by_insurance": [
            {
                "insurance": name,
                "insurance_name": INSURANCE_NAMES[name],
                "months_paid": summary.by_insurance[name].months_paid,
                "months_owed": summary.by_insurance[name].months_owed,
            }
            for name in INSURANCES
            if name in summary.by_insurance
        ],
    }


def certificate_lines(cert: CertificateText) -> tuple[list[str], list[list[str]], list[str]]:
    """The header lines, the table rows and the footer lines of a certificate."""
    summary = cert.summary
    header = [
        f"姓名：{cert.holder_name}    身份证号码：{cert.id_number}",
        f"社保卡号：{cert.card_number}    参保状态：{cert.status_text}",
        f"证明期间：{month_label(cert.first)} 至 {month_label(cert.last)}",
        "经查询，该参保人在上述期间于东莞市参加社会保险的缴费情况如下（金额单位：元）：",
    ]
    table = [["险种", "已缴月数", "欠缴月数", "单位缴费", "个人缴费"]]
    for name in INSURANCES:
        totals = summary.by_insurance.get(name)
        if totals is not None:
            table.append(
                [
                    INSURANCE_NAMES[name],
                    str(totals.months_paid),
                    str(totals.months_owed),
                    yuan(totals.employer_fen),
                    yuan(totals.employee_fen),
                ]
            )
    overall = summary.overall
    table.append(
        [
            "合计",
            str(overall.months_paid),
            str(overall.months_owed),
            yuan(overall.employer_fen),
            yuan(overall.employee_fen),
        ]
    )
    gaps = "、".join(month_label(m) for m in summary.gaps[:12])
    more = f"等{len(summary.gaps)}个月" if len(summary.gaps) > 12 else ""
    footer = [
        f"断缴月份：{gaps}{more}" if summary.gaps else "断缴月份：无",
        f"出具时间：{cert.issued_at:%Y-%m-%d %H:%M:%S}（北京时间）",
        f"有效期至：{cert.valid_until:%Y-%m-%d}",
        f"验证码：{grouped(cert.code)}",
        "核验方式：在东莞社保公众号或 /v1/certificates/{验证码} 输入验证码查询本证明真伪。",
        "本证明中的个人信息已按规定脱敏显示。",
    ]
    return header, table, footer


def render_pdf(cert: CertificateText) -> bytes:
    """The certificate as a one-page A4 PDF with an embedded CJK font subset."""
    header, table, footer = certificate_lines(cert)
    pdf = cjk_document(
        title=TITLE,
        text="".join(header + footer) + "".join("".join(r) for r in table),
        creator="guanwei socialsec",
        what="参保证明",
    )
    pdf.set_font(FONT, size=18)
    pdf.cell(0, 14, TITLE, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, size=11)
    for line in header:
        pdf.multi_cell(0, 8, line, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    widths = (34, 30, 30, 48, 48)
    for index, row in enumerate(table):
        for width, value in zip(widths, row, strict=True):
            pdf.cell(width, 8, value, border=1, align="C" if index == 0 else "R")
        pdf.ln(8)
    pdf.ln(4)
    for line in footer:
        pdf.multi_cell(0, 8, line, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
