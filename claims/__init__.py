"""claims: attributed claims, their certainty and their provenance, from dated documents."""

__version__ = "0.1.0"
