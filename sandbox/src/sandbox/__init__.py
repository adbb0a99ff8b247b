"""Sandbox: the simulated WeChat platform and WeChat Pay used in development and tests."""
