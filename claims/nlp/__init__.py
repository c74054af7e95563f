"""Parsing: every parser's output becomes claims' own ``Document`` (document.py) with UD v2 relations."""
