"""Gateway overhead: one weather endpoint called directly and through the gateway, side by side.

Starts the weather service (on a temporary SQLite database, migrated and seeded) and the gateway
as subprocesses on free ports, loads `GET /v1/locations?limit=5` directly and
`GET /api/v1/weather/locations?limit=5` through the gateway at each connection count, and prints
requests/s, p50/p99 latency, the CPU time per request of the process addressed (on Linux), and
the gateway/direct throughput ratio (medians of `--rounds` alternating runs, since other work on
the machine skews any single run; CPU per request is the steadier figure). Uses wrk when it is
installed, else a Python asyncio load generator (which itself takes CPU from the processes under
test, so its ratios are pessimistic). Reports figures; never asserts them (DESIGN §9).

    .venv/bin/python bench/gateway_overhead.py [--duration 10] [--rounds 3] [--connections 1,32]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import aiohttp

DIRECT_PATH = "/v1/locations?limit=5"
GATEWAY_PATH = "/api/v1/weather/locations?limit=5"
WARMUP_SECONDS = 2.0


@dataclass(frozen=True)
class Result:
    requests: int
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    errors: int
    cpu_ms_per_request: float = float("nan")


Load = Callable[[str, int, float], Result]


def median(results: list[Result]) -> Result:
    """The median of each figure over several runs."""
    return Result(
        requests=sum(r.requests for r in results),
        requests_per_second=statistics.median(r.requests_per_second for r in results),
        p50_ms=statistics.median(r.p50_ms for r in results),
        p99_ms=statistics.median(r.p99_ms for r in results),
        errors=sum(r.errors for r in results),
        cpu_ms_per_request=statistics.median(r.cpu_ms_per_request for r in results),
    )


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far (Linux /proc; NaN elsewhere)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return float("nan")
    fields = stat.rsplit(")", 1)[1].split()  # after the command name, which may hold spaces
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measure(load: Load, url: str, connections: int, duration: float, pid: int) -> Result:
    """One load run, with the CPU time `pid` spent per request during it."""
    before = cpu_seconds(pid)
    result = load(url, connections, duration)
    spent = cpu_seconds(pid) - before
    per_request = spent * 1000 / result.requests if result.requests else float("nan")
    return dataclasses.replace(result, cpu_ms_per_request=per_request)


def free_port() -> int:
    """A TCP port nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until_up(base_url: str, process: subprocess.Popen[bytes], timeout: float = 60.0) -> None:
    """Poll `/healthz` until it answers 200; fail if the process exits first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            sys.exit(f"{base_url}: process exited with {process.returncode}")
        try:
            with urllib.request.urlopen(f"{base_url}/healthz", timeout=1) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    sys.exit(f"{base_url}: not up after {timeout:.0f} s")


_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def _latency_ms(output: str, percentile: str) -> float:
    match = re.search(rf"^\s*{percentile}%\s+([\d.]+)(us|ms|s)\s*$", output, re.MULTILINE)
    return float(match.group(1)) * _UNITS_MS[match.group(2)] if match else float("nan")


def run_wrk(url: str, connections: int, duration: float) -> Result:
    """One wrk run (one thread: wrk's own CPU is taken from the processes under test)."""
    output = subprocess.run(
        ["wrk", "-t1", f"-c{connections}", f"-d{duration:.0f}s", "--latency", url],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    count = re.search(r"(\d+) requests in", output)
    rps = re.search(r"Requests/sec:\s+([\d.]+)", output)
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    socket_errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    errors = int(non_2xx.group(1)) if non_2xx else 0
    if socket_errors:
        errors += sum(int(n) for n in socket_errors.groups())
    return Result(
        requests=int(count.group(1)) if count else 0,
        requests_per_second=float(rps.group(1)) if rps else 0.0,
        p50_ms=_latency_ms(output, "50"),
        p99_ms=_latency_ms(output, "99"),
        errors=errors,
    )


async def _python_load(url: str, connections: int, duration: float) -> Result:
    latencies: list[float] = []
    errors = 0
    connector = aiohttp.TCPConnector(limit=connections)
    async with aiohttp.ClientSession(connector=connector) as session:
        stop = time.perf_counter() + duration

        async def worker() -> None:
            nonlocal errors
            while time.perf_counter() < stop:
                started = time.perf_counter()
                try:
                    async with session.get(url) as response:
                        await response.read()
                        if response.status >= 400:
                            errors += 1
                except aiohttp.ClientError:
                    errors += 1
                latencies.append(time.perf_counter() - started)

        began = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(connections)))
        elapsed = time.perf_counter() - began
    latencies.sort()

    def percentile(p: float) -> float:
        return latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000

    return Result(
        requests=len(latencies),
        requests_per_second=len(latencies) / elapsed,
        p50_ms=percentile(0.50),
        p99_ms=percentile(0.99),
        errors=errors,
    )


def run_python(url: str, connections: int, duration: float) -> Result:
    """One run of the asyncio load generator."""
    return asyncio.run(_python_load(url, connections, duration))


@contextlib.contextmanager
def process(args: list[str], env: dict[str, str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    """A subprocess, logging to `log`, stopped (SIGINT, then kill) on exit."""
    with log.open("wb") as out:
        proc = subprocess.Popen(args, env=env, stdout=out, stderr=subprocess.STDOUT)
        try:
            yield proc
        finally:
            if proc.poll() is None:
                proc.send_signal(signal.SIGINT)
                try:
                    proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()


def main() -> None:
    """Run the comparison and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per measurement")
    parser.add_argument("--rounds", type=int, default=3, help="alternating runs per target")
    parser.add_argument("--connections", default="1,32", help="comma-separated counts")
    parser.add_argument("--tool", choices=("auto", "wrk", "python"), default="auto")
    args = parser.parse_args()
    counts = [int(c) for c in args.connections.split(",")]
    tool = args.tool if args.tool != "auto" else ("wrk" if shutil.which("wrk") else "python")
    load: Load = run_wrk if tool == "wrk" else run_python

    with tempfile.TemporaryDirectory(prefix="gateway-bench-") as tmp:
        workdir = Path(tmp)
        env = {
            **os.environ,
            "ENV": "dev",
            "WEATHER_DATABASE_URL": f"sqlite:///{workdir / 'weather.db'}",
        }
        python = sys.executable
        for command in ("migrate", "seed"):
            subprocess.run(
                [python, "-m", "weather", command], env=env, check=True, capture_output=True
            )
        weather_port, gateway_port = free_port(), free_port()
        direct = f"http://127.0.0.1:{weather_port}"
        gateway = f"http://127.0.0.1:{gateway_port}"
        env["GATEWAY_WEATHER_URL"] = direct
        # Measure the limiter's cost, not its refusals: one client sends every request here.
        env["GATEWAY_RATE_LIMIT_GENERAL"] = "1000000000"
        weather_args = [python, "-m", "weather", "serve", "--port", str(weather_port)]
        gateway_args = [python, "-m", "gateway", "serve", "--port", str(gateway_port)]
        with (
            process(weather_args, env, workdir / "weather.log") as weather_proc,
            process(gateway_args, env, workdir / "gateway.log") as gateway_proc,
        ):
            wait_until_up(direct, weather_proc)
            wait_until_up(gateway, gateway_proc)
            targets = {
                "direct": (direct + DIRECT_PATH, weather_proc.pid),
                "gateway": (gateway + GATEWAY_PATH, gateway_proc.pid),
            }
            for url, _ in targets.values():  # fill connection pools and warm caches
                load(url, max(counts), WARMUP_SECONDS)

            print(
                f"gateway overhead: {tool}, median of {args.rounds} x {args.duration:.0f} s runs, "
                f"{os.cpu_count()} CPUs"
            )
            print(f"  direct : GET {targets['direct'][0]}")
            print(f"  gateway: GET {targets['gateway'][0]}")
            print("  cpu ms/req: CPU time of the process addressed (weather; the gateway alone)")
            print(
                f"{'conns':>5}  {'target':<8} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} "
                f"{'cpu ms/req':>10} errors"
            )
            for connections in counts:
                runs: dict[str, list[Result]] = {name: [] for name in targets}
                for _ in range(args.rounds):
                    for name, (url, pid) in targets.items():
                        runs[name].append(measure(load, url, connections, args.duration, pid))
                results = {name: median(rs) for name, rs in runs.items()}
                for name, r in results.items():
                    print(
                        f"{connections:>5}  {name:<8} {r.requests_per_second:>9.1f} "
                        f"{r.p50_ms:>8.2f} {r.p99_ms:>8.2f} {r.cpu_ms_per_request:>10.3f} "
                        f"{r.errors:>6}"
                    )
                direct_rps = results["direct"].requests_per_second
                ratio = results["gateway"].requests_per_second / direct_rps if direct_rps else 0
                print(f"{connections:>5}  ratio gateway/direct = {ratio:.2f}x")


if __name__ == "__main__":
    main()
