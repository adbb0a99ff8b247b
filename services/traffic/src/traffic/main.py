"""`create_app`: the traffic service's FastAPI app."""

from fastapi import FastAPI

from servicekit.app import create_service_app
from traffic.routes import bindings, violation_codes
from traffic.settings import TrafficSettings


def create_app(settings: TrafficSettings) -> FastAPI:
    """Build the traffic app on `settings`."""
    return create_service_app(
        settings,
        title="东莞交警 traffic",
        description="交通违法代码查询，以及后续的违法记录、记分与罚款缴纳。",
        package="traffic",
        routers=[violation_codes.router, bindings.router],
    )
