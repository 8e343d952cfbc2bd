"""Atomic publishing, kept failures and secret scrubbing."""

from __future__ import annotations

import pytest

from workbench.core.errors import ReportError
from workbench.report.publish import (
    clear_failed,
    exclusive,
    keep_failed,
    new_build_dir,
    publish,
    recover,
    scrub_secrets,
    secret_values,
)


def test_publish_replaces_the_old_report_whole(tmp_path):
    reports = tmp_path / "reports"
    target = reports / "2026Q3"
    target.mkdir(parents=True)
    (target / "old.html").write_text("old", encoding="utf-8")
    build = new_build_dir(reports, "2026Q3")
    assert build.name.startswith(".2026Q3.tmp-") and build.parent == reports
    assert build.stat().st_mode & 0o755 == 0o755
    (build / "index.html").write_text("new", encoding="utf-8")
    publish(build, target)
    assert (target / "index.html").read_text(encoding="utf-8") == "new"
    assert not (target / "old.html").exists() and not build.exists()
    assert [p.name for p in reports.iterdir()] == ["2026Q3"]  # no leftover temp or old folder


def test_keep_failed_lives_outside_the_report_and_leaves_it_alone(tmp_path):
    target = tmp_path / "2026Q3"
    target.mkdir()
    (target / "index.html").write_text("good", encoding="utf-8")
    executed = tmp_path / "10_customer_themes.ipynb"
    executed.write_text("{}", encoding="utf-8")
    kept = keep_failed(target, {"10_customer_themes": executed})
    assert kept == [tmp_path / "_failed" / "2026Q3" / "10_customer_themes.ipynb"]
    assert not (target / "_failed").exists()  # never travels with the published folder
    assert (target / "index.html").read_text(encoding="utf-8") == "good"
    keep_failed(target, {})  # a later run replaces earlier failures
    assert not any((tmp_path / "_failed" / "2026Q3").iterdir())
    clear_failed(tmp_path, "2026Q3")
    assert not (tmp_path / "_failed").exists()


def test_recover_restores_a_report_left_aside_by_a_kill_and_cleans_the_rest(tmp_path):
    reports = tmp_path / "reports"
    (reports / ".2026Q3.old-abc").mkdir(parents=True)  # killed between the two renames of publish
    (reports / ".2026Q3.old-abc" / "index.html").write_text("good", encoding="utf-8")
    (reports / ".2026Q3.tmp-xyz").mkdir()
    (reports / ".2026Q2.tmp-other").mkdir()  # another report's build: not ours to touch
    recover(reports, "2026Q3")
    assert (reports / "2026Q3" / "index.html").read_text(encoding="utf-8") == "good"
    assert sorted(p.name for p in reports.iterdir()) == [".2026Q2.tmp-other", "2026Q3"]


def test_exclusive_refuses_a_second_holder_with_one_line(tmp_path):
    lock = tmp_path / ".2026Q3.lock"
    expected = r"^another build of report 2026Q3 is already running \(pid \d+\); wait for it"
    with (
        exclusive(lock, "another build of report 2026Q3"),
        pytest.raises(ReportError, match=expected),
        exclusive(lock, "another build of report 2026Q3"),
    ):
        pass
    with exclusive(lock, "again"):  # released on exit
        pass


def test_secret_values_by_name_and_by_url_shape():
    env = {
        "WORKBENCH_TEST_SECRET": "s3cr3t-value-123",
        "CRM_DB_URL": "postgresql://bob:hunter22@db:5432/crm",
        "PLAIN_URL": "https://example.org/docs",
        "API_KEY": "short",
        "PATH": "/usr/bin:/bin",
        "PWD": "/work/main",
        "GITHUB_TOKEN": "ghp_abcdefghijklmnop",
    }
    found = secret_values(None, env)
    assert "s3cr3t-value-123" in found and "postgresql://bob:hunter22@db:5432/crm" in found
    assert "ghp_abcdefghijklmnop" in found
    assert "https://example.org/docs" not in found and "/work/main" not in found
    assert "short" not in found  # too short to match safely
    assert found == sorted(found, key=len, reverse=True)


def test_scrub_secrets_redacts_every_file(tmp_path):
    (tmp_path / "charts").mkdir()
    (tmp_path / "a.html").write_text("token=s3cr3t-value-123 here", encoding="utf-8")
    (tmp_path / "charts" / "b.csv").write_text("x\nclean\n", encoding="utf-8")
    changed = scrub_secrets(tmp_path, ["s3cr3t-value-123"])
    assert changed == [tmp_path / "a.html"]
    assert (tmp_path / "a.html").read_text(encoding="utf-8") == "token=[redacted] here"
    assert scrub_secrets(tmp_path, []) == []
