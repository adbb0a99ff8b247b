"""Identifier validators: pure functions that normalise input or say, in Chinese, what is wrong.

- 注册代码 (registration code), 20 digits: variety code (4) + the registering body's
  administrative division code (6) + registration year and month (6, YYYYMM) + the order of that
  variety's registrations in that month (4, 0001-9999).
- 使用登记证编号 (use-registration certificate number), e.g. 梯11粤S00123(18): class character +
  the variety's two digits + province abbreviation and the city's letter (东莞 粤S) + a five-digit
  serial + the registration year's last two digits in brackets.
- 统一社会信用代码 (GB 32100-2015), 18 characters of 0-9 and A-Y without I O S V Z: the 18th is
  31 - (sum of the first 17 values weighted 3^(i-1) mod 31) mod 31, as a character of that set.

See REFERENCE.md for the sources.
"""

from __future__ import annotations

import re
from datetime import date

from inspection.varieties import BY_CERTIFICATE, variety_of
from servicekit.errors import InvalidIdentifier

REGISTRATION_CODE = re.compile(r"[0-9]{20}")
# The 2-digit province codes of GB/T 2260 (the first two of a division code).
PROVINCES = frozenset(
    [
        "11",
        "12",
        "13",
        "14",
        "15",
        "21",
        "22",
        "23",
        "31",
        "32",
        "33",
        "34",
        "35",
        "36",
        "37",
        "41",
        "42",
        "43",
        "44",
        "45",
        "46",
        "50",
        "51",
        "52",
        "53",
        "54",
        "61",
        "62",
        "63",
        "64",
        "65",
        "71",
        "81",
        "82",
    ]
)
FIRST_REGISTRATION_YEAR = 1990
CERTIFICATE = re.compile(r"(\D)(\d{2})([\u4e00-\u9fff])([A-Z])(\d{5})\((\d{2})\)")
CREDIT_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
CREDIT_WEIGHTS = tuple(3**i % 31 for i in range(17))


def _compact(text: str) -> str:
    """Drop spaces and dashes, upper-case, and read full-width brackets as ASCII ones."""
    return re.sub(r"[\s\-]", "", text).upper().replace("（", "(").replace("）", ")")


def validate_registration_code(*, code: str, today: date) -> str:
    """A 20-digit registration code whose parts are each possible, normalised."""
    value = _compact(code)
    if not REGISTRATION_CODE.fullmatch(value):
        raise InvalidIdentifier(f"注册代码应为20位数字，当前为{len(value)}位或含非数字字符。")
    if variety_of(value[:4]) is None:
        raise InvalidIdentifier(f"注册代码前4位设备品种代码 {value[:4]} 不在本院登记的品种中。")
    if value[4:6] not in PROVINCES:
        raise InvalidIdentifier("注册代码第5至10位应为登记机关的行政区划代码。")
    year, month = int(value[10:14]), int(value[14:16])
    if not 1 <= month <= 12 or not FIRST_REGISTRATION_YEAR <= year <= today.year:
        raise InvalidIdentifier("注册代码第11至16位的登记年月无效。")
    if (year, month) > (today.year, today.month):
        raise InvalidIdentifier("注册代码第11至16位的登记年月晚于今天。")
    if value[16:] == "0000":
        raise InvalidIdentifier("注册代码末4位顺序号应为0001至9999。")
    return value


def validate_certificate_number(*, number: str) -> str:
    """A use-registration certificate number such as 梯11粤S00123(18), normalised."""
    value = _compact(number)
    match = CERTIFICATE.fullmatch(value)
    if match is None:
        raise InvalidIdentifier(
            "使用登记证编号格式应如 梯11粤S00123(18)：类别、品种代号、登记机关代号、"
            "5位流水号和括号内的登记年份。"
        )
    class_char, variety, _province, _city, serial, _year = match.groups()
    if (class_char, variety) not in BY_CERTIFICATE:
        raise InvalidIdentifier(f"使用登记证编号的类别和品种代号 {class_char}{variety} 无效。")
    if serial == "00000":
        raise InvalidIdentifier("使用登记证编号的流水号应为00001至99999。")
    return value


def credit_check_char(*, first17: str) -> str:
    """The GB 32100 check character of a unified social credit code's first 17 characters."""
    total = sum(CREDIT_ALPHABET.index(c) * w for c, w in zip(first17, CREDIT_WEIGHTS, strict=True))
    return CREDIT_ALPHABET[(31 - total % 31) % 31]


def validate_credit_code(*, code: str) -> str:
    """An 18-character unified social credit code whose check character agrees, upper-cased."""
    value = _compact(code)
    if len(value) != 18:
        raise InvalidIdentifier(f"统一社会信用代码应为18位，当前为{len(value)}位。")
    if any(c not in CREDIT_ALPHABET for c in value):
        raise InvalidIdentifier("统一社会信用代码只含数字和大写字母（不含 I、O、S、V、Z）。")
    if value[17] != credit_check_char(first17=value[:17]):
        raise InvalidIdentifier("统一社会信用代码第18位校验码不符，请核对。")
    return value
