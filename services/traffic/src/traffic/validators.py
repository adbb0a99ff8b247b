"""Identifier validators: pure functions that normalise input or say, in Chinese, what is wrong.

Every identifier is validated before any lookup, so a typo is a 422 that names the fault rather
than a 404 (reference/traffic-and-payment.md, "Identifiers").

Decision document numbers (决定书编号) are 16 digits: the agency's area code (6 digits, 441900
for Dongguan), the two-digit year of the decision, a 7-digit serial and a check digit. The real
check-digit algorithm is not public, so ours is the Luhn algorithm (ISO/IEC 7812-1, mod 10) over
the first 15 digits: from the rightmost of the 15 leftwards, every other digit starting with that
rightmost one is doubled (9 subtracted when the double exceeds 9), all digits are summed, and the
check digit is `(10 - sum % 10) % 10`. Luhn catches every single-digit error and every
transposition of adjacent digits except 09/90, the typing mistakes people make when copying a
number from paper. Example: 441900260000001 gets the check digit 5 -> 4419002600000015.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Literal

from servicekit.errors import InvalidIdentifier

PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
# Letters on plates and in VINs: never I or O (confused with 1 and 0); VINs also never Q.
PLATE_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"
PLATE_SERIAL_CHARS = PLATE_LETTERS + "0123456789"
PLATE_LAST_SPECIAL = "挂学警港澳"
ENERGY_LETTERS = "DABCEFGHJK"
NEW_ENERGY_SMALL = re.compile(f"[{ENERGY_LETTERS}][{PLATE_SERIAL_CHARS}][0-9]{{4}}")
NEW_ENERGY_LARGE = re.compile(f"[0-9]{{5}}[{ENERGY_LETTERS}]")

VIN_CHARS = "0123456789ABCDEFGHJKLMNPRSTUVWXYZ"
# Transliteration of VIN letters (ISO 3779): A-H 1-8, J-N 1-5, P 7, R 9, S-Z 2-9.
VIN_LETTER_VALUES = {
    **dict(zip("ABCDEFGH", range(1, 9), strict=True)),
    **dict(zip("JKLMN", range(1, 6), strict=True)),
    "P": 7,
    "R": 9,
    **dict(zip("STUVWXYZ", range(2, 10), strict=True)),
}
VIN_WEIGHTS = (8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2)

ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK_CHARS = "10X98765432"

FILE_NUMBER_LENGTH = 12
DECISION_NUMBER_LENGTH = 16

PlateKind = Literal["ordinary", "new_energy"]


@dataclass(frozen=True)
class Plate:
    """A valid plate number and its kind."""

    number: str
    kind: PlateKind


def _compact(text: str) -> str:
    """Upper-case and drop the spaces, dots and dashes people type inside identifiers."""
    return re.sub(r"[\s·.\-]", "", text).upper()


def validate_plate(*, plate: str) -> Plate:
    """An ordinary (7) or new-energy (8 characters) plate, normalised, or InvalidIdentifier."""
    number = _compact(plate)
    if not number:
        raise InvalidIdentifier("请输入号牌号码。")
    if number[0] not in PROVINCES:
        raise InvalidIdentifier("号牌号码第1位应为省、自治区、直辖市简称，如“粤”。")
    if len(number) not in (7, 8):
        raise InvalidIdentifier(
            f"号牌号码应为7位（普通号牌）或8位（新能源号牌），当前为{len(number)}位。"
        )
    if "I" in number or "O" in number:
        raise InvalidIdentifier("号牌号码中不使用字母I和O，请核对是否为数字1或0。")
    if number[1] not in PLATE_LETTERS:
        raise InvalidIdentifier("号牌号码第2位应为发牌机关代号字母，如粤S的“S”。")
    serial = number[2:]
    if len(number) == 7:
        if any(c not in PLATE_SERIAL_CHARS for c in serial[:4]) or (
            serial[4] not in PLATE_SERIAL_CHARS + PLATE_LAST_SPECIAL
        ):
            raise InvalidIdentifier("普通号牌第3至7位应为字母或数字。")
        return Plate(number=number, kind="ordinary")
    if NEW_ENERGY_SMALL.fullmatch(serial) or NEW_ENERGY_LARGE.fullmatch(serial):
        return Plate(number=number, kind="new_energy")
    raise InvalidIdentifier(
        "新能源号牌序号应为“能源字母+1位字母或数字+4位数字”（小型车）或“5位数字+能源字母”"
        "（大型车），能源字母为D、A、B、C、E（纯电动）或F、G、H、J、K（非纯电动）。"
    )


def vin_check_digit(*, vin: str) -> str:
    """The ISO 3779 check digit of a 17-character VIN (its own 9th character does not count)."""
    total = sum(
        (int(c) if c.isdigit() else VIN_LETTER_VALUES[c]) * w
        for c, w in zip(vin, VIN_WEIGHTS, strict=True)
    )
    remainder = total % 11
    return "X" if remainder == 10 else str(remainder)


def _check_vin_characters(*, text: str, label: str, offset: int) -> None:
    for position, char in enumerate(text, start=offset):
        if char in "IOQ":
            raise InvalidIdentifier(f"{label}第{position}位是字母{char}，车架号不使用I、O、Q。")
        if char not in VIN_CHARS:
            raise InvalidIdentifier(f"{label}第{position}位“{char}”不是数字或字母。")


def validate_vin(*, vin: str) -> str:
    """A 17-character VIN with a correct 9th-position check digit, upper-cased."""
    value = _compact(vin)
    if len(value) != 17:
        raise InvalidIdentifier(f"车架号应为17位，当前为{len(value)}位。")
    _check_vin_characters(text=value, label="车架号", offset=1)
    if value[8] != vin_check_digit(vin=value):
        raise InvalidIdentifier("车架号第9位校验位不符，请核对行驶证上的车架号。")
    return value


def validate_vin6(*, vin6: str) -> str:
    """The last six characters of a VIN, upper-cased."""
    value = _compact(vin6)
    if len(value) != 6:
        raise InvalidIdentifier(f"车架号后六位应为6位，当前为{len(value)}位。")
    _check_vin_characters(text=value, label="车架号后六位", offset=1)
    return value


def resident_id_check_char(*, first17: str) -> str:
    """The GB 11643-1999 (ISO 7064 MOD 11-2) check character of an ID's first 17 digits."""
    return ID_CHECK_CHARS[sum(int(c) * w for c, w in zip(first17, ID_WEIGHTS, strict=True)) % 11]


def validate_resident_id(*, number: str, label: str = "身份证号码") -> str:
    """An 18-character resident ID (lower-case x accepted), upper-cased; `label` names it."""
    value = _compact(number)
    if len(value) != 18:
        raise InvalidIdentifier(f"{label}应为18位，当前为{len(value)}位。")
    if not value[:17].isdigit() or not value[:17].isascii():
        raise InvalidIdentifier(f"{label}前17位应为数字。")
    if value[17] not in "0123456789X":
        raise InvalidIdentifier(f"{label}第18位应为数字或X。")
    try:
        date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        raise InvalidIdentifier(f"{label}第7至14位的出生日期无效。") from None
    if value[17] != resident_id_check_char(first17=value[:17]):
        raise InvalidIdentifier(f"{label}第18位校验码不符，请核对。")
    return value


def validate_licence_number(*, number: str) -> str:
    """A driving-licence number, which in China is the holder's resident ID number."""
    return validate_resident_id(number=number, label="驾驶证号")


def validate_file_number(*, number: str) -> str:
    """A driving-licence file number (档案编号): 12 digits, printed on the licence's second page."""
    value = _compact(number)
    if len(value) != FILE_NUMBER_LENGTH or not (value.isdigit() and value.isascii()):
        raise InvalidIdentifier(
            f"档案编号应为{FILE_NUMBER_LENGTH}位数字（见驾驶证副页），当前为“{value}”。"
        )
    return value


def luhn_check_digit(*, digits: str) -> str:
    """The Luhn (mod 10) check digit to append to `digits`."""
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2 == 0:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return str((10 - total % 10) % 10)


def validate_decision_number(*, number: str) -> str:
    """A 16-digit decision document number whose last digit is our Luhn check digit."""
    value = _compact(number)
    if len(value) != DECISION_NUMBER_LENGTH or not (value.isdigit() and value.isascii()):
        raise InvalidIdentifier(f"决定书编号应为{DECISION_NUMBER_LENGTH}位数字。")
    if value[-1] != luhn_check_digit(digits=value[:-1]):
        raise InvalidIdentifier("决定书编号第16位校验位不符，请核对决定书。")
    return value
