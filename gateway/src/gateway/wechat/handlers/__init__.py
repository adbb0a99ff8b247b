"""Message handlers: each answers one kind of request by asking a service, in Chinese."""
