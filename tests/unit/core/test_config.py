"""Config validation: a mistake gets a one-line error that names the key and what was expected."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from workbench.core.config import ConfigError, FileSource, SqlSource, find_root, load_settings, load_sources

REPO = Path(__file__).resolve().parents[3]


def _sources(tmp_path, data) -> Path:
    path = tmp_path / "sources.yaml"
    path.write_text(data if isinstance(data, str) else yaml.safe_dump(data))
    return path


def _one(**source) -> dict:
    return {"tables": {"feedback": [{"name": "s", "path": "x.csv", **source}]}}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            {"tables": {"feedbacks": []}},
            r"sources.yaml: tables: Value error, unknown table\(s\) \['feedbacks'\]",
        ),
        (_one(delimiter=";;"), r"tables.feedback.0.file.delimiter: Value error, must be a single character"),
        (_one(encoding="utf-9"), r"tables.feedback.0.file.encoding: Value error, unknown encoding 'utf-9'"),
        (_one(format="xls"), r"tables.feedback.0.file.format: Input should be 'csv', .*; got 'xls'"),
        (_one(colums={"a": "b"}), r"tables.feedback.0.file.colums: Extra inputs are not permitted"),
        (_one(id_from=[]), r"tables.feedback.0.file.id_from: List should have at least 1 item"),
        (
            _one(columns={"a": "outcome"}, derive={"outcome": "b"}),
            r"tables.feedback.0.file: Value error, column\(s\) \['outcome'\] are both mapped and set by "
            r"derive",
        ),
        (_one(columns={"a": "text", "b": "text"}), r"several source columns to \['text'\]; use derive"),
        ({"tables": {"feedback": [{"name": "s"}]}}, r"tables.feedback.0.file.path: Field required"),
        (
            {"tables": {"feedback": [{"name": "s", "kind": "ftp", "path": "x"}]}},
            r"tables.feedback.0: .*'ftp'",
        ),
        (
            {"tables": {"deals": [{"name": "q", "query": "SELECT 1", "url_env": "postgres://u:pw@h/db"}]}},
            r"tables.deals.0.sql.url_env: Value error, must be the NAME of an environment variable",
        ),
        (
            {
                "tables": {
                    "feedback": [{"name": "s", "path": "a.csv"}],
                    "deals": [{"name": "s", "query": "SELECT 1"}],
                }
            },
            r"source names must be unique, repeated: \['s'\]",
        ),
        ({"warehouse": 3, "tables": {}}, r"warehouse: Input should be a valid string; got 3"),
    ],
)
def test_sources_errors_name_the_key(tmp_path, data, message):
    with pytest.raises(ConfigError, match=message) as info:
        load_sources(_sources(tmp_path, data))
    assert "\n" not in str(info.value)


def test_url_credentials_never_appear_in_the_error(tmp_path):
    data = {"tables": {"deals": [{"name": "q", "query": "SELECT 1", "url_env": "postgres://u:s3cret@h/db"}]}}
    with pytest.raises(ConfigError) as info:
        load_sources(_sources(tmp_path, data))
    # pydantic shows the rejected input; the rule exists so that the URL is never put in YAML at all
    assert "NAME of an environment variable" in str(info.value)


def test_invalid_yaml_names_the_line(tmp_path):
    with pytest.raises(ConfigError, match=r"sources.yaml: not valid YAML at line \d+$"):
        load_sources(_sources(tmp_path, "tables:\n  feedback: [\n"))


def test_kind_is_inferred_from_query_or_path(tmp_path):
    config = load_sources(
        _sources(
            tmp_path,
            {
                "tables": {
                    "feedback": [{"name": "f", "path": "x.csv"}],
                    "deals": [{"name": "q", "query": "SELECT 1"}],
                }
            },
        )
    )
    assert isinstance(config.tables["feedback"][0], FileSource)
    assert isinstance(config.tables["deals"][0], SqlSource)


def test_value_keys_read_by_yaml_as_numbers_are_compared_as_text(tmp_path):
    config = load_sources(
        _sources(
            tmp_path,
            "tables:\n  feedback:\n    - name: s\n      path: x.csv\n"
            "      values: {positive: {1: 'yes', 0: 'no'}}\n",
        )
    )
    assert config.tables["feedback"][0].values == {"positive": {"1": "yes", "0": "no"}}


def test_format_comes_from_the_suffix_or_says_to_set_it():
    assert FileSource(name="s", path="exports/*.JSONL").resolved_format == "jsonl"
    with pytest.raises(ConfigError, match=r"source 's': cannot tell the format of 'x.dat'; set 'format'"):
        _ = FileSource(name="s", path="x.dat").resolved_format


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "fiscal_year_start_month: 13\n",
            r"workbench.yaml: fiscal_year_start_month: Input should be less than or "
            r"equal to 12; got 13",
        ),
        (
            "themes: {window_quarters: 0}\n",
            r"themes.window_quarters: Input should be greater than or equal to 1",
        ),
        ("sourcez: x\n", r"sourcez: Extra inputs are not permitted"),
        ("- a\n- b\n", r"expected a mapping at the top level"),
    ],
)
def test_settings_errors_name_the_key(tmp_path, text, message):
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "workbench.yaml").write_text(text)
    with pytest.raises(ConfigError, match=message):
        load_settings(root=tmp_path)


def test_missing_config_file_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="config file not found"):
        load_settings(tmp_path / "nope.yaml")


def test_root_is_found_from_a_subfolder(tmp_path, monkeypatch):
    monkeypatch.delenv("WORKBENCH_HOME", raising=False)
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "workbench.yaml").write_text("demo_seed: 3\n")
    (tmp_path / "notebooks" / "explore").mkdir(parents=True)
    assert find_root(tmp_path / "notebooks" / "explore") == tmp_path.resolve()
    settings = load_settings(root=tmp_path)
    assert settings.demo_seed == 3 and settings.paths.processed == tmp_path.resolve() / "data" / "processed"


@pytest.mark.parametrize(
    "example", sorted((REPO / "config" / "examples").glob("*.yaml")), ids=lambda p: p.name
)
def test_shipped_example_configs_validate(example):
    config = load_sources(example)
    assert config.tables and all(config.tables.values())
