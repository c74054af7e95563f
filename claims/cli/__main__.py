"""``python -m claims.cli``: the same group as the ``claims`` console script."""

from . import cli

cli()
