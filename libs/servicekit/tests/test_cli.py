"""`run_service_cli`: a service's own commands run with its settings."""

import pickle
import sys
from typing import ClassVar

import pytest
from fastapi import FastAPI

from servicekit import cli
from servicekit.cli import PORTS, CliCommand, WorkerApp, run_service_cli
from servicekit.settings import ServiceSettings, SharedSettings


class CliSettings(ServiceSettings):
    service_name: ClassVar[str] = "clidemo"


def settings_factory() -> CliSettings:
    return CliSettings(database_url="sqlite://", shared=SharedSettings(env="dev"))


@pytest.fixture(autouse=True)
def clidemo_port(monkeypatch: pytest.MonkeyPatch) -> None:
    """`clidemo` is a part of the suite, serving on 8999 unless told otherwise."""
    monkeypatch.setitem(PORTS, "clidemo", 8999)


def no_app(_: ServiceSettings) -> FastAPI:
    raise AssertionError("serve must not run")


def test_an_extra_command_runs_with_the_settings() -> None:
    seen: list[ServiceSettings] = []
    commands = {"deliver-everything": CliCommand(help="demo", run=seen.append)}
    run_service_cli(
        "clidemo", settings_factory, no_app, argv=["deliver-everything"], extra_commands=commands
    )
    assert len(seen) == 1 and isinstance(seen[0], CliSettings)


def test_without_extra_commands_they_are_unknown() -> None:
    with pytest.raises(SystemExit):
        run_service_cli("clidemo", settings_factory, no_app, argv=["deliver-everything"])


def test_serve_listens_on_the_part_s_port_unless_told() -> None:
    ports: list[int] = []

    def serve(_: ServiceSettings, host: str, port: int) -> None:
        ports.append(port)

    run_service_cli("clidemo", settings_factory, no_app, argv=["serve"], serve=serve)
    run_service_cli("clidemo", settings_factory, no_app, argv=["serve", "--port", "1"], serve=serve)
    run_service_cli(
        "clidemo", settings_factory, no_app, argv=["serve"], default_port=2, serve=serve
    )
    assert ports == [8999, 1, 2]


def demo_app(settings: ServiceSettings) -> FastAPI:
    return FastAPI(title=settings.service_name)


def test_serve_with_workers_hands_a_worker_factory_to_the_supervisor(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    served: list[tuple[WorkerApp, str, int, int]] = []

    def serve_workers(app: WorkerApp, *, host: str, port: int, workers: int) -> None:
        served.append((app, host, port, workers))

    monkeypatch.setattr(cli, "serve_workers", serve_workers)
    run_service_cli("clidemo", settings_factory, demo_app, argv=["serve", "--workers", "2"])
    [(app, host, port, workers)] = served
    assert (host, port, workers) == ("127.0.0.1", 8999, 2)
    # Each spawned worker unpickles the factory and builds its own app from the settings.
    interval = sys.getswitchinterval()
    try:
        built = pickle.loads(pickle.dumps(app))()
    finally:
        sys.setswitchinterval(interval)  # the worker's setting, not this test process's
    assert isinstance(built, FastAPI) and built.title == "clidemo"


def test_a_part_with_its_own_serve_has_no_workers_option() -> None:
    def serve(_: ServiceSettings, host: str, port: int) -> None:
        raise AssertionError("the option must be refused first")

    with pytest.raises(SystemExit):
        run_service_cli(
            "clidemo", settings_factory, no_app, argv=["serve", "--workers", "2"], serve=serve
        )
