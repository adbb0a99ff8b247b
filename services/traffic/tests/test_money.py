import pytest

from traffic.money import yuan_to_fen


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
