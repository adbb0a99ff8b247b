"""Traffic police service: violation codes, and later records, points and fine payment."""
