import pytest

from weather.phenomena import day_text, rain_grade_code


@pytest.mark.parametrize(
    ("amount", "code"),
    [
        (0.0, None),
        (0.09, None),
        (0.1, "07"),
        (9.9, "07"),
        (10.0, "08"),
        (24.9, "08"),
        (25.0, "09"),
        (49.9, "09"),
        (50.0, "10"),
        (99.9, "10"),
        (100.0, "11"),
        (249.9, "11"),
        (250.0, "12"),
        (400.0, "12"),
    ],
)
def test_rain_grades_follow_gb_t_28592(amount: float, code: str | None) -> None:
    assert rain_grade_code(amount) == code


@pytest.mark.parametrize(
    ("day", "night", "text"),
    [("00", "00", "晴"), ("01", "07", "多云转小雨"), ("04", "01", "雷阵雨转多云")],
)
def test_day_text(day: str, night: str, text: str) -> None:
    assert day_text(day, night) == text
