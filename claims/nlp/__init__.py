"""Parsing: every parser's output becomes a stanza ``Document`` with UD v2 relations."""
