"""servicekit.verification: codes without look-alikes, printed in groups, checked strictly."""

import pytest

from servicekit.errors import InvalidIdentifier
from servicekit.verification import CODE_ALPHABET, CODE_LENGTH, grouped, new_code, validate_code


@pytest.mark.parametrize(
    ("raw", "ok"),
    [
        ("ABCD-EFGH-JKMN-PQRS", True),
        ("abcdefghjkmnpqrs", True),
        (" ABCD EFGH JKMN PQRS ", True),
        ("ABCD-EFGH-JKMN-PQRU", False),  # U is not in the alphabet
        ("ABCD-EFGH-JKMN-PQRO", False),  # nor O, a look-alike of 0
        ("ABCD-EFGH-JKMN", False),
        ("ABCD-EFGH-JKMN-PQRST", False),
        ("", False),
    ],
)
def test_validate_code(raw: str, ok: bool) -> None:
    if ok:
        assert validate_code(code=raw, document="证明") == "ABCDEFGHJKMNPQRS"
    else:
        with pytest.raises(InvalidIdentifier, match="请核对报告上的验证码"):
            validate_code(code=raw, document="报告")


def test_new_codes_are_valid_and_distinct() -> None:
    codes = {new_code() for _ in range(200)}
    assert len(codes) == 200
    for code in codes:
        assert len(code) == CODE_LENGTH and set(code) <= set(CODE_ALPHABET)
        assert validate_code(code=grouped(code), document="证明") == code
    assert not set(CODE_ALPHABET) & set("OILU")


def test_grouped() -> None:
    assert grouped("ABCDEFGHJKMNPQRS") == "ABCD-EFGH-JKMN-PQRS"
