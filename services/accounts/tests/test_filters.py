import pytest

from accounts.filters import contains_pattern


@pytest.mark.parametrize(
    ("text", "pattern"),
    [
        ("交警", "%交警%"),
        ("7000+", "%7000+%"),
        ("100%", "%100\\%%"),
        ("a_b", "%a\\_b%"),
        ("a\\b", "%a\\\\b%"),
        ("%_", "%\\%\\_%"),
    ],
)
def test_contains_pattern_takes_wildcards_literally(text: str, pattern: str) -> None:
    assert contains_pattern(text) == pattern
