"""Root conftest: the servicekit pytest plugin gives every test its database fixtures."""

import sys

import pytest

# Import the parts whose test folders share their package's name (gateway/tests, sandbox/tests):
# pytest's importlib mode would otherwise register an empty `gateway`/`sandbox` module while
# collecting `gateway.tests.test_x`, shadowing the real package.
import gateway  # noqa: F401
import sandbox  # noqa: F401

pytest_plugins = ["servicekit.testing"]


def pytest_collection_finish(session: pytest.Session) -> None:
    """Refuse to run when pytest-xdist's loadgroup has not grouped the tests that must share a
    worker: the suite and the replicas would start on several workers at once, the replicas
    sharing one Redis database (pytest 9.2 with xdist 3.8 broke it silently, see pyproject)."""
    if not getattr(session.config.option, "loadgroup", False):
        return
    lost = [
        item.nodeid
        for item in session.items
        if item.get_closest_marker("xdist_group") and "@" not in item.nodeid
    ]
    if lost:
        # A worker's exception reaches the controller only as a crash: say why on stderr first.
        reason = f"--dist loadgroup did not group {lost[0]} (and {len(lost) - 1} more)"
        print(reason, file=sys.__stderr__, flush=True)
        raise pytest.UsageError(reason)
