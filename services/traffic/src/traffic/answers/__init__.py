"""东莞交警's chat answers (servicekit.answers): the intents traffic serves, worded here."""

from traffic.answers.intents import INTENTS, answer

__all__ = ["INTENTS", "answer"]
