"""Root conftest: the servicekit pytest plugin gives every test its database fixtures."""

# Import the parts whose test folders share their package's name (gateway/tests, sandbox/tests):
# pytest's importlib mode would otherwise register an empty `gateway`/`sandbox` module while
# collecting `gateway.tests.test_x`, shadowing the real package.
import gateway  # noqa: F401
import sandbox  # noqa: F401

pytest_plugins = ["servicekit.testing"]
