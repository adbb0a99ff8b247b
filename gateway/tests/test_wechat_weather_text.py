"""The chat text of the city forecast."""

from datetime import date

from gateway.wechat.handlers.weather import Forecast, day_label, format_forecast


def forecast(start_day: int = 26) -> Forecast:
    texts = ["多云", "多云转小雨", "中雨", "小雨转阴", "晴"]
    return Forecast.model_validate(
        {
            "location": {"code": "dongguan", "name": "东莞市"},
            "days": [
                {
                    "date": f"2025-11-{start_day + i:02d}",
                    "text": text,
                    "temp_min_c": 17 + i,
                    "temp_max_c": 25 + i,
                    "rain_mm": 0.0,
                    "rain_probability": 10 + i,
                    "wind_text": "北风3级",
                    "uv_index": 5,
                }
                for i, text in enumerate(texts)
            ],
        }
    )


def test_day_labels() -> None:
    today = date(2025, 11, 26)  # a Wednesday
    assert day_label(date(2025, 11, 26), today) == "11月26日（今天）"
    assert day_label(date(2025, 11, 27), today) == "11月27日（明天）"
    assert day_label(date(2025, 11, 28), today) == "11月28日（后天）"
    assert day_label(date(2025, 11, 29), today) == "11月29日（周六）"
    assert day_label(date(2025, 11, 30), today) == "11月30日（周日）"


def test_today_in_full_then_the_other_days_briefly() -> None:
    text = format_forecast(forecast(), date(2025, 11, 26))
    lines = text.split("\n")
    assert lines[0] == "东莞市 11月26日（今天）：多云，17～25℃，降水概率10%，北风3级。"
    assert lines[1] == "11月27日（明天）：多云转小雨，18～26℃"
    assert lines[4] == "11月30日（周日）：晴，21～29℃"
    assert len(lines) == 5


def test_text_fits_a_chat_bubble() -> None:
    assert len(format_forecast(forecast(), date(2025, 11, 26)).encode()) <= 600


def test_a_stale_forecast_is_not_called_today() -> None:
    text = format_forecast(forecast(start_day=25), date(2025, 11, 26))
    assert text.startswith("东莞市 11月25日（周二）：")
