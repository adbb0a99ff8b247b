"""Settings are stored once by `create_service_app` and read through a typed dependency."""

from typing import Annotated, ClassVar

import pytest
from fastapi import APIRouter, Depends
from fastapi.testclient import TestClient

from servicekit.app import create_service_app
from servicekit.deps import SettingsDep, app_settings, settings_dependency
from servicekit.settings import ServiceSettings, SharedSettings


class ShopSettings(ServiceSettings):
    service_name: ClassVar[str] = "shop"
    opening_hour: int = 9


class OtherSettings(ServiceSettings):
    service_name: ClassVar[str] = "other"


ShopSettingsDep = Annotated[ShopSettings, Depends(settings_dependency(ShopSettings))]
router = APIRouter()


@router.get("/kit")
def kit(settings: SettingsDep) -> dict[str, str]:
    return {"service": settings.service_name}


@router.get("/own")
def own(settings: ShopSettingsDep) -> dict[str, int]:
    return {"opening_hour": settings.opening_hour}


def _app(**values: int) -> TestClient:
    settings = ShopSettings(shared=SharedSettings(env="dev"), **values)
    return TestClient(create_service_app(settings, title="shop", routers=[router]))


def test_routes_read_the_settings_the_app_was_built_with() -> None:
    with _app(opening_hour=7) as client:
        assert client.get("/kit").json() == {"service": "shop"}
        assert client.get("/own").json() == {"opening_hour": 7}


def test_app_settings_checks_the_settings_class() -> None:
    app = create_service_app(ShopSettings(shared=SharedSettings(env="dev")), title="shop")
    assert app_settings(app, ShopSettings).opening_hour == 9
    with pytest.raises(TypeError, match="ShopSettings, not OtherSettings"):
        app_settings(app, OtherSettings)


def test_settings_are_stored_once() -> None:
    app = create_service_app(ShopSettings(shared=SharedSettings(env="dev")), title="shop")
    # The secret and the service name are read from the settings, never kept beside them.
    assert not hasattr(app.state, "internal_token_secret")
    assert not hasattr(app.state, "service_name")
