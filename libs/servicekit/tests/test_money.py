"""servicekit.money: yuan read into fen and fen written as yuan."""

import pytest

from servicekit.money import yuan, yuan_text, yuan_to_fen


@pytest.mark.parametrize(
    ("yuan", "fen"),
    [
        ("0", 0),
        ("200", 20000),
        ("150", 15000),
        (" 100 ", 10000),
        ("0.5", 50),
        ("0.05", 5),
        ("12.34", 1234),
        ("200.00", 20000),
        ("2000", 200000),
    ],
)
def test_yuan_to_fen(yuan: str, fen: int) -> None:
    assert yuan_to_fen(yuan) == fen
    assert isinstance(yuan_to_fen(yuan), int)


@pytest.mark.parametrize("yuan", ["", "abc", "-1", "0.001", "12.345", "NaN", "Infinity"])
def test_yuan_to_fen_refuses_what_is_not_whole_fen(yuan: str) -> None:
    with pytest.raises(ValueError):
        yuan_to_fen(yuan)


@pytest.mark.parametrize(
    ("fen", "grouped", "plain"),
    [
        (0, "0.00", "0.00"),
        (5, "0.05", "0.05"),
        (23000, "230.00", "230.00"),
        (1234567, "12,345.67", "12345.67"),
        (-1230, "-12.30", "-12.30"),
        (-5, "-0.05", "-0.05"),
    ],
)
def test_yuan(fen: int, grouped: str, plain: str) -> None:
    assert yuan(fen) == grouped
    assert yuan(fen, grouped=False) == plain


@pytest.mark.parametrize(
    ("fen", "text"),
    [(20000, "200元"), (20050, "200.50元"), (5, "0.05元"), (0, "0元"), (-1230, "-12.30元")],
)
def test_yuan_text(fen: int, text: str) -> None:
    assert yuan_text(fen) == text
