"""The one progress display of the command line: a rich bar on a terminal, log lines otherwise.

The pull (one step per source and table) and the report build (one step per notebook) both use
it, so a long step looks the same everywhere, and a log file or CI run gets plain log lines
instead of terminal escape codes.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator

from rich.console import Console

logger = logging.getLogger(__name__)


def log_console() -> Console:
    """The console the CLI's rich log handler writes to, so bars and log lines interleave cleanly."""
    from rich.logging import RichHandler

    for handler in logging.getLogger().handlers:
        if isinstance(handler, RichHandler):
            return handler.console
    return Console(stderr=True)


class Steps:
    """What a caller reports: :meth:`start` when a named step begins, :meth:`advance` when one ends."""

    def __init__(self, total: int, description: str, bar=None, task=None, log: logging.Logger = logger):
        self.total, self.description, self.done, self.started = total, description, 0, 0
        self._bar, self._task, self._log = bar, task, log

    def start(self, label: str) -> None:
        """A new step begins (the previous one, if any, is complete)."""
        if self.started > self.done:
            self.advance()
        self.started = self.done + 1
        if self._bar is not None:
            self._bar.update(self._task, description=label)
        else:
            self._log.info("%s (%d/%d)", label, self.started, self.total)

    def advance(self) -> None:
        """One step is complete."""
        self.done = min(self.total, self.done + 1)
        if self._bar is not None:
            self._bar.update(self._task, completed=self.done)


@contextlib.contextmanager
def progress(
    description: str, total: int, console: Console | None = None, log: logging.Logger = logger
) -> Iterator[Steps]:
    """A progress display for ``total`` steps, closed (and completed) when the block ends.

    Args:
        description: what the steps are, shown until the first :meth:`Steps.start`.
        total: the number of steps.
        console: where to draw; default the CLI's log console. Not a terminal: log lines instead.
        log: the logger for those lines (the caller's, so the line names the step's module).
    """
    console = console or log_console()
    if not console.is_terminal:
        yield Steps(total, description, log=log)
        return
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        SpinnerColumn,
        TextColumn,
        TimeElapsedColumn,
    )

    columns = (
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task(description, total=total)
        steps = Steps(total, description, bar, task, log)
        yield steps
        bar.update(task, completed=total)
