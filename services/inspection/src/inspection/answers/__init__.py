"""东莞特检's chat answers (servicekit.answers): `intents` answers, `texts` words them."""
