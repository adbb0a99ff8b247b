"""东莞天气 in chat, end to end: the registry's keyword rules, the real weather service, and the
warning signals a forecaster issues leading every answer."""

from __future__ import annotations

import itertools
import secrets
import time
from collections.abc import Iterator

import httpx
import pytest
from defusedxml.ElementTree import fromstring
from fastapi.testclient import TestClient
from sqlmodel import Session

from accounts.main import create_app as create_accounts_app
from accounts.registry_seed import seed_chat_config, seed_registry
from accounts.settings import AccountsSettings
from gateway.main import create_app
from gateway.settings import GatewaySettings, WechatAccount
from gateway.wechat.handlers.weather import NO_WARNINGS
from servicekit.settings import SharedSettings
from servicekit.testing import mint_token, serve_seeded_service
from servicekit.wechat_crypto import sign
from socialsec.main import create_app as create_socialsec_app
from socialsec.seed import seed as seed_socialsec
from socialsec.settings import SocialsecSettings
from weather.main import create_app as create_weather_app
from weather.seed import seed as seed_weather
from weather.settings import WeatherSettings

ACCOUNT = WechatAccount(code="dgtq", appid="wxtest0000dgtq", token="tk-dgtq")
_msg_ids = itertools.count(8_100_000_000_000_000_000)


def _registry_only(session: Session) -> str:
    return "; ".join([seed_registry(session=session), seed_chat_config(session=session)])


@pytest.fixture(scope="module")
def accounts_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with serve_seeded_service(
        package="accounts",
        folder=tmp_path_factory.mktemp("accounts"),
        seed=_registry_only,
        app_factory=lambda url: create_accounts_app(
            AccountsSettings(database_url=url, shared=SharedSettings(env="dev"))
        ),
    ) as base:
        yield base


@pytest.fixture(scope="module")
def socialsec_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The office directory: where the gateway learns the towns' names."""
    with serve_seeded_service(
        package="socialsec",
        folder=tmp_path_factory.mktemp("socialsec"),
        seed=seed_socialsec,
        app_factory=lambda url: create_socialsec_app(
            SocialsecSettings(database_url=url, shared=SharedSettings(env="dev"))
        ),
    ) as base:
        yield base


@pytest.fixture(scope="module")
def weather(tmp_path_factory: pytest.TempPathFactory) -> Iterator[httpx.Client]:
    """A weather service of this module's own: its tests issue and lift warning signals."""
    with (
        serve_seeded_service(
            package="weather",
            folder=tmp_path_factory.mktemp("weather-signals"),
            seed=seed_weather,
            app_factory=lambda url: create_weather_app(
                WeatherSettings(database_url=url, shared=SharedSettings(env="dev"))
            ),
        ) as base,
        httpx.Client(base_url=base, timeout=10) as client,
    ):
        yield client


@pytest.fixture
def gateway(accounts_url: str, socialsec_url: str, weather: httpx.Client) -> Iterator[TestClient]:
    settings = GatewaySettings(
        accounts_url=accounts_url,
        socialsec_url=socialsec_url,
        weather_url=str(weather.base_url).rstrip("/"),
        wechat_accounts=[ACCOUNT],
        shared=SharedSettings(env="dev"),
    )
    with TestClient(create_app(settings)) as client:
        yield client


def chat(gateway: TestClient, text: str) -> str:
    """Send `text` to 东莞天气 as WeChat does; the passive reply's text."""
    stamp, nonce = str(int(time.time())), str(secrets.randbelow(10**10))
    query = {
        "signature": sign(ACCOUNT.token, stamp, nonce),
        "timestamp": stamp,
        "nonce": nonce,
        "openid": "o_weather_fan",
    }
    xml = (
        "<xml><ToUserName>gh_dgtq</ToUserName><FromUserName>o_weather_fan</FromUserName>"
        f"<CreateTime>{stamp}</CreateTime><MsgType>text</MsgType>"
        f"<Content><![CDATA[{text}]]></Content><MsgId>{next(_msg_ids)}</MsgId></xml>"
    )
    response = gateway.post("/wechat/dgtq", params=query, content=xml.encode())
    assert response.status_code == 200, response.text
    return fromstring(response.content).findtext("Content")


def index_lines(weather: httpx.Client, location: str) -> list[str]:
    """The umbrella and outing lines as the weather service's indices say them today."""
    indices = {i["code"]: i for i in weather.get(f"/v1/indices/{location}").json()["indices"]}
    return [
        f"{indices[c]['name']}：{indices[c]['level']}。{indices[c]['text']}"
        for c in ("umbrella", "outing")
    ]


def test_the_articles_question_answers_umbrella_and_outing_for_the_city(
    gateway: TestClient, weather: httpx.Client
) -> None:
    answer = chat(gateway, "会不会下雨，能不能出去玩?")
    assert answer.splitlines()[0].startswith("东莞市 ")
    assert answer.splitlines()[1:] == index_lines(weather, "dongguan")


def test_umbrella_alone_and_a_town_named(gateway: TestClient, weather: httpx.Client) -> None:
    answer = chat(gateway, "大朗要带伞吗")
    assert answer.splitlines()[0].startswith("大朗镇 ")
    assert answer.splitlines()[1:] == index_lines(weather, "dalang")[:1]


def test_weather_for_a_town(gateway: TestClient, weather: httpx.Client) -> None:
    forecast = weather.get("/v1/forecasts/dalang").json()
    answer = chat(gateway, "天气 大朗")
    assert answer.startswith("大朗镇 ")
    assert f"{forecast['days'][0]['temp_min_c']}～{forecast['days'][0]['temp_max_c']}℃" in answer


def test_a_signal_in_force_leads_every_answer_until_lifted(
    gateway: TestClient, weather: httpx.Client
) -> None:
    assert chat(gateway, "预警") == NO_WARNINGS
    issued = weather.post(
        "/v1/warnings",
        json={"hazard": "rainstorm", "colour": "orange", "area": "dongguan"},
        headers=mint_token("weather", "staff-wu", ["forecaster"], kind="staff"),
    )
    assert issued.status_code == 201, issued.text
    signal = issued.json()
    try:
        for text in ("预警", "天气", "雨伞指数"):
            first = chat(gateway, text).splitlines()[0]
            assert first.startswith("【预警】东莞市 暴雨橙色预警信号"), (text, first)
        outing = chat(gateway, "郊游指数").splitlines()[-1]
        assert outing.startswith("郊游指数：不适宜"), outing
    finally:
        lifted = weather.post(
            f"/v1/warnings/{signal['id']}/lift",
            headers=mint_token("weather", "staff-wu", ["forecaster"], kind="staff"),
        )
        assert lifted.status_code == 200, lifted.text
    assert chat(gateway, "预警") == NO_WARNINGS
