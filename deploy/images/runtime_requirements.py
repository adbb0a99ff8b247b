"""Print the part of requirements.lock that the suite needs at run time.

The lock holds the dev group too (pytest, playwright, schemathesis, ...); the images install only
what the workspace members pull in. `uv export` annotates each pin with the packages it is
`# via`; the dev group's own pins carry none, so a pin is needed when anything it is via is a
member or is needed itself. Pins keep their markers and hashes, so the install stays
hash-checked. Standard library only: it runs in the image's build stage before any install.

    python3 runtime_requirements.py requirements.lock servicekit wechat accounts ... > runtime.lock

`make images` fills a wheelhouse on the host for images that cannot reach the package index; the
host's Python may differ from the image's (3.11.7 vs 3.11.2 flips a marker), so the image tells
its marker environment (`--environment`) and the host keeps the pins that hold there
(`--for env.json`, markers dropped, evaluated with `packaging`).
"""

from __future__ import annotations

import json
import os
import platform
import re
import sys
from dataclasses import dataclass, field

PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==")
VIA_ONE = re.compile(r"^\s+# via (\S+)")
VIA_MANY = re.compile(r"^\s+#   (\S+)")


@dataclass
class Pin:
    """One pinned requirement: its name, its lines as written and what it is via."""

    name: str
    lines: list[str] = field(default_factory=list)
    via: set[str] = field(default_factory=set)


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def parse(lock: str) -> list[Pin]:
    """The pins of an exported lock, in order (one name may have several, one per marker)."""
    pins: list[Pin] = []
    for line in lock.splitlines():
        if match := PIN.match(line):
            pins.append(Pin(_normalise(match.group(1)), [line]))
        elif pins and (via := VIA_ONE.match(line) or VIA_MANY.match(line)):
            pins[-1].via.add(_normalise(via.group(1)))
        elif pins and line.startswith("    --hash="):
            pins[-1].lines.append(line)
    return pins


def runtime(pins: list[Pin], members: set[str]) -> list[Pin]:
    """The pins reachable from the members through `via`, in the lock's order."""
    needed = {_normalise(m) for m in members}
    while True:
        grown = needed | {p.name for p in pins if p.via & needed}
        if grown == needed:
            break
        needed = grown
    return [p for p in pins if p.name in needed and p.name not in members]


def unknown_vias(pins: list[Pin], members: set[str]) -> set[str]:
    """Names pins are via that are neither pins nor members: a member missing from the list,
    whose dependencies would be left out."""
    known = {_normalise(m) for m in members} | {p.name for p in pins}
    return {v for p in pins for v in p.via} - known


def for_environment(pins: list[Pin], environment: dict[str, str]) -> list[Pin]:
    """The pins whose marker holds in `environment`, without their markers."""
    from packaging.markers import Marker

    kept = []
    for pin in pins:
        first, *hashes = pin.lines
        requirement, _, marker = first.removesuffix("\\").partition(";")
        if not marker.strip() or Marker(marker).evaluate(environment):
            kept.append(Pin(pin.name, [requirement.rstrip() + " \\", *hashes], pin.via))
    return kept


def render(pins: list[Pin]) -> str:
    """The pins as a requirements file pip reads with --require-hashes."""
    return "".join("\n".join(p.lines) + "\n" for p in pins)


def environment() -> dict[str, str]:
    """This interpreter's marker environment (as packaging.markers.default_environment)."""
    return {
        "implementation_name": sys.implementation.name,
        "implementation_version": platform.python_version(),
        "os_name": os.name,
        "platform_machine": platform.machine(),
        "platform_release": platform.release(),
        "platform_system": platform.system(),
        "platform_version": platform.version(),
        "python_full_version": platform.python_version(),
        "platform_python_implementation": platform.python_implementation(),
        "python_version": ".".join(platform.python_version_tuple()[:2]),
        "sys_platform": sys.platform,
    }


def main(args: list[str]) -> None:
    if args == ["--environment"]:
        print(json.dumps(environment()))
        return
    target = None
    if args[0] == "--for":
        with open(args[1], encoding="utf-8") as env_file:
            target = json.load(env_file)
        args = args[2:]
    lock_path, *member_names = args
    with open(lock_path, encoding="utf-8") as lock_file:
        locked = parse(lock_file.read())
    if unknown := unknown_vias(locked, set(member_names)):
        sys.exit(f"requirements.lock names members not listed here: {sorted(unknown)}")
    pins = runtime(locked, set(member_names))
    sys.stdout.write(render(pins if target is None else for_environment(pins, target)))


if __name__ == "__main__":
    main(sys.argv[1:])
