"""The one progress display: log lines off a terminal, a bar that completes on one."""

from __future__ import annotations

import io
import logging

from rich.console import Console

from workbench.core.progress import progress


def test_off_a_terminal_each_started_step_is_one_log_line(caplog):
    caplog.set_level(logging.INFO, logger="workbench.core.progress")
    quiet = Console(file=io.StringIO(), force_terminal=False)
    with progress("pulling", 3, quiet) as steps:
        steps.start("reading a")
        steps.start("reading b")
        steps.start("validating")
    assert [r.getMessage() for r in caplog.records] == [
        "reading a (1/3)",
        "reading b (2/3)",
        "validating (3/3)",
    ]
    assert steps.done == 2  # the last step is completed by the end of the block, not by a start
    assert quiet.file.getvalue() == ""  # no escape codes in a log file


def test_on_a_terminal_the_bar_advances_and_completes(caplog):
    caplog.set_level(logging.INFO, logger="workbench.core.progress")
    out = io.StringIO()
    terminal = Console(file=out, force_terminal=True, width=100)
    with progress("running 2 notebooks", 2, terminal) as steps:
        steps.advance()
        steps.advance()
        steps.advance()  # never past the total
    assert steps.done == 2 and not caplog.records
    assert "running 2 notebooks" in out.getvalue() or "2/2" in out.getvalue()


def test_pull_and_report_build_share_it():
    from workbench.ingest import pull
    from workbench.report import build

    assert pull.progress is progress and build.progress is progress
