"""Sources can only read: queries are parsed as one SELECT, connections are read-only, and files
outside the project (or the folders the config names) are out of reach, in errors too."""

from __future__ import annotations

import sqlite3

import duckdb
import pytest

from workbench.core.config import FileSource, SourcesConfig, SqlSource
from workbench.core.errors import SourceError
from workbench.core.quarters import Quarter
from workbench.ingest.sources import read_source
from workbench.ingest.sources.sql import check_read_only, scrub

SECRET_LINE = "root:x:0:0:top-secret-line"


@pytest.mark.parametrize(
    "query",
    [
        "DROP TABLE fb",
        "CREATE TABLE x AS SELECT 1",
        "INSERT INTO fb VALUES (1)",
        "UPDATE fb SET a = 1",
        "DELETE FROM fb",
        "SELECT 1; DROP TABLE fb",
        "WITH d AS (DELETE FROM fb RETURNING *) SELECT * FROM d",
        "SELECT * INTO copy_of_fb FROM fb",
        "COPY (SELECT 1) TO 'out.csv'",
        "ATTACH 'other.db'",
        "PRAGMA writable_schema = ON",
        "SELECT 1 FROM",  # not parseable
    ],
)
def test_only_one_read_only_select_is_accepted(query):
    with pytest.raises(SourceError) as info:
        check_read_only(query, "duckdb", "s")
    assert "\n" not in str(info.value) and "source 's'" in str(info.value)


@pytest.mark.parametrize(
    "query",
    [
        "SELECT * FROM fb WHERE created >= $start",
        "WITH a AS (SELECT 1 AS x) SELECT x FROM a",
        "SELECT 1 UNION ALL SELECT 2",
        "SELECT 'DROP TABLE fb' AS harmless_text",
    ],
)
def test_selects_are_accepted(query):
    check_read_only(query, "duckdb", "s")


@pytest.fixture
def sqlite_db(tmp_path):
    path = tmp_path / "crm.sqlite"
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE fb (id TEXT)")
    con.execute("INSERT INTO fb VALUES ('a')")
    con.commit()
    con.close()
    return path


def _read(source, root, warehouse=":memory:", folders=()):
    config = SourcesConfig(warehouse=warehouse, data_folders=list(folders), tables={"feedback": [source]})
    return read_source(source, "feedback", root, config, Quarter(2026, 3))


def _rows(path) -> list:
    con = sqlite3.connect(path)
    try:
        return con.execute("SELECT id FROM fb").fetchall()
    finally:
        con.close()


def test_a_sqlalchemy_query_cannot_drop_or_create(tmp_path, sqlite_db, monkeypatch):
    monkeypatch.setenv("CRM_URL", f"sqlite:///{sqlite_db}")
    for query in ("DROP TABLE fb", "CREATE TABLE hacked (a int)"):
        with pytest.raises(SourceError, match="only SELECT"):
            _read(SqlSource(name="crm", query=query, url_env="CRM_URL"), tmp_path)
    assert _rows(sqlite_db) == [("a",)]


def test_the_sqlite_connection_itself_is_read_only(tmp_path, sqlite_db, monkeypatch):
    monkeypatch.setenv("CRM_URL", f"sqlite:///{sqlite_db}")
    monkeypatch.setattr("workbench.ingest.sources.sql.check_read_only", lambda *a: None)
    with pytest.raises(SourceError, match="readonly|read-only|query_only"):
        _read(SqlSource(name="crm", query="DELETE FROM fb", url_env="CRM_URL"), tmp_path)
    assert _rows(sqlite_db) == [("a",)]


@pytest.fixture
def project(tmp_path):
    """A project folder with a data file, a .env at its root, and a secret file beside it."""
    root = tmp_path / "project"
    (root / "data").mkdir(parents=True)
    (root / "data" / "a.csv").write_text("id\nx\n")
    (root / ".env").write_text("CRM_URL=postgresql://u:hunter2@db/crm\n")
    (tmp_path / "secret.txt").write_text(SECRET_LINE + "\n")
    (tmp_path / "shared").mkdir()
    (tmp_path / "shared" / "b.csv").write_text("id\ny\n")
    return root


@pytest.mark.parametrize(
    "query",
    [
        "SELECT * FROM read_text('../secret.txt')",
        "SELECT * FROM read_csv('{tmp}/secret.txt')",
        "SELECT * FROM read_text('.env')",
        "SELECT * FROM read_text('data/../.env')",
    ],
)
def test_duckdb_reads_nothing_outside_the_allowed_folders(project, query):
    query = query.format(tmp=project.parent)
    with pytest.raises(SourceError) as info:
        _read(SqlSource(name="q", query=query), project)
    assert SECRET_LINE not in str(info.value) and "hunter2" not in str(info.value)


def test_duckdb_cannot_write_files_even_past_the_query_check(project, monkeypatch):
    monkeypatch.setattr("workbench.ingest.sources.sql.check_read_only", lambda *a: None)
    with pytest.raises(SourceError):
        _read(SqlSource(name="q", query=f"COPY (SELECT 1) TO '{project.parent}/out.csv'"), project)
    assert not (project.parent / "out.csv").exists()


def test_duckdb_reads_the_project_and_the_configured_folders(project):
    query = "SELECT * FROM read_csv('data/a.csv') UNION ALL SELECT * FROM read_csv('../shared/b.csv')"
    read = _read(SqlSource(name="q", query=query), project, folders=["../shared"])
    assert sorted(read.frame["id"].to_list()) == ["x", "y"]
    with pytest.raises(SourceError):
        _read(SqlSource(name="q", query=query), project)  # ../shared not configured


def test_file_paths_outside_the_project_are_refused_without_reading(project):
    for path in ("../secret.txt", "../../" * 8 + "etc/passwd", str(project.parent / "secret.txt")):
        source = FileSource(name="f", path=path, format="csv")
        with pytest.raises(SourceError, match="outside the project.*data_folders") as info:
            _read(source, project)
        assert SECRET_LINE not in str(info.value)
    source = FileSource(name="f", path="../shared/b.csv")
    assert _read(source, project, folders=["../shared"]).frame["id"].to_list() == ["y"]


def test_scrub_hides_secrets_in_url_query_values():
    url = "postgresql://db.internal/crm?sslpassword=s3cr3t-value&application_name=workbench"
    message = scrub(f"connection to {url} failed: bad sslpassword s3cr3t-value", url)
    assert "s3cr3t-value" not in message and "db.internal" not in message


def test_a_secret_in_a_url_query_never_reaches_the_error(tmp_path, monkeypatch):
    monkeypatch.setenv(
        "CRM_URL", "postgresql+psycopg://127.0.0.1:1/crm?password=s3cr3t-value&connect_timeout=1"
    )
    with pytest.raises(SourceError) as info:
        _read(SqlSource(name="crm", query="SELECT 1", url_env="CRM_URL"), tmp_path)
    assert "s3cr3t-value" not in str(info.value)


def test_duckdb_config_cannot_be_reopened_by_the_query(project):
    with pytest.raises(SourceError):
        _read(SqlSource(name="q", query="SET enable_external_access = true"), project)


def test_a_warehouse_outside_the_project_is_refused(project):
    outside = project.parent / "elsewhere.duckdb"
    duckdb.connect(str(outside)).close()
    with pytest.raises(SourceError, match="warehouse .* is outside the project"):
        _read(SqlSource(name="q", query="SELECT 1"), project, warehouse=str(outside))
    assert _read(
        SqlSource(name="q", query="SELECT 1 AS x"),
        project,
        warehouse=str(outside),
        folders=[str(project.parent)],
    ).frame["x"].to_list() == [1]
