"""The gateway: the suite's one front door (WeChat edge and REST federation)."""
