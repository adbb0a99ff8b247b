"""Social-security service: offices, FAQ and rates; bound citizens' enquiries and certificates."""
