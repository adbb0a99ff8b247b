"""`make fuzz`: schemathesis over every service's and the gateway's OpenAPI document.

Starts the suite as the integration tests do (free ports, temporary seeded SQLite databases),
then runs schemathesis against each of the five services and the gateway, anonymous and as a
signed-in citizen (zhangsan, whom every seed knows), with the `not_a_server_error` check only
and a bounded number of examples per operation. Any 5xx fails the run.

    python scripts/fuzz.py [--max-examples N] [--seed N] [--only gateway,traffic,...]
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HOOKS = ROOT / "scripts" / "fuzz_auth.py"
CITIZEN = "zhangsan"
# Charts and PDFs answer 503 on a machine without a CJK font (the tests skip them there).
NEEDS_CJK_FONT = r"\.(png|pdf)$"
TOOL_BUG = "AST constructor recursion depth mismatch"


def _local_suite() -> type:
    """The integration suite's launcher (tests/integration/conftest.py is no importable module)."""
    path = ROOT / "tests" / "integration" / "conftest.py"
    spec = importlib.util.spec_from_file_location("integration_suite", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module.LocalSuite


def _schemathesis(
    name: str, base: str, *, signed_in: bool, args: argparse.Namespace, env: dict[str, str]
) -> bool:
    """One schemathesis run over one OpenAPI document; True when it found no 5xx."""
    label = f"{name} ({'citizen' if signed_in else 'anonymous'})"
    command = [
        str(Path(sys.executable).parent / "schemathesis"),
        "run",
        f"{base}/openapi.json",
        "--checks",
        "not_a_server_error",
        "--max-examples",
        str(args.max_examples),
        "--seed",
        str(args.seed),
        "--phases",
        "examples,coverage,fuzzing",
        # One worker: Hypothesis parsing its own source in two threads at once trips
        # python/cpython#106905 (the SystemError below), more often the larger the documents.
        "--workers",
        "1",
        "--request-timeout",
        "30",
        "--generation-database",
        "none",
        "--no-shrink",
        "--no-color",
    ]
    if args.exclude_path_regex:
        command += ["--exclude-path-regex", args.exclude_path_regex]
    run_env = {**env}
    if signed_in:
        run_env["SCHEMATHESIS_HOOKS"] = str(HOOKS)
    for attempt in (1, 2):
        print(f"\n=== {label}: {base}", flush=True)
        started = time.monotonic()
        output = _run_echoed(command, env=run_env)
        print(f"=== {label}: exit {output[0]} in {time.monotonic() - started:.0f} s", flush=True)
        if output[0] == 0:
            return True
        # CPython 3.11 can fail Hypothesis's own parsing of its source (python/cpython#106905);
        # that is the tool erring, not the API, so such a run is tried once more.
        if attempt == 1 and TOOL_BUG in output[1] and "Server error" not in output[1]:
            print(f"=== {label}: schemathesis itself erred ({TOOL_BUG}); once more", flush=True)
            continue
        return False
    return False


def _run_echoed(command: list[str], *, env: dict[str, str]) -> tuple[int, str]:
    """Run `command`, echoing its output as it comes; its exit code and output."""
    lines = []
    with subprocess.Popen(
        command,
        env=env,
        cwd=tempfile.gettempdir(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        errors="replace",
    ) as proc:
        assert proc.stdout is not None
        for line in proc.stdout:
            print(line, end="", flush=True)
            lines.append(line)
    return proc.returncode, "".join(lines)


def _has_cjk_font() -> bool:
    """Whether charts can be drawn here; without a font, say what is left out (CI has one)."""
    from servicekit.cjk import CJKFontNotFound, find_cjk_font

    try:
        find_cjk_font("东莞")
    except CJKFontNotFound as exc:
        if os.environ.get("CI") == "true":
            raise SystemExit(f"make fuzz: {exc}") from None
        print("no CJK font (fonts-wqy-microhei): charts and PDFs are not fuzzed", flush=True)
        return False
    return True


def main() -> int:
    """Start the suite, fuzz every part, stop the suite; non-zero when any run failed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-examples", type=int, default=10, help="per operation and phase")
    parser.add_argument("--seed", type=int, default=20261203, help="for reproducible runs")
    parser.add_argument("--only", default="", help="comma-separated parts (default: all)")
    args = parser.parse_args()
    args.exclude_path_regex = "" if _has_cjk_font() else NEEDS_CJK_FONT

    from gateway.settings import SERVICES
    from wechat.demo_citizens import demo_citizen

    parts = [p for p in args.only.split(",") if p] or [*SERVICES, "gateway"]
    internal_secret = secrets.token_urlsafe(32)
    # The suite's processes inherit these: known secrets to sign tokens with, and no throttling,
    # which would turn most generated requests into 429s and hide what they would have found.
    os.environ.update(
        {
            "INTERNAL_TOKEN_SECRET": internal_secret,
            "GATEWAY_AUTH_TOKEN_SECRET": "",
            "GATEWAY_RATE_LIMIT_ENABLED": "false",
            "GATEWAY_AUTH_FAILURE_LIMIT": "1000000",
        }
    )
    citizen_id = demo_citizen(CITIZEN).citizen_id
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="guanwei-fuzz-") as workdir:
        suite = _local_suite()(workdir=Path(workdir))
        try:
            suite.start()
            print(f"suite ready in {time.monotonic() - started:.0f} s", flush=True)
            failed = []
            for name in parts:
                base = (
                    suite.gateway if name == "gateway" else f"http://127.0.0.1:{suite.ports[name]}"
                )
                env = {
                    **os.environ,
                    "FUZZ_SECRET": internal_secret,
                    "FUZZ_CITIZEN": citizen_id,
                    "FUZZ_TARGET": name,
                }
                for signed_in in (False, True):
                    if not _schemathesis(name, base, signed_in=signed_in, args=args, env=env):
                        failed.append(f"{name} ({'citizen' if signed_in else 'anonymous'})")
        finally:
            suite.stop()
            for log in sorted(Path(workdir).glob("*.log")):
                text = log.read_text(errors="replace")
                if "Traceback" in text:
                    print(f"\n--- {log.name} (tracebacks)\n{text[-20000:]}", flush=True)
    print(f"\nmake fuzz: {time.monotonic() - started:.0f} s", flush=True)
    if failed:
        print("5xx found in: " + ", ".join(failed), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
