"""Every user-facing exception class of the workbench, in one place.

The CLI prints any :class:`WorkbenchError` as one line and exits non-zero, no traceback. The
classes live here (not next to the code that raises them) so that a caller can catch one without
importing the layer that raises it, and so that one concept has one definition. Modules that used
to define these still re-export them, so ``from workbench.report.build import ReportError`` works.
"""


class WorkbenchError(Exception):
    """Base for errors caused by input or configuration, not by a bug."""


# ------------------------------------------------------------------------------- core
class ConfigError(WorkbenchError, ValueError):
    """A configuration file that is missing or does not validate."""


class QuarterError(WorkbenchError, ValueError):
    """A quarter label that cannot be read."""


class MissingDataError(WorkbenchError, FileNotFoundError):
    """A processed table that has not been pulled yet."""


class ValidationFailed(WorkbenchError):
    """Input that cannot be used at all (as opposed to rows that are rejected one by one)."""


class MissingColumnsError(ValidationFailed, ValueError):
    """A frame lacks columns a step needs. Raised only by :func:`workbench.core.frames.require_columns`."""


# ----------------------------------------------------------------------------- ingest
class SourceError(WorkbenchError):
    """A source that cannot be read: missing file, absent column, bad encoding, wrong delimiter..."""


# ----------------------------------------------------------------------------- themes
class EmbeddingError(WorkbenchError):
    """An embedding model that cannot be found or loaded, or a missing optional dependency."""


class ModelError(WorkbenchError):
    """A saved theme model that is missing or unreadable."""


class SearchError(WorkbenchError):
    """A search that cannot run: an empty query, or no themed feedback to search."""


class SentimentHeadError(WorkbenchError):
    """The shipped sentiment head is missing or unreadable (a broken install)."""


class RayEngineError(WorkbenchError):
    """Ray is missing, or the cluster cannot be reached."""


# --------------------------------------------------------------------------- analysis
class AnalysisInputError(WorkbenchError, ValueError):
    """An analysis was asked for something its inputs cannot answer (a bad option, a missing table)."""


class DigestError(WorkbenchError):
    """A digest that cannot be computed as asked (a bad ``--since`` date)."""


# -------------------------------------------------------------------------------- viz
class ChartInputError(WorkbenchError, ValueError):
    """A chart function was given something it cannot draw."""


# ----------------------------------------------------------------------------- report
class ReportError(WorkbenchError):
    """A report that cannot be started: unknown notebook name, missing notebook file."""


class NoDataError(MissingDataError):
    """The processed tables hold no dated rows, so no report quarter can be chosen."""


class SegmentError(WorkbenchError, ValueError):
    """A segment filter that matches no account."""


# ------------------------------------------------------------------------------- demo
class DemoError(WorkbenchError, ValueError):
    """Bad arguments to the demo generator (e.g. a non-positive scale)."""


# ------------------------------------------------------------------------- analyst API
class UnknownNameError(WorkbenchError, ValueError):
    """A table, output, segment, theme or quarter name that matches nothing.

    The message lists the valid names, so a typo is fixed from the error alone.
    """
