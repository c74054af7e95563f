"""Every user-facing error of the library, in one place.

The library raises these; only :mod:`claims.cli` turns them into messages and
exit codes. Each message names the input and the fix. Any other exception is a
bug and keeps its traceback.
"""

from __future__ import annotations


class ClaimsError(Exception):
    """Base class: a problem the user can fix."""

    def __init__(self, message: str, *, path: str | None = None, fix: str | None = None):
        self.path = path
        self.fix = fix
        self.reason = message
        text = f"{path}: {message}" if path else message
        if fix:
            text = f"{text} (fix: {fix})"
        super().__init__(text)


class InputError(ClaimsError):
    """A document that cannot be read: empty, binary, wrong encoding, no date, bad JSON."""


class SchemaError(InputError):
    """A JSON document that fails its JSON Schema."""


class ModelNotAvailable(ClaimsError):
    """A parser whose model is not installed."""


class StoreError(ClaimsError):
    """A database that cannot be opened or written."""


class QueryError(ClaimsError):
    """A compare or report query that finds nothing."""


class ReportError(ClaimsError):
    """A report that cannot be made as asked."""


class ReviewError(ClaimsError):
    """A merge or split that names something not in the database."""


class MissingData(ClaimsError):
    """An evaluation corpus is not where it should be."""
