"""东莞社保's chat answers (servicekit.answers): `intents` answers, `texts` words them."""
