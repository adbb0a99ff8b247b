"""Compression bench: what gzip and brotli save on the ranking and the forecast, and what they cost.

Starts accounts and weather (temporary SQLite databases, migrated and seeded as `make run` does)
and the gateway as subprocesses on free ports, and fetches the week's account ranking
(`/api/v1/accounts/rankings?period=week`) and the city's 5-day forecast
(`/api/v1/weather/forecasts/dongguan`) through the gateway. For each body and coding it prints:
- the compressed size and its ratio to the uncompressed body;
- the CPU time of one compression in process (`gateway.compression.encode`, time.process_time
  over `--repeat` runs; brotli's default quality 11 beside the gateway's for comparison);
- through the running gateway, `--requests` sequential GETs with that Accept-Encoding: the
  median wall latency and the gateway's CPU time per request (Linux /proc), and their ratio to
  uncompressed requests.
Reports figures; never asserts them (DESIGN §9).

    .venv/bin/python bench/compression.py [--repeat 200] [--requests 300]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

import brotli
from gateway_overhead import cpu_seconds, free_port, process, wait_until_up

from gateway.compression import BROTLI_QUALITY, GZIP_LEVEL, encode

TARGETS = {
    "ranking": "/api/v1/accounts/rankings?period=week",
    "forecast": "/api/v1/weather/forecasts/dongguan",
}
# (label, Accept-Encoding sent, in-process compressor or None for identity)
CODINGS: list[tuple[str, str, Callable[[bytes], bytes] | None]] = [
    ("identity", "identity", None),
    (f"gzip-{GZIP_LEVEL}", "gzip", lambda body: encode(body, "gzip")),
    (f"br-{BROTLI_QUALITY}", "br", lambda body: encode(body, "br")),
    ("br-11", "", lambda body: bytes(brotli.compress(body, quality=11))),
]


def get(url: str, accept_encoding: str) -> tuple[bytes, str]:
    """The raw body and Content-Encoding of one GET (urllib never decodes)."""
    request = urllib.request.Request(url, headers={"Accept-Encoding": accept_encoding})
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.read(), response.headers.get("content-encoding", "identity")


def cpu_ms(compress: Callable[[bytes], bytes], body: bytes, repeat: int) -> float:
    """CPU milliseconds of one compression of `body` (mean of `repeat`, after a warm-up)."""
    compress(body)
    started = time.process_time()
    for _ in range(repeat):
        compress(body)
    return (time.process_time() - started) * 1000 / repeat


def through_gateway(url: str, accept_encoding: str, requests: int, pid: int) -> tuple[float, float]:
    """Median wall ms and gateway CPU ms per request of `requests` sequential GETs."""
    get(url, accept_encoding)  # warm the gateway's pool and the service's caches
    latencies = []
    before = cpu_seconds(pid)
    for _ in range(requests):
        started = time.perf_counter()
        get(url, accept_encoding)
        latencies.append((time.perf_counter() - started) * 1000)
    spent = (cpu_seconds(pid) - before) * 1000 / requests
    return statistics.median(latencies), spent


def main() -> None:
    """Start the services and the gateway, measure, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=200, help="in-process compressions")
    parser.add_argument("--requests", type=int, default=300, help="GETs per coding")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="compression-bench-") as tmp:
        workdir = Path(tmp)
        python = sys.executable
        env = {
            **os.environ,
            "ENV": "dev",
            "ACCOUNTS_DATABASE_URL": f"sqlite:///{workdir / 'accounts.db'}",
            "WEATHER_DATABASE_URL": f"sqlite:///{workdir / 'weather.db'}",
            "GATEWAY_RATE_LIMIT_GENERAL": "1000000000",
            "GATEWAY_INTERNAL_PORT": str(free_port()),
            "LOG_LEVEL": "WARNING",
        }
        for service in ("accounts", "weather"):
            for command in ("migrate", "seed"):
                subprocess.run(
                    [python, "-m", service, command], env=env, check=True, capture_output=True
                )
        ports = {name: free_port() for name in ("accounts", "weather", "gateway")}
        urls = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
        env["GATEWAY_ACCOUNTS_URL"] = urls["accounts"]
        env["GATEWAY_WEATHER_URL"] = urls["weather"]

        def serve(name: str) -> list[str]:
            return [python, "-m", name, "serve", "--port", str(ports[name])]

        with (
            process(serve("accounts"), env, workdir / "accounts.log") as accounts,
            process(serve("weather"), env, workdir / "weather.log") as weather,
            process(serve("gateway"), env, workdir / "gateway.log") as gateway,
        ):
            for name, proc in (("accounts", accounts), ("weather", weather), ("gateway", gateway)):
                wait_until_up(urls[name], proc)
            print(
                f"compression: {args.repeat} in-process compressions, {args.requests} sequential "
                f"GETs through the gateway per coding, {os.cpu_count()} CPUs"
            )
            print(
                f"{'body':<9} {'coding':<9} {'bytes':>7} {'ratio':>6} {'cpu ms':>7} "
                f"{'p50 ms':>7} {'x id':>5} {'gw cpu ms':>9} {'x id':>5}"
            )
            for target, path in TARGETS.items():
                url = urls["gateway"] + path
                body, encoding = get(url, "identity")
                assert encoding == "identity", encoding
                baseline: tuple[float, float] | None = None
                for label, accept, compress in CODINGS:
                    size = len(compress(body)) if compress else len(body)
                    spent = cpu_ms(compress, body, args.repeat) if compress else 0.0
                    line = (
                        f"{target:<9} {label:<9} {size:>7} {size / len(body):>6.3f} {spent:>7.3f}"
                    )
                    if accept:
                        sent, encoding = get(url, accept)
                        assert encoding == accept and len(sent) == size, (encoding, len(sent))
                        p50, cpu = through_gateway(url, accept, args.requests, gateway.pid)
                        baseline = baseline or (p50, cpu)
                        line += (
                            f" {p50:>7.2f} {p50 / baseline[0]:>5.2f}"
                            f" {cpu:>9.3f} {cpu / baseline[1]:>5.2f}"
                        )
                    print(line)


if __name__ == "__main__":
    main()
