"""What the bench scripts share: starting processes, loading a URL (wrk, or an asyncio load
generator when wrk is missing) and reading the CPU time processes spent. Not a benchmark."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import aiohttp


@dataclass(frozen=True)
class Result:
    requests: int
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    errors: int
    cpu_ms_per_request: float = float("nan")


# A load run: (url, connections, seconds, headers=...) -> Result.
Load = Callable[..., Result]


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
    """User + system CPU time a process and its children (workers) have used so far (Linux
    /proc; NaN elsewhere)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return float("nan")
    fields = stat.rsplit(")", 1)[1].split()  # after the command name, which may hold spaces
    own = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return own + sum(cpu_seconds(int(child)) for child in children)


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


def wait_until_up(
    base_url: str, process: subprocess.Popen[bytes], timeout: float = 60.0, path: str = "/healthz"
) -> None:
    """Poll `path` until it answers 200; exit if the process exits first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            sys.exit(f"{base_url}: process exited with {process.returncode}")
        try:
            with urllib.request.urlopen(f"{base_url}{path}", timeout=1) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    sys.exit(f"{base_url}: not up after {timeout:.0f} s")


_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def _latency_ms(output: str, percentile: str) -> float:
    match = re.search(rf"^\s*{percentile}%\s+([\d.]+)(us|ms|s)\s*$", output, re.MULTILINE)
    return float(match.group(1)) * _UNITS_MS[match.group(2)] if match else float("nan")


def run_wrk(
    url: str,
    connections: int,
    duration: float,
    *,
    headers: dict[str, str] | None = None,
    script: Path | None = None,
) -> Result:
    """One wrk run (one thread: wrk's own CPU is taken from the processes under test), with a
    Lua `script` building the requests when given."""
    lua = ["-s", str(script)] if script is not None else []
    header_args = [a for name, value in (headers or {}).items() for a in ("-H", f"{name}: {value}")]
    # A 10 s timeout, not wrk's 2 s: a slow answer is a latency to report, not an error.
    options = ["-t1", f"-c{connections}", f"-d{duration:.0f}s", "--timeout", "10s", "--latency"]
    output = subprocess.run(
        ["wrk", *options, *lua, *header_args, url],
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


async def _python_load(
    url: str, connections: int, duration: float, headers: dict[str, str] | None
) -> Result:
    latencies: list[float] = []
    errors = 0
    connector = aiohttp.TCPConnector(limit=connections)
    async with aiohttp.ClientSession(connector=connector, headers=headers) as session:
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


def run_python(
    url: str, connections: int, duration: float, *, headers: dict[str, str] | None = None
) -> Result:
    """One run of the asyncio load generator."""
    return asyncio.run(_python_load(url, connections, duration, headers))


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
