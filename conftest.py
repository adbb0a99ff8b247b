"""Root conftest: the servicekit pytest plugin gives every test its database fixtures."""

pytest_plugins = ["servicekit.testing"]
