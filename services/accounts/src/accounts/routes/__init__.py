"""HTTP routes of the accounts service."""
