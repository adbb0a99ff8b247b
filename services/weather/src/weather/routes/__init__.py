"""HTTP routes of the weather service."""
