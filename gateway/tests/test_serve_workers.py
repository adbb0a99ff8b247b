"""`python -m gateway serve --workers N`: N processes on the same public and internal ports."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from typing import Any

import httpx
import pytest

import gateway.__main__
from gateway.__main__ import main
from gateway.listeners import serve
from gateway.settings import GatewaySettings
from servicekit.settings import SharedSettings
from servicekit.testing import free_port


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["serve", "--port", "8123"], (8123, 1)),
        (["serve", "--workers", "3", "--port", "8123"], (8123, 3)),
        (["serve", "--port", "8123", "--workers=2"], (8123, 2)),
    ],
)
def test_serve_takes_the_worker_count(
    monkeypatch: pytest.MonkeyPatch, argv: list[str], expected: tuple[int, int]
) -> None:
    monkeypatch.setenv("ENV", "dev")
    started: list[tuple[int, int]] = []

    def recorded(settings: Any, host: str, port: int, *, workers: int) -> None:
        started.append((port, workers))

    monkeypatch.setattr(gateway.__main__, "serve", recorded)
    main(argv)
    assert started == [expected]


def test_workers_zero_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ENV", "dev")
    with pytest.raises(SystemExit, match="at least 1"):
        main(["serve", "--workers", "0"])


def test_several_workers_need_redis() -> None:
    settings = GatewaySettings(redis_url="", shared=SharedSettings(env="dev"))
    with pytest.raises(SystemExit, match="GATEWAY_REDIS_URL"):
        serve(settings, "127.0.0.1", free_port(), workers=2)


@pytest.mark.slow
def test_two_workers_serve_both_ports_and_stop_on_sigterm(redis_url: str) -> None:
    public, internal = free_port(), free_port()
    env = {
        **os.environ,
        "ENV": "dev",
        "GATEWAY_REDIS_URL": redis_url,
        "GATEWAY_INTERNAL_PORT": str(internal),
        "GATEWAY_WECHAT_MENU_SYNC_SECONDS": "0",
    }
    argv = [sys.executable, "-m", "gateway", "serve", "--port", str(public), "--workers", "2"]
    process = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        answered: set[int] = set()
        while answered != {public, internal}:
            assert process.poll() is None, process.stderr.read() if process.stderr else ""
            assert time.monotonic() < deadline, "the workers did not answer"
            for port in {public, internal} - answered:
                try:
                    if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                        answered.add(port)
                except httpx.TransportError:
                    time.sleep(0.2)
        children = subprocess.run(
            ["pgrep", "-P", str(process.pid)], capture_output=True, text=True, check=False
        ).stdout.split()
        assert len(children) >= 2  # the workers (and multiprocessing's resource tracker)
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
