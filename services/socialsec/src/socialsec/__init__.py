"""Social-security service: branch-office directory, and later personal enquiries."""
