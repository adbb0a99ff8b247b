"""Special-equipment inspection service (东莞特检): equipment lookups, lift cards, guides, fees."""
