"""`make run` starts every Procfile process with honcho; Ctrl-C leaves no process behind."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import httpx
import pytest

from gateway.settings import SERVICES
from servicekit.testing import free_port, process_database, wait_until
from wechat.pay_dev import ensure_dev_keys

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.integration
PARTS = (*SERVICES, "gateway", "sandbox")


def _descendants(pid: int) -> set[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    found, stack = set(), [pid]
    while stack:
        for child in children.get(stack.pop(), []):
            found.add(child)
            stack.append(child)
    return found


def _alive(pid: int) -> bool:
    try:
        state = (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.fixture
def databases() -> Iterator[ExitStack]:
    """Where the test's databases are entered, to be dropped after it."""
    with ExitStack() as stack:
        yield stack


@pytest.mark.skipif(not Path("/proc").exists(), reason="needs /proc to find child processes")
def test_ctrl_c_stops_every_process(tmp_path: Path, databases: ExitStack) -> None:
    env = {**os.environ, "ENV": "dev"}
    ports = {part: free_port() for part in PARTS}
    for part, port in ports.items():
        env[f"{part.upper()}_PORT"] = str(port)
    for service in SERVICES:
        env[f"{service.upper()}_DATABASE_URL"] = databases.enter_context(
            process_database(tmp_path, service)
        )
        env[f"GATEWAY_{service.upper()}_URL"] = f"http://127.0.0.1:{ports[service]}"
        env[f"ACCOUNTS_{service.upper()}_URL"] = f"http://127.0.0.1:{ports[service]}"
        subprocess.run(
            [sys.executable, "-m", service, "migrate"], env=env, check=True, capture_output=True
        )
    # As `make run` does first: traffic and the sandbox then read one key set, never racing to
    # create two.
    ensure_dev_keys(ROOT / "var" / "keys")
    honcho = Path(sys.executable).with_name("honcho")
    run = subprocess.Popen(
        [str(honcho), "start", "-f", str(ROOT / "Procfile")],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        wait_until(f"http://127.0.0.1:{ports['gateway']}/readyz", seconds=60)
        assert httpx.get(f"http://127.0.0.1:{ports['sandbox']}/healthz").status_code == 200
        processes = _descendants(run.pid)
        assert len(processes) >= len(PARTS)
        # What a terminal does on Ctrl-C: SIGINT to the whole foreground process group.
        os.killpg(run.pid, signal.SIGINT)
        run.wait(timeout=20)
        deadline = time.monotonic() + 10
        while any(_alive(pid) for pid in processes) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not [pid for pid in processes if _alive(pid)]
    finally:
        if run.poll() is None:
            os.killpg(run.pid, signal.SIGKILL)
