"""`run_service_cli`: a service's own commands run with its settings."""

from typing import ClassVar

import pytest
from fastapi import FastAPI

from servicekit.cli import CliCommand, run_service_cli
from servicekit.settings import ServiceSettings, SharedSettings


class CliSettings(ServiceSettings):
    service_name: ClassVar[str] = "clidemo"


def settings_factory() -> CliSettings:
    return CliSettings(database_url="sqlite://", shared=SharedSettings(env="dev"))


def no_app(_: ServiceSettings) -> FastAPI:
    raise AssertionError("serve must not run")


def test_an_extra_command_runs_with_the_settings() -> None:
    seen: list[ServiceSettings] = []
    run_service_cli(
        package="clidemo",
        settings_factory=settings_factory,
        app_factory=no_app,
        seed=None,
        default_port=8999,
        database=False,
        argv=["deliver-everything"],
        extra_commands={"deliver-everything": CliCommand(help="demo", run=seen.append)},
    )
    assert len(seen) == 1 and isinstance(seen[0], CliSettings)


def test_without_extra_commands_they_are_unknown() -> None:
    with pytest.raises(SystemExit):
        run_service_cli(
            package="clidemo",
            settings_factory=settings_factory,
            app_factory=no_app,
            seed=None,
            default_port=8999,
            database=False,
            argv=["deliver-everything"],
        )
