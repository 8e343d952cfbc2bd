"""SQL sources: DuckDB warehouse and SQLAlchemy URLs, bound quarter bounds, no credential leaks."""

from __future__ import annotations

import datetime as dt
import io
import json
import logging
import sqlite3

import duckdb
import pandas as pd
import polars as pl
import pytest
from pull_fixtures import make_project

from workbench.core.config import SourcesConfig, SqlSource
from workbench.core.errors import SourceError
from workbench.core.quarters import Quarter
from workbench.ingest.pull import pull
from workbench.ingest.sources import read_source
from workbench.ingest.sources.sql import _DUCKDB_PARAM, _SQLALCHEMY_PARAM, bound_params, scrub

Q3 = Quarter(2026, 3)
TICKETS = [
    ("t1", "2026-06-30 23:59:59", "Before the quarter"),
    ("t2", "2026-07-01 00:00:00", "First instant of Q3"),
    ("t3", "2026-09-30 23:59:59", "Last second of Q3"),
    ("t4", "2026-10-01 00:00:00", "First instant of Q4"),
]


@pytest.fixture
def warehouse(tmp_path):
    path = tmp_path / "warehouse.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE tickets (id VARCHAR, opened TIMESTAMP, body VARCHAR)")
    con.executemany("INSERT INTO tickets VALUES (?, ?, ?)", TICKETS)
    con.close()
    return path


def _read(source: SqlSource, root, warehouse: str, quarter=Q3):
    config = SourcesConfig(warehouse=warehouse, tables={"feedback": [source]})
    return read_source(source, "feedback", root, config, quarter)


def _sql(query: str, **extra) -> SqlSource:
    return SqlSource(name="tickets", query=query, **extra)


def test_duckdb_binds_quarter_bounds(tmp_path, warehouse):
    query = "SELECT id FROM tickets WHERE opened >= $start AND opened < $end ORDER BY id"
    read = _read(_sql(query), tmp_path, str(warehouse))
    assert read.frame["id"].to_list() == ["t2", "t3"]
    assert read.params == {"start": "2026-07-01T00:00:00", "end": "2026-10-01T00:00:00"}
    assert read.frame["_row"].to_list() == [1, 2] and set(read.frame["_file"]) == {"tickets"}


def test_duckdb_bound_value_is_a_timestamp_not_text(tmp_path, warehouse):
    read = _read(_sql("SELECT $start AS s, typeof($start) AS t"), tmp_path, str(warehouse))
    assert read.frame["s"].to_list() == [dt.datetime(2026, 7, 1)]
    assert read.frame["t"].to_list() == ["TIMESTAMP"]


def test_all_quarters_binds_bounds_that_hold_everything(tmp_path, warehouse):
    query = "SELECT id FROM tickets WHERE opened >= $start AND opened < $end ORDER BY id"
    read = _read(_sql(query), tmp_path, str(warehouse), quarter=None)
    assert read.frame["id"].to_list() == ["t1", "t2", "t3", "t4"]


def test_only_named_parameters_are_bound():
    assert set(bound_params("SELECT * FROM t", _DUCKDB_PARAM, Q3)) == set()
    assert set(bound_params("SELECT * FROM t WHERE d >= $start", _DUCKDB_PARAM, Q3)) == {"start"}
    assert set(bound_params("SELECT '$start' AS x -- $end", _DUCKDB_PARAM, Q3)) == set()
    assert set(bound_params("SELECT d::date FROM t WHERE d < :end", _SQLALCHEMY_PARAM, Q3)) == {"end"}


def test_query_without_bounds_returns_everything_and_the_pull_filters(tmp_path, warehouse):
    settings = make_project(
        tmp_path,
        {
            "feedback": [
                {
                    "name": "tickets",
                    "kind": "sql",
                    "query": "SELECT id, opened, body FROM tickets",
                    "columns": {"id": "feedback_id", "opened": "created_at", "body": "text"},
                    "constants": {"channel": "support_ticket"},
                }
            ]
        },
        warehouse=str(warehouse),
    )
    result = pull(settings, quarter="2026Q3")
    source = result.sources[0]
    assert (source.read, source.outside, source.input, source.processed) == (4, 2, 2, 2)
    processed = pd.read_parquet(settings.paths.processed / "feedback.parquet")
    assert processed["feedback_id"].tolist() == ["t2", "t3"]


def test_nested_results_become_json_text_and_the_snapshot_keeps_them(tmp_path):
    read = _read(_sql("SELECT 1 AS id, [1, 2] AS tags, {'os': 'ios'} AS meta"), tmp_path, ":memory:")
    assert json.loads(read.frame["tags"][0]) == [1, 2] and json.loads(read.frame["meta"][0]) == {"os": "ios"}
    snapshot = pl.read_parquet(io.BytesIO(read.inputs[0].data))
    assert snapshot["tags"].to_list() == [[1, 2]]


def test_warehouse_is_opened_read_only(tmp_path, warehouse, monkeypatch):
    with pytest.raises(SourceError, match=r"source 'tickets': only SELECT .* not CREATE"):
        _read(_sql("CREATE TABLE hacked AS SELECT 1"), tmp_path, str(warehouse))
    # Even past the query check, the connection itself refuses to write.
    monkeypatch.setattr("workbench.ingest.sources.sql.check_read_only", lambda *a: None)
    with pytest.raises(SourceError, match=r"source 'tickets': query failed: .*read-only"):
        _read(_sql("CREATE TABLE hacked AS SELECT 1"), tmp_path, str(warehouse))


def test_missing_warehouse_says_how_to_make_one(tmp_path):
    with pytest.raises(
        SourceError, match=r"the DuckDB warehouse data/demo/w.duckdb does not exist.*workbench demo"
    ):
        _read(_sql("SELECT 1"), tmp_path, "data/demo/w.duckdb")


def test_sql_error_is_one_line(tmp_path, warehouse):
    with pytest.raises(SourceError, match=r"source 'tickets': query failed: .*no_such_table") as info:
        _read(_sql("SELECT * FROM no_such_table"), tmp_path, str(warehouse))
    assert "\n" not in str(info.value)


def test_relative_paths_in_duckdb_sql_resolve_against_the_project_root(tmp_path):
    (tmp_path / "exports").mkdir()
    (tmp_path / "exports" / "a.csv").write_text("id,n\nx,1\ny,2\n")
    read = _read(_sql("SELECT id, n FROM read_csv('exports/a.csv') ORDER BY id"), tmp_path, ":memory:")
    assert read.frame["id"].to_list() == ["x", "y"]


# ------------------------------------------------------------------------------------ SQLAlchemy


@pytest.fixture
def sqlite_url(tmp_path):
    path = tmp_path / "crm.sqlite"
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE tickets (id TEXT, opened TEXT, body TEXT)")
    con.executemany("INSERT INTO tickets VALUES (?, ?, ?)", TICKETS)
    con.commit()
    con.close()
    return f"sqlite:///{path}"


def test_sqlalchemy_binds_named_bounds(tmp_path, sqlite_url, monkeypatch):
    monkeypatch.setenv("CRM_URL", sqlite_url)
    query = "SELECT id, opened FROM tickets WHERE opened >= :start AND opened < :end ORDER BY id"
    read = _read(_sql(query, url_env="CRM_URL"), tmp_path, ":memory:")
    assert read.frame["id"].to_list() == ["t2", "t3"]
    assert read.frame["opened"].to_list() == ["2026-07-01 00:00:00", "2026-09-30 23:59:59"]


def test_url_can_come_from_dotenv_and_the_environment_wins(tmp_path, sqlite_url, monkeypatch):
    monkeypatch.delenv("CRM_URL", raising=False)
    (tmp_path / ".env").write_text(f"CRM_URL={sqlite_url}\n")
    read = _read(_sql("SELECT count(*) AS n FROM tickets", url_env="CRM_URL"), tmp_path, ":memory:")
    assert read.frame["n"].to_list() == [4]
    monkeypatch.setenv("CRM_URL", "sqlite:///" + str(tmp_path / "missing" / "x.db"))
    with pytest.raises(SourceError, match="failed"):
        _read(_sql("SELECT count(*) AS n FROM tickets", url_env="CRM_URL"), tmp_path, ":memory:")


def test_unset_url_names_the_variable(tmp_path, monkeypatch):
    monkeypatch.delenv("CRM_URL", raising=False)
    with pytest.raises(SourceError, match=r"source 'tickets': environment variable CRM_URL is not set"):
        _read(_sql("SELECT 1", url_env="CRM_URL"), tmp_path, ":memory:")


SECRET = "hunter2-Zq9"
SECRET_URL = f"postgresql://analyst:{SECRET}@db.internal.example:5432/crm"


def _secret_project(tmp_path, monkeypatch):
    monkeypatch.setenv("CRM_URL", SECRET_URL)
    return make_project(
        tmp_path,
        {
            "deals": [
                {
                    "name": "crm",
                    "kind": "sql",
                    "url_env": "CRM_URL",
                    "query": "SELECT * FROM deals WHERE created >= :start AND created < :end",
                }
            ]
        },
    )


def _assert_no_secret_anywhere(settings, error: Exception, caplog) -> None:
    assert SECRET not in str(error) and "analyst" not in str(error)
    assert SECRET not in caplog.text
    for path in settings.root.rglob("*"):
        if path.is_file():
            assert SECRET.encode() not in path.read_bytes(), path


def test_failed_connection_never_shows_the_credentials(tmp_path, monkeypatch, caplog):
    settings = _secret_project(tmp_path, monkeypatch)
    caplog.set_level(logging.DEBUG)
    with pytest.raises(SourceError, match="query against the database named by CRM_URL failed") as info:
        pull(settings, quarter="2026Q3")
    _assert_no_secret_anywhere(settings, info.value, caplog)


def test_a_driver_that_echoes_the_url_is_scrubbed(tmp_path, monkeypatch, caplog):
    import sqlalchemy

    def leaky_engine(url, **_):
        raise RuntimeError(f"could not connect to {url} (password {SECRET} rejected)")

    monkeypatch.setattr(sqlalchemy, "create_engine", leaky_engine)
    settings = _secret_project(tmp_path, monkeypatch)
    caplog.set_level(logging.DEBUG)
    with pytest.raises(SourceError, match=r"RuntimeError: could not connect to \S*\*\*\*") as info:
        pull(settings, quarter="2026Q3")
    _assert_no_secret_anywhere(settings, info.value, caplog)


def test_successful_pull_keeps_the_url_out_of_snapshot_and_manifest(
    tmp_path, sqlite_url, monkeypatch, caplog
):
    monkeypatch.setenv("CRM_URL", sqlite_url)
    settings = make_project(
        tmp_path,
        {
            "feedback": [
                {
                    "name": "tickets",
                    "kind": "sql",
                    "url_env": "CRM_URL",
                    "query": "SELECT id, opened, body FROM tickets WHERE opened >= :start AND opened < :end",
                    "columns": {"id": "feedback_id", "opened": "created_at", "body": "text"},
                    "constants": {"channel": "support_ticket"},
                }
            ]
        },
    )
    caplog.set_level(logging.DEBUG)
    result = pull(settings, quarter="2026Q3")
    assert result.counts["feedback"]["processed"] == 2
    manifest = (result.snapshot_dir / "manifest.json").read_text()
    assert '"database": "$CRM_URL"' in manifest
    db_path = sqlite_url.removeprefix("sqlite:///")
    for path in [*result.snapshot_dir.rglob("*"), *settings.paths.processed.rglob("*")]:
        if path.is_file():
            assert db_path.encode() not in path.read_bytes(), path
    assert db_path not in caplog.text


def test_scrub_removes_url_and_password():
    message = f"login failed for {SECRET_URL}; password '{SECRET}' at db.internal.example"
    cleaned = scrub(message, SECRET_URL)
    assert SECRET not in cleaned and "db.internal.example" not in cleaned and "analyst" not in cleaned
    assert cleaned.startswith("login failed for ***")


def test_sqlite_bounds_do_not_depend_on_the_global_datetime_adapter(tmp_path, sqlite_url, monkeypatch):
    """jupytext (so any notebook) registers an ISO 'T' adapter for datetimes; the boundary must not move."""
    monkeypatch.setenv("CRM_URL", sqlite_url)
    key = (dt.datetime, sqlite3.PrepareProtocol)
    previous = sqlite3.adapters.get(key)
    sqlite3.register_adapter(dt.datetime, lambda value: value.isoformat())
    try:
        query = "SELECT id FROM tickets WHERE opened >= :start AND opened < :end ORDER BY id"
        read = _read(_sql(query, url_env="CRM_URL"), tmp_path, ":memory:")
    finally:
        if previous is None:
            sqlite3.adapters.pop(key, None)
        else:
            sqlite3.adapters[key] = previous
    assert read.frame["id"].to_list() == ["t2", "t3"]
