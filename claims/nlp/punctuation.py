"""Quotation marks as tokens: the one definition both the parser's converter and the rules read.

A single quote (' ‘ ’) is also an apostrophe ("don't", "the Kurds' claim", "’90s") in
tokenised text, so the two sets mean different things and both live here:
``DOUBLE_QUOTES`` only ever open or close a quotation, ``QUOTES`` are all the marks that may.
"""

from __future__ import annotations

# What surely marks quoted speech: the spaCy converter leaves a sentence's clauses as they
# are when it has one of these.
DOUBLE_QUOTES = frozenset({'"', "“", "”", "``", "''"})
# Every token that may be a quotation mark: dropped from a quoted span's ends, and a quote
# in a verb's content makes it reported speech.
QUOTES = DOUBLE_QUOTES | {"'", "‘", "’"}
