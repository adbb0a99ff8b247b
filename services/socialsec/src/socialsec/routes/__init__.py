"""HTTP routes of the social-security service."""
