"""HTTP routes of the traffic service."""
