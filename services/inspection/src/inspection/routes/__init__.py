"""The inspection service's HTTP routes."""
