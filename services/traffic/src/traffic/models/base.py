"""The traffic tables' one declarative base: every table shares its metadata."""

from servicekit.db import table_base

Table = table_base()
