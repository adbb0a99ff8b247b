"""The generated TypeScript client (clients/typescript, `make client`) against the running suite.

The client is generated from the document the gateway serves, compiled with `tsc` in a
temporary folder (the work tree's generated files are left alone) and its example run with
node: it signs 张三 in through the sandbox's consent page, lists his violations and reads 大朗镇's
forecast, and what it prints is checked against the same data read over plain HTTP.
"""

from __future__ import annotations

import fcntl
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import httpx
import pytest

from servicekit.testing import require
from tests.integration.conftest import ComposeSuite, LocalSuite
from tests.integration.signin import sign_in

ROOT = Path(__file__).resolve().parents[2]
CLIENT = ROOT / "clients" / "typescript"
DUMP = ROOT / "scripts" / "openapi_dump.py"
GENERATED = "schema.d.ts"
NPM_SECONDS = 300


def _run(command: list[str], cwd: Path, seconds: int = 120) -> str:
    """Run `command`; its standard output, or a failure showing everything it printed."""
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=seconds)
    assert done.returncode == 0, f"{' '.join(command)}\n{done.stdout}\n{done.stderr}"
    return done.stdout


def _node_modules() -> Path:
    """The client's installed packages (npm ci from the committed lock when absent)."""
    if shutil.which("node") is None or shutil.which("npm") is None:
        require("Node.js and npm are not installed (apt-get install nodejs npm)")
    modules = CLIENT / "node_modules"
    # Test workers started together must not run two installs into one folder.
    with open(Path(tempfile.gettempdir()) / "guanwei-client-npm.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (modules / ".package-lock.json").exists():
            npm = ["npm", "ci", "--no-audit", "--no-fund"]
            done = subprocess.run(
                npm, cwd=CLIENT, capture_output=True, text=True, timeout=NPM_SECONDS
            )
            if done.returncode != 0:
                require(f"npm ci could not install the client's packages: {done.stderr[-500:]}")
    return modules


@pytest.fixture(scope="module")
def example(suite: LocalSuite | ComposeSuite, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The client generated from the running gateway's document and compiled; its dist/."""
    modules = _node_modules()
    work = tmp_path_factory.mktemp("typescript-client")
    # What is written by hand; node_modules is shared, the rest is generated below.
    (work / "src").mkdir()
    for name in ("package.json", "tsconfig.json"):
        shutil.copy(CLIENT / name, work / name)
    for source in (CLIENT / "src").glob("*.ts"):
        if source.name != GENERATED:
            shutil.copy(source, work / "src" / source.name)
    (work / "node_modules").symlink_to(modules, target_is_directory=True)
    _run([sys.executable, str(DUMP), "--url", suite.gateway, "-o", "openapi.json"], work)
    bin_dir = work / "node_modules" / ".bin"
    _run([str(bin_dir / "openapi-typescript"), "openapi.json", "-o", f"src/{GENERATED}"], work)
    _run([str(bin_dir / "tsc"), "-p", "."], work)
    return work / "dist"


def test_example_signs_in_lists_violations_and_reads_the_forecast(
    example: Path, suite: LocalSuite | ComposeSuite
) -> None:
    output = _run(["node", str(example / "example.js"), suite.gateway, "zhangsan"], example)

    with httpx.Client(timeout=30) as browser:
        me = sign_in(browser, suite.gateway, "张三")
        api = f"{suite.gateway}/api/v1"
        violations = browser.get(
            f"{api}/traffic/me/violations", params={"limit": 100}, headers=me
        ).json()
        forecast = browser.get(f"{api}/weather/forecasts/dalang").json()
    assert violations["items"], "张三 has violations in every seed"
    assert f"交通违法 {violations['total']} 条" in output, output
    for v in violations["items"]:
        assert f"#{v['id']} {v['plate']} {v['occurred_at']} {v['place']}" in output, output
    assert f"大朗镇（dalang）{forecast['forecast_date']} 起预报" in output, output
    assert len(forecast["days"]) == 5
    for day in forecast["days"]:
        assert f"{day['date']} {day['text']} {day['temp_min_c']}~{day['temp_max_c']}°C" in output


def test_example_reports_a_refused_call_and_exits_non_zero(example: Path) -> None:
    # Nothing listens there: the example says so on stderr and exits 1, never a silent success.
    done = subprocess.run(
        ["node", str(example / "example.js"), "http://127.0.0.1:9", "zhangsan"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1
    assert done.stderr.strip()


def test_the_document_built_without_a_server_is_the_one_the_gateway_serves(
    suite: LocalSuite | ComposeSuite, tmp_path: Path
) -> None:
    # CI generates the client from the in-process build: its operations and schemas must be
    # those front ends get (the prose in `info` may name the deployment's own addresses).
    _run([sys.executable, str(DUMP), "-o", "built.json"], tmp_path)
    _run([sys.executable, str(DUMP), "--url", suite.gateway, "-o", "served.json"], tmp_path)
    built, served = (
        json.loads((tmp_path / name).read_text(encoding="utf-8"))
        for name in ("built.json", "served.json")
    )
    assert served["x-guanwei-complete"] is True
    assert built["paths"] == served["paths"]
    assert built["components"] == served["components"]
