"""The identifier validators: real-format examples pass, each broken part is named."""

from datetime import date

import pytest

from inspection.codes import (
    credit_check_char,
    validate_certificate_number,
    validate_credit_code,
    validate_registration_code,
)
from servicekit.errors import InvalidIdentifier

TODAY = date(2026, 6, 15)


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("31104419002015060001", "31104419002015060001"),
        ("3110 4419 0020 1506 0001", "31104419002015060001"),
        ("2150-310101-200601-0101", "21503101012006010101"),
        ("51104419002026060123", "51104419002026060123"),
    ],
)
def test_registration_codes_of_the_real_format_pass(code: str, expected: str) -> None:
    assert validate_registration_code(code=code, today=TODAY) == expected


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("3110441900201506001", "20位数字"),
        ("311044190020150600011", "20位数字"),
        ("3110441900201506000A", "20位数字"),
        ("99994419002015060001", "品种代码 9999"),
        ("31109919002015060001", "行政区划代码"),
        ("31104419002015130001", "登记年月无效"),
        ("31104419001989060001", "登记年月无效"),
        ("31104419002026070001", "晚于今天"),
        ("31104419002015060000", "顺序号"),
    ],
)
def test_broken_registration_codes_say_which_part(code: str, message: str) -> None:
    with pytest.raises(InvalidIdentifier, match=message):
        validate_registration_code(code=code, today=TODAY)


@pytest.mark.parametrize(
    ("number", "expected"),
    [
        ("梯11粤S00001(15)", "梯11粤S00001(15)"),
        ("梯11粤S00001（15）", "梯11粤S00001(15)"),
        ("容15粤s12345(18)", "容15粤S12345(18)"),
        ("起11粤S00321(09)", "起11粤S00321(09)"),
        ("车11京A00001(20)", "车11京A00001(20)"),
    ],
)
def test_certificate_numbers_of_the_real_format_pass(number: str, expected: str) -> None:
    assert validate_certificate_number(number=number) == expected


@pytest.mark.parametrize(
    ("number", "message"),
    [
        ("梯11粤S0001(15)", "格式"),
        ("梯11粤S00001", "格式"),
        ("11粤S00001(15)", "格式"),
        ("梯1粤S00001(15)", "格式"),
        ("梯99粤S00001(15)", "梯99"),
        ("车15粤S00001(15)", "车15"),
        ("梯11粤S00000(15)", "流水号"),
    ],
)
def test_broken_certificate_numbers_say_which_part(number: str, message: str) -> None:
    with pytest.raises(InvalidIdentifier, match=message):
        validate_certificate_number(number=number)


# GB 32100-2015's worked example (check character 3), and a company's published code
# (深圳市腾讯计算机系统有限公司 9144030071526726XG).
@pytest.mark.parametrize(
    ("first17", "check"), [("91350100M000100Y4", "3"), ("9144030071526726X", "G")]
)
def test_credit_check_character(first17: str, check: str) -> None:
    assert credit_check_char(first17=first17) == check


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("91350100M000100Y44", "校验码"),
        ("91350100M000100Y4Z", "不含"),
        ("91350100M000100Y4", "18位"),
        ("91350100M000100YI3", "不含"),
        ("91350100M00O100Y43", "不含"),
    ],
)
def test_broken_credit_codes(code: str, message: str) -> None:
    with pytest.raises(InvalidIdentifier, match=message):
        validate_credit_code(code=code)


def test_a_valid_credit_code_is_upper_cased() -> None:
    assert validate_credit_code(code="91350100m000100y43") == "91350100M000100Y43"
