"""State through kills and faults: a snapshot is complete only once its pull finished, every pull
cleans what killed pulls left, and impossible input is a one-line error with nothing lost."""

from __future__ import annotations

import errno
import json

import pandas as pd
import pytest
from pull_fixtures import REVIEWS_HEADER, make_project, reviews_source, write

from workbench.core.config import load_settings
from workbench.core.errors import ConfigError, QuarterError
from workbench.ingest import pull as pull_module
from workbench.ingest.pull import pull
from workbench.ingest.snapshot import MANIFEST, SWAP

GOOD = REVIEWS_HEADER + "1,01-07-2026 10:00,first,2\n2,02-07-2026 11:00,second,5\n"


@pytest.fixture
def project(tmp_path):
    settings = make_project(tmp_path, {"feedback": [reviews_source()]})
    write(tmp_path, "reviews.csv", GOOD)
    pull(settings, quarter="2026Q3")
    return settings


def _table(settings) -> pd.DataFrame:
    return pd.read_parquet(settings.paths.processed / "feedback.parquet")


def test_the_snapshot_manifest_is_written_only_after_processing(project, monkeypatch):
    seen = []
    original = pull_module._process_all

    def spy(result, *args):
        seen.append((result.snapshot_dir / MANIFEST).exists())
        return original(result, *args)

    monkeypatch.setattr(pull_module, "_process_all", spy)
    result = pull(project, quarter="2026Q3")
    assert seen == [False]  # while processing, the snapshot is not yet complete
    assert (result.snapshot_dir / MANIFEST).is_file()


def test_a_pull_cleans_the_leftovers_of_killed_pulls(project):
    data = project.paths.data
    (data / ".processed-k1ll3d").mkdir()
    (data / ".processed-k1ll3d" / "feedback.parquet").write_bytes(b"half")
    unfinished = project.paths.raw / "20260101T000000Z"
    (unfinished / "reviews").mkdir(parents=True)
    complete = sorted(p for p in project.paths.raw.iterdir() if (p / MANIFEST).is_file())
    pull(project, quarter="2026Q3")
    assert not list(data.glob(".processed-*"))
    assert not unfinished.exists()
    assert all(p.exists() for p in complete)
    assert all((p / MANIFEST).is_file() for p in project.paths.raw.iterdir())


def test_a_pull_killed_between_the_two_renames_is_undone(project):
    before = _table(project)
    processed = project.paths.processed
    processed.rename(processed.with_name(".processed-old-x1"))  # the state a kill there leaves
    pull(project, quarter="2026Q1")  # another quarter: the Q3 rows must still be there
    pd.testing.assert_frame_equal(_table(project), before)
    assert not list(project.paths.data.glob(".processed-*"))


def test_a_pull_killed_before_moving_the_old_entries_across_is_finished(project):
    processed = project.paths.processed
    (processed / "themes").mkdir()
    (processed / "themes" / "assignments.parquet").write_bytes(b"theme outputs")
    old = processed.with_name(".processed-old-x2")
    processed.rename(old)
    processed.mkdir()  # the new folder swapped in, nothing moved across yet
    for name in ("feedback.parquet", MANIFEST):
        (processed / name).write_bytes((old / name).read_bytes())
    (processed / SWAP).write_text(json.dumps({"owned": ["feedback.parquet", MANIFEST]}))
    pull(project, quarter="2026Q3")
    assert (processed / "themes" / "assignments.parquet").read_bytes() == b"theme outputs"
    assert not (processed / SWAP).exists() and not old.exists()


def test_a_full_disk_keeps_the_last_good_data_and_leaves_nothing(project, monkeypatch):
    before = _table(project)
    snapshots = sorted(project.paths.raw.iterdir())

    def full(*_args, **_kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(pull_module, "write_atomic", full)
    with pytest.raises(OSError) as info:
        pull(project, quarter="2026Q3")
    assert info.value.errno == errno.ENOSPC  # the CLI prints it as one line
    pd.testing.assert_frame_equal(_table(project), before)
    assert sorted(project.paths.raw.iterdir()) == snapshots
    assert not list(project.paths.data.glob(".processed-*"))


@pytest.mark.parametrize("quarter", ["0000Q1", "9999Q4", "Q1-0001"])
def test_an_impossible_quarter_is_a_one_line_error(project, quarter):
    with pytest.raises(QuarterError, match="out of range") as info:
        pull(project, quarter=quarter)
    assert "\n" not in str(info.value)


def test_an_impossible_date_in_the_yaml_names_its_line(tmp_path):
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "workbench.yaml").write_text(
        "shipped:\n  - id: s1\n    name: New export\n    shipped_on: 2026-02-30\n"
    )
    with pytest.raises(ConfigError, match=r"line 4: 2026-02-30 is not a date") as info:
        load_settings(root=tmp_path)
    assert "\n" not in str(info.value)
