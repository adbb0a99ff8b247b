"""Shared plumbing of the guanwei parts: nothing here knows about a domain."""
