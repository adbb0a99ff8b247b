import pytest

from weather.phenomena import cma_code_for_wmo, day_text, phenomenon_codes, rain_grade_code


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


@pytest.mark.parametrize(
    ("wmo", "cma"),
    [
        (0, "00"),
        (1, "00"),
        (2, "01"),
        (3, "02"),
        (45, "18"),
        (61, "07"),
        (63, "08"),
        (65, "09"),
        (80, "03"),
        (82, "03"),
        (95, "04"),
        (99, "05"),
        (71, "14"),
        (66, "19"),
        (4, None),
    ],
)
def test_wmo_codes_map_through_weather_codes_csv(wmo: int, cma: str | None) -> None:
    assert cma_code_for_wmo(wmo) == cma


@pytest.mark.parametrize(
    ("day", "night", "amount", "shown", "text"),
    [
        # dry days: rain and showers the amount does not bear out are not shown
        ("00", "00", 0.0, ("00", "00"), "晴"),
        ("04", "04", 0.0, ("01", "01"), "多云"),  # thunderstorm code on a dry day
        ("03", "01", 0.0, ("01", "01"), "多云"),
        ("07", "07", 0.0, ("02", "02"), "阴"),
        ("01", "09", 0.05, ("01", "02"), "多云转阴"),
        ("18", "53", 0.0, ("18", "53"), "雾转霾"),
        # wet days: rain codes take the grade of the amount
        ("07", "07", 12.0, ("08", "08"), "中雨"),
        ("09", "09", 3.0, ("07", "07"), "小雨"),
        ("01", "07", 60.0, ("01", "10"), "多云转暴雨"),
        ("08", "11", 260.0, ("12", "12"), "特大暴雨"),
        # a wet day whose codes are all dry: the grade, since nothing says when it rains
        ("01", "01", 0.4, ("07", "07"), "小雨"),
        # showers and thunderstorms keep their nature up to 25 mm, then show the grade
        ("03", "03", 5.0, ("03", "03"), "阵雨"),
        ("04", "01", 24.9, ("04", "01"), "雷阵雨转多云"),
        ("04", "04", 30.0, ("09", "09"), "大雨"),
        ("05", "05", 30.0, ("05", "05"), "雷阵雨伴有冰雹"),
        ("14", "14", 2.0, ("14", "14"), "小雪"),
    ],
)
def test_codes_are_corrected_by_the_amount(
    day: str, night: str, amount: float, shown: tuple[str, str], text: str
) -> None:
    assert phenomenon_codes(day_code=day, night_code=night, rain_mm=amount) == shown
    assert day_text(*shown) == text
