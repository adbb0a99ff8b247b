"""The WeChat edge: callbacks from the WeChat platform for each official account (DESIGN §7)."""
