"""Identifier validators: pure functions that normalise input or say, in Chinese, what is wrong.

Every identifier is checked before any lookup, so a typo is a 422 naming the field rather than a
refused proof. The resident ID check character is GB 11643-1999 (ISO 7064 MOD 11-2): the first 17
digits weighted 7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2, the sum mod 11 indexing "10X98765432".
A social-security card number (社会保障卡卡号) is nine characters: a capital letter and eight
digits, as printed on the card's front.
"""

from __future__ import annotations

import re
from datetime import date

from servicekit.errors import InvalidIdentifier

ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK_CHARS = "10X98765432"
CARD_NUMBER = re.compile(r"[A-Z][0-9]{8}")
MONTH = re.compile(r"([0-9]{4})-([0-9]{2})")


def _compact(text: str) -> str:
    """Upper-case and drop the spaces and dashes people type inside identifiers."""
    return re.sub(r"[\s\-]", "", text).upper()


def resident_id_check_char(*, first17: str) -> str:
    """The GB 11643-1999 check character of an ID's first 17 digits."""
    return ID_CHECK_CHARS[sum(int(c) * w for c, w in zip(first17, ID_WEIGHTS, strict=True)) % 11]


def validate_resident_id(*, number: str) -> str:
    """An 18-character resident ID number (lower-case x accepted), upper-cased."""
    value = _compact(number)
    if len(value) != 18:
        raise InvalidIdentifier(f"身份证号码应为18位，当前为{len(value)}位。")
    if not value[:17].isdigit() or not value[:17].isascii():
        raise InvalidIdentifier("身份证号码前17位应为数字。")
    if value[17] not in "0123456789X":
        raise InvalidIdentifier("身份证号码第18位应为数字或X。")
    try:
        date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        raise InvalidIdentifier("身份证号码第7至14位的出生日期无效。") from None
    if value[17] != resident_id_check_char(first17=value[:17]):
        raise InvalidIdentifier("身份证号码第18位校验码不符，请核对。")
    return value


def validate_card_number(*, number: str) -> str:
    """A social-security card number: one capital letter and eight digits."""
    value = _compact(number)
    if not CARD_NUMBER.fullmatch(value):
        raise InvalidIdentifier("社保卡号应为9位：1位字母加8位数字，见社保卡正面。")
    return value


def validate_name(*, name: str) -> str:
    """A person's name as registered: surrounding spaces dropped, 2 to 20 characters."""
    value = name.strip()
    if not 2 <= len(value) <= 20:
        raise InvalidIdentifier("姓名应为2至20个字。")
    return value


def parse_month(*, text: str) -> date:
    """A `YYYY-MM` month as the date of its first day."""
    match = MONTH.fullmatch(text.strip())
    if not match or not 1 <= int(match[2]) <= 12 or int(match[1]) < 1900:
        raise InvalidIdentifier(f"月份“{text}”格式应为YYYY-MM，如 2024-07。")
    return date(int(match[1]), int(match[2]), 1)
