"""Evaluation harnesses (parser accuracy against UD treebanks)."""
