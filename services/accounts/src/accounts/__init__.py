"""Account registry service: the city's official WeChat accounts."""
