"""Identifier validators: tables of valid and invalid input and the message each gets."""

import pytest

from traffic.validators import (
    InvalidIdentifier,
    luhn_check_digit,
    validate_decision_number,
    validate_file_number,
    validate_licence_number,
    validate_plate,
    validate_resident_id,
    validate_vin,
    validate_vin6,
)


@pytest.mark.parametrize(
    ("text", "number", "kind"),
    [
        ("粤S12345", "粤S12345", "ordinary"),
        ("粤s12345", "粤S12345", "ordinary"),
        (" 粤S·A8K29 ", "粤SA8K29", "ordinary"),
        ("粤B9999学", "粤B9999学", "ordinary"),
        ("粤S1234挂", "粤S1234挂", "ordinary"),
        ("京A00001", "京A00001", "ordinary"),
        ("粤SD12345", "粤SD12345", "new_energy"),
        ("粤SDA1234", "粤SDA1234", "new_energy"),
        ("粤SDD1234", "粤SDD1234", "new_energy"),
        ("粤SF36999", "粤SF36999", "new_energy"),
        ("粤SK01234", "粤SK01234", "new_energy"),
        ("粤S12345D", "粤S12345D", "new_energy"),
        ("粤S12345F", "粤S12345F", "new_energy"),
    ],
)
def test_valid_plates(text: str, number: str, kind: str) -> None:
    plate = validate_plate(plate=text)
    assert (plate.number, plate.kind) == (number, kind)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "请输入号牌号码"),
        ("AS12345", "第1位应为省"),
        ("港S12345", "第1位应为省"),
        ("粤S1234", "当前为6位"),
        ("粤SD1234567", "当前为10位"),
        ("粤SI2345", "不使用字母I和O"),
        ("粤S1234O", "不使用字母I和O"),
        ("粤O12345", "不使用字母I和O"),
        ("粤112345", "第2位应为发牌机关"),
        ("粤S12#45", "第3至7位"),
        ("粤S1234粤", "第3至7位"),
        ("粤SM12345", "能源字母"),
        ("粤SDA12B4", "能源字母"),
        ("粤S1234D5", "能源字母"),
        ("粤S12345L", "能源字母"),
    ],
)
def test_invalid_plates(text: str, message: str) -> None:
    with pytest.raises(InvalidIdentifier, match=message):
        validate_plate(plate=text)


@pytest.mark.parametrize(
    ("text", "vin"),
    [
        ("1M8GDM9AXKP042788", "1M8GDM9AXKP042788"),
        ("lsvau2187n2123456", "LSVAU2187N2123456"),
        ("LGXCE4CB0P0654321", "LGXCE4CB0P0654321"),
        ("LSVAU2187N2 123456", "LSVAU2187N2123456"),
    ],
)
def test_valid_vins(text: str, vin: str) -> None:
    assert validate_vin(vin=text) == vin


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("1M8GDM9A1KP042788", "车架号第9位校验位不符"),
        ("LSVAU2188N2123456", "车架号第9位校验位不符"),
        ("1M8GDM9AXKP04278", "应为17位，当前为16位"),
        ("1M8GDM9AXKP0427880", "应为17位，当前为18位"),
        ("IM8GDM9AXKP042788", "第1位是字母I"),
        ("1M8GDM9AXKO042788", "第11位是字母O"),
        ("1M8GDM9AXKP04278Q", "第17位是字母Q"),
        ("1M8GDM9AXKP04278*", "第17位“\\*”不是数字或字母"),
    ],
)
def test_invalid_vins(text: str, message: str) -> None:
    with pytest.raises(InvalidIdentifier, match=message):
        validate_vin(vin=text)


@pytest.mark.parametrize(("text", "vin6"), [("123456", "123456"), ("42788x", "42788X")])
def test_valid_vin_suffixes(text: str, vin6: str) -> None:
    assert validate_vin6(vin6=text) == vin6


@pytest.mark.parametrize(
    ("text", "message"),
    [("12345", "当前为5位"), ("1234567", "当前为7位"), ("12345O", "第6位是字母O")],
)
def test_invalid_vin_suffixes(text: str, message: str) -> None:
    with pytest.raises(InvalidIdentifier, match=message):
        validate_vin6(vin6=text)


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("11010519491231002X", "11010519491231002X"),
        ("11010519491231002x", "11010519491231002X"),
        ("441900199001011231", "441900199001011231"),
        ("4419 0019 9001 0112 31", "441900199001011231"),
    ],
)
def test_valid_resident_ids(text: str, number: str) -> None:
    assert validate_resident_id(number=text) == number


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("110105194912310021", "第18位校验码不符"),
        ("441900199001011232", "第18位校验码不符"),
        ("44190019900101123", "应为18位，当前为17位"),
        ("44190019900101A231", "前17位应为数字"),
        ("44190019900101123Y", "第18位应为数字或X"),
        ("441900199002301231", "出生日期无效"),
    ],
)
def test_invalid_resident_ids(text: str, message: str) -> None:
    with pytest.raises(InvalidIdentifier, match=f"身份证号码.*{message}"):
        validate_resident_id(number=text)


def test_a_licence_number_is_checked_as_an_id_and_named_as_a_licence() -> None:
    assert validate_licence_number(number="11010519491231002x") == "11010519491231002X"
    with pytest.raises(InvalidIdentifier, match="驾驶证号第18位校验码不符"):
        validate_licence_number(number="110105194912310021")


@pytest.mark.parametrize("text", ["441912345678", "4419 1234 5678", "000000000000"])
def test_valid_file_numbers(text: str) -> None:
    assert validate_file_number(number=text) == text.replace(" ", "")


@pytest.mark.parametrize(
    "text", ["44191234567", "4419123456789", "44191234567A", "４４１９１２３４５６７８"]
)
def test_invalid_file_numbers(text: str) -> None:
    with pytest.raises(InvalidIdentifier, match="档案编号应为12位数字"):
        validate_file_number(number=text)


@pytest.mark.parametrize(
    ("digits", "check"),
    [("7992739871", "3"), ("441900260000001", "5"), ("441900260000003", "1"), ("0", "0")],
)
def test_luhn_check_digit(digits: str, check: str) -> None:
    assert luhn_check_digit(digits=digits) == check


def test_valid_decision_number() -> None:
    assert validate_decision_number(number="4419002600000015") == "4419002600000015"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("4419002600000016", "第16位校验位不符"),
        # Two adjacent digits swapped: Luhn notices.
        ("4419002600000105", "第16位校验位不符"),
        ("441900260000001", "应为16位数字"),
        ("44190026000000155", "应为16位数字"),
        ("441900260000001A", "应为16位数字"),
    ],
)
def test_invalid_decision_numbers(text: str, message: str) -> None:
    with pytest.raises(InvalidIdentifier, match=message):
        validate_decision_number(number=text)
