"""Certificates of insurance: a PDF with Chinese text, and a code anyone can check."""

import io
from collections.abc import Callable

import pypdf
import pytest
from fastapi.testclient import TestClient

from servicekit.cjk import CJKFontNotFound, find_cjk_font
from servicekit.testing import require

Headers = Callable[[str], dict[str, str]]


@pytest.fixture(autouse=True)
def _cjk_font() -> None:
    try:
        find_cjk_font("东莞市社会保险参保证明")
    except CJKFontNotFound:
        require("no CJK font installed (fonts-wqy-microhei)")


def issue(client: TestClient, headers: dict[str, str], **params: str) -> tuple[str, str]:
    response = client.get("/v1/me/certificate.pdf", params=params, headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    text = "".join(
        page.extract_text() for page in pypdf.PdfReader(io.BytesIO(response.content)).pages
    )
    return response.headers["X-Certificate-Code"], text


@pytest.mark.slow
def test_the_pdf_says_in_chinese_who_paid_what_masked(
    client: TestClient, headers_of: Headers
) -> None:
    code, text = issue(client, headers_of("zhangsan"), **{"from": "2016-01", "to": "2016-12"})
    for expected in (
        "东莞市社会保险参保证明",
        "姓名：张*",
        "441***********1231",
        "*****0123",
        "证明期间：2016-01 至 2016-12",
        "养老保险",
        "生育保险",
        "合计",
        "断缴月份：2016-10、2016-11、2016-12",
        "出具时间：2026-06-15 12:00:00",
        f"验证码：{code[:4]}-{code[4:8]}-{code[8:12]}-{code[12:]}",
    ):
        assert expected in text, expected
    assert "张三" not in text and "441900199001011231" not in text and "S19000123" not in text
    pdf = pypdf.PdfReader(
        io.BytesIO(client.get("/v1/me/certificate.pdf", headers=headers_of("zhangsan")).content)
    )
    fonts = [f for f in pdf.pages[0]["/Resources"]["/Font"].values()]
    descendant = fonts[0].get_object()["/DescendantFonts"][0].get_object()
    assert "/FontFile2" in descendant["/FontDescriptor"]  # the TrueType font is embedded


@pytest.mark.slow
def test_a_code_validates_publicly_and_an_altered_one_does_not(
    client: TestClient, headers_of: Headers, clock
) -> None:
    code, _ = issue(client, headers_of("zhangsan"), **{"from": "2016-01", "to": "2016-12"})
    check = client.get(f"/v1/certificates/{code.lower()}")
    assert check.status_code == 200
    body = check.json()
    assert body["valid"] is True and body["validity_text"].startswith("有效")
    assert (body["holder_name"], body["id_number"]) == ("张*", "441***********1231")
    assert (body["from_month"], body["to_month"]) == ("2016-01", "2016-12")
    assert body["summary"]["months_paid"] == 9 and body["summary"]["gap_months"] == 3
    assert "fen" not in str(body)  # months only, never amounts
    altered = code[:-1] + ("A" if code[-1] != "A" else "B")
    missing = client.get(f"/v1/certificates/{altered}")
    assert missing.status_code == 404 and "伪造" in missing.json()["detail"]
    assert client.get("/v1/certificates/not-a-code").status_code == 422
    clock.advance(days=91)
    expired = client.get(f"/v1/certificates/{code}").json()
    assert expired["valid"] is False and expired["validity_text"].startswith("已过期")


@pytest.mark.slow
def test_the_issue_is_in_the_access_log(client: TestClient, headers_of: Headers) -> None:
    issue(client, headers_of("wangwu"))
    [entry] = client.get("/v1/me/access-log", headers=headers_of("wangwu")).json()["items"]
    assert (entry["resource"], entry["detail"]) == ("certificate", "2012-04至2026-05")
