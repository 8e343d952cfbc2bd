"""User-facing errors. The CLI prints any of these as one line and exits non-zero, no traceback."""


class WorkbenchError(Exception):
    """Base for errors caused by input or configuration, not by a bug."""


class SourceError(WorkbenchError):
    """A source that cannot be read: missing file, absent column, bad encoding, wrong delimiter..."""


class ValidationFailed(WorkbenchError):
    """Input that cannot be used at all (as opposed to rows that are rejected one by one)."""
