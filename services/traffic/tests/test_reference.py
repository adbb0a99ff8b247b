import pytest

from traffic.reference import parse_points, parse_yes_no, violation_codes


@pytest.mark.parametrize(
    ("text", "value"), [("yes", True), ("no", False), ("YES", True), (" no ", False)]
)
def test_parse_yes_no(text: str, value: bool) -> None:
    assert parse_yes_no(text) is value


@pytest.mark.parametrize("text", ["", "y", "true", "1"])
def test_parse_yes_no_refuses_other_words(text: str) -> None:
    with pytest.raises(ValueError):
        parse_yes_no(text)


@pytest.mark.parametrize(("text", "points"), [("0", 0), ("1", 1), ("3", 3), ("6", 6), ("12", 12)])
def test_parse_points(text: str, points: int) -> None:
    assert parse_points(text) == points


@pytest.mark.parametrize("text", ["2", "4", "-3", "13"])
def test_parse_points_refuses_values_the_2022_rules_do_not_have(text: str) -> None:
    with pytest.raises(ValueError):
        parse_points(text)


def test_reference_table_is_complete_and_unique() -> None:
    rows = violation_codes()
    assert len(rows) == 12
    assert len({r.code for r in rows}) == 12
    red_light = next(r for r in rows if r.code == "1625")
    assert (red_light.points, red_light.fine_fen, red_light.verified) == (6, 20000, True)
