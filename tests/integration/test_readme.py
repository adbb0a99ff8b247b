"""The README's "Try it" curl lines work when copied, as a newcomer pastes them into a shell.

Each line runs in bash against the running suite (its host and port in place of 127.0.0.1:8000);
the status it must give is the one its comment names (`# 404, ...`), 200 otherwise.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

from gateway.settings import SERVICES

ROOT = Path(__file__).resolve().parents[2]
README_HOST = "127.0.0.1:8000"


def readme_curl_lines() -> list[str]:
    """The one-line curl examples of the README's "Try it" section that need no earlier step."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Try it", 1)[1].split("\n## ", 1)[0]
    return [
        line
        for line in section.splitlines()
        if line.startswith("curl ")
        and README_HOST in line
        # A continued line, a shell variable ($TOKEN) or a placeholder (<code>) belongs to a
        # longer walk-through.
        and not line.rstrip().endswith("\\")
        and "$" not in line
        and not re.search(r"<[a-z_]+>", line)
    ]


def expected_status(line: str) -> int:
    """The status a README line's comment promises (`# 422, ...`), else 200."""
    comment = line.partition("  #")[2].strip()
    match = re.match(r"(\d{3})\b", comment)
    return int(match.group(1)) if match else 200


def test_the_readme_has_examples_with_chinese_queries() -> None:
    lines = readme_curl_lines()
    assert len(lines) >= 15
    # Non-ASCII query values must be sent encoded: raw UTF-8 in a URL is refused with 400.
    chinese = [line for line in lines if re.search(r"[^\x00-\x7f]", line.partition("  #")[0])]
    assert chinese and all("--data-urlencode" in line for line in chinese)


@pytest.mark.parametrize("line", readme_curl_lines())
def test_a_readme_curl_line_works_as_pasted(suite, tmp_path: Path, line: str) -> None:
    host = suite.gateway.removeprefix("http://")
    command = line.replace(README_HOST, host)
    # -w appends the status on its own line; output files (-o) land in tmp_path.
    script = 'curl() { command curl -w "\\n%{http_code}" "$@"; }\n' + command
    done = subprocess.run(
        ["bash", "-c", script], cwd=tmp_path, capture_output=True, timeout=60, check=False
    )
    status = done.stdout.decode("utf-8", "replace").rsplit("\n", 1)[-1]
    assert done.returncode == 0, done.stderr
    assert status == str(expected_status(line)), done.stdout[-500:]


def readme_block(marker: str) -> list[str]:
    """The lines of the README's first ```sh block that contains `marker`."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = [b.split("```", 1)[0] for b in text.split("```sh\n")[1:]]
    return next(b for b in blocks if marker in b).splitlines()


def test_the_readme_sign_in_and_personal_data_lines_work_as_pasted(suite, tmp_path: Path) -> None:
    host = suite.gateway.removeprefix("http://")
    # The sign-in and the first reading as written; the order lines need a number from it.
    walk: list[str] = []
    skipping = False
    for line in readme_block("login()"):
        if "<number>" in line or "<id>" in line or skipping:
            skipping = line.rstrip().endswith("\\")
            continue
        walk.append(line)
    data = readme_block("/me/export")
    # Each top-level curl's answer on a line of its own (curl adds no newline).
    ends = [f"{line}\necho" if line.startswith("curl") else line for line in walk]
    script = "\n".join([*ends, *(f"{line}\necho" for line in data)])
    done = subprocess.run(
        ["bash", "-c", script.replace(README_HOST, host)],
        cwd=tmp_path,
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    outputs = [line for line in done.stdout.decode().splitlines() if line.strip()]
    violations, overview, *logs = (json.loads(line) for line in outputs)
    # Other scenarios of the shared suite may have paid his decisions already.
    assert all(v["status"] == "decided_unpaid" for v in violations["items"])
    # The home screen: every service answered, his violations among them.
    assert overview["complete"] is True and overview["town"] == "dalang"
    assert overview["traffic"]["status"] == "ok"
    assert len(logs) == 4 and all("items" in log for log in logs)
    # Reading his violations just now is in traffic's log of who read what.
    newest = logs[0]["items"][0]
    assert newest["reader"] == "citizen" and "violation" in newest["resource"], newest
    [export] = tmp_path.glob("guanwei-personal-data-*.json")
    document = json.loads(export.read_text(encoding="utf-8"))
    assert set(document["services"]) == set(SERVICES)


def test_the_readme_inspection_walk_through_works_as_pasted(suite, tmp_path: Path) -> None:
    """A contact binds, applies, an inspector moves the application to its report, the contact
    downloads the PDF and anyone checks its code: each curl of the block as pasted, with the
    <number> and <code> an earlier answer gave."""
    host = suite.gateway.removeprefix("http://")
    login = readme_block("login()")
    define_login = login[: login.index("}") + 1]
    lines = readme_block("inspection/me/units")
    setup: list[str] = []
    found: dict[str, str] = {}
    steps = 0
    index = 0
    while index < len(lines):
        line = lines[index]
        if not line.startswith("curl "):
            setup.append(line)
            index += 1
            continue
        step = [line]
        while step[-1].rstrip().endswith("\\"):
            index += 1
            step.append(lines[index])
        index += 1
        command = "\n".join(step).replace("<number>", found.get("number", "<number>"))
        command = command.replace("<code>", found.get("report_code", "<code>"))
        script = "\n".join(
            # The status is appended to the step's answer only, not to the sign-in's.
            [*define_login, *setup, 'curl() { command curl -w "\\n%{http_code}" "$@"; }', command]
        )
        done = subprocess.run(
            ["bash", "-c", script.replace(README_HOST, host)],
            cwd=tmp_path,
            capture_output=True,
            timeout=60,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        body, _, status = done.stdout.decode().rpartition("\n")
        assert status in {"200", "201"}, (command, body[-500:])
        steps += 1
        if body.startswith("{"):
            answer = json.loads(body)
            found.update({k: answer[k] for k in ("number", "report_code") if answer.get(k)})
    assert steps >= 10 and "report_code" in found
    [pdf] = tmp_path.glob("*.pdf")
    assert pdf.read_bytes().startswith(b"%PDF")
