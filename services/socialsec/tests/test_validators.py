"""Identifier validators and display masks: table-driven."""

from datetime import date

import pytest

from socialsec.masking import mask_card_number, mask_id_number, mask_name
from socialsec.validators import (
    InvalidIdentifier,
    parse_month,
    resident_id_check_char,
    validate_card_number,
    validate_name,
    validate_resident_id,
)


@pytest.mark.parametrize(
    ("first17", "check"),
    [
        ("44190019900101123", "1"),
        ("36233019780315571", "X"),
        ("44190019850520352", "3"),
        ("11010519491231002", "X"),  # the GB 11643-1999 example
    ],
)
def test_resident_id_check_char(first17: str, check: str) -> None:
    assert resident_id_check_char(first17=first17) == check


@pytest.mark.parametrize(
    ("raw", "normal"),
    [
        ("441900199001011231", "441900199001011231"),
        ("36233019780315571x", "36233019780315571X"),
        (" 4419 0019 9001 0112 31 ", "441900199001011231"),
    ],
)
def test_valid_resident_ids_are_normalised(raw: str, normal: str) -> None:
    assert validate_resident_id(number=raw) == normal


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("44190019900101123", "应为18位"),
        ("4419001990010112A1", "前17位应为数字"),
        ("44190019900101123Y", "第18位应为数字或X"),
        ("441900199002301231", "出生日期无效"),
        ("441900199001011232", "校验码不符"),
    ],
)
def test_invalid_resident_ids_say_why(raw: str, message: str) -> None:
    with pytest.raises(InvalidIdentifier, match=message):
        validate_resident_id(number=raw)


@pytest.mark.parametrize(
    ("raw", "ok"),
    [("S19000123", True), ("s1900-0123", True), ("19000123", False), ("SS9000123", False)],
)
def test_card_numbers(raw: str, ok: bool) -> None:
    if ok:
        assert validate_card_number(number=raw) == "S19000123"
    else:
        with pytest.raises(InvalidIdentifier, match="社保卡号应为9位"):
            validate_card_number(number=raw)


@pytest.mark.parametrize(("raw", "ok"), [(" 张三 ", True), ("张", False), ("", False)])
def test_names(raw: str, ok: bool) -> None:
    if ok:
        assert validate_name(name=raw) == "张三"
    else:
        with pytest.raises(InvalidIdentifier):
            validate_name(name=raw)


@pytest.mark.parametrize(
    ("raw", "month"),
    [("2024-07", date(2024, 7, 1)), (" 2011-01 ", date(2011, 1, 1)), ("2024-13", None)],
)
def test_months(raw: str, month: date | None) -> None:
    if month:
        assert parse_month(text=raw) == month
    else:
        with pytest.raises(InvalidIdentifier, match="YYYY-MM"):
            parse_month(text=raw)


@pytest.mark.parametrize(
    ("mask", "value", "masked"),
    [
        (mask_name, "张三", "张*"),
        (mask_name, "段誉明", "段**"),
        (mask_name, "张*", "张*"),
        (mask_id_number, "440123199001011234", "440***********1234"),
        (mask_id_number, "440***********1234", "440***********1234"),
        (mask_card_number, "S19000123", "*****0123"),
        (mask_card_number, "6222021234567890123", "***************0123"),
    ],
)
def test_masks(mask, value: str, masked: str) -> None:  # type: ignore[no-untyped-def]
    assert mask(value) == masked
