"""The SQLAlchemy source against a real PostgreSQL server (Debian's packages), read-only.

A session fixture creates a throw-away cluster with ``initdb`` in a temporary folder, starts it
on 127.0.0.1 at a free port (as the ``postgres`` user when the tests run as root, which initdb
refuses), loads a small CRM table, adds a read-only role, and stops the server afterwards.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import pandas as pd
import pytest
from pull_fixtures import make_project

from workbench.core.errors import SourceError
from workbench.ingest.pull import pull

DEALS = [
    ("D-1", "acme", "Won", 1200.0, "2026-06-30 23:59:59", "won"),
    ("D-2", "acme", "Lost", 500.0, "2026-07-01 00:00:00", "lost"),
    ("D-3", "globex", "Won", 900.0, "2026-09-30 23:59:59", "won"),
    ("D-4", "initech", "Engaging", 300.0, "2026-10-01 00:00:00", "open"),
]
READER_PASSWORD = "reader-pw-91f3"
QUERY = (
    "SELECT deal_id, account_id, stage, amount, created_at, outcome FROM crm.deals "
    "WHERE created_at >= :start AND created_at < :end ORDER BY deal_id"
)


def _bin_dir() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not found and os.geteuid() == 0 and shutil.which("apt-get"):
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        with contextlib.suppress(subprocess.SubprocessError, OSError):  # as .ci/run does
            for command in (["apt-get", "update", "-q"], ["apt-get", "install", "-y", "-q", "postgresql"]):
                subprocess.run(command, env=env, check=True, timeout=600, capture_output=True)
        found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return Path(found[-1]).parent if found else None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def postgres():
    """(admin URL, reader URL) of a running throw-away server; stopped at the end of the session."""
    bin_dir = _bin_dir()
    if bin_dir is None:
        pytest.skip("PostgreSQL is not installed and cannot be (apt-get install postgresql as root)")
    psycopg = pytest.importorskip("psycopg")
    folder = Path(tempfile.mkdtemp(prefix="wb-pg-"))
    as_user: list[str] = []
    if os.geteuid() == 0:  # initdb refuses root: run the server as the postgres user
        shutil.chown(folder, "postgres", "postgres")
        as_user = ["runuser", "-u", "postgres", "--"]
    data, port = folder / "data", _free_port()
    run = lambda *cmd: subprocess.run([*as_user, *cmd], check=True, capture_output=True, timeout=120)  # noqa: E731
    run(
        str(bin_dir / "initdb"),
        "-D",
        str(data),
        "-U",
        "admin",
        "--auth-local=trust",
        "--auth-host=scram-sha-256",
        "-E",
        "UTF8",
        "--no-sync",  # a throw-away cluster: skip fsync, it only costs time
    )
    run(
        str(bin_dir / "pg_ctl"),
        "-D",
        str(data),
        "-w",
        "-l",
        str(folder / "log"),
        "-o",
        f"-h 127.0.0.1 -p {port} -k {folder} -F",
        "start",
    )
    try:
        # The owner connects through the socket (trusted); everyone else over TCP with a password.
        admin = f"postgresql+psycopg://admin@/postgres?host={folder}&port={port}"
        with psycopg.connect(f"host={folder} port={port} user=admin dbname=postgres", autocommit=True) as con:
            con.execute("CREATE SCHEMA crm")
            con.execute(
                "CREATE TABLE crm.deals (deal_id text PRIMARY KEY, account_id text, stage text, "
                "amount double precision, created_at timestamp, outcome text)"
            )
            with con.cursor() as cur:
                cur.executemany("INSERT INTO crm.deals VALUES (%s, %s, %s, %s, %s, %s)", DEALS)
            con.execute(f"CREATE ROLE reader LOGIN PASSWORD '{READER_PASSWORD}'")
            con.execute("GRANT USAGE ON SCHEMA crm TO reader")
            con.execute("GRANT SELECT ON ALL TABLES IN SCHEMA crm TO reader")
        reader = f"postgresql+psycopg://reader:{READER_PASSWORD}@127.0.0.1:{port}/postgres"
        yield admin, reader
    finally:
        run(str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop")
        shutil.rmtree(folder, ignore_errors=True)


def _project(tmp_path, query: str = QUERY):
    source = {
        "name": "crm_postgres",
        "query": query,
        "url_env": "CRM_URL",
        "columns": {},
    }
    return make_project(tmp_path, {"deals": [source]})


def _deals(settings) -> list[str]:
    return pd.read_parquet(settings.paths.processed / "deals.parquet")["deal_id"].tolist()


def test_quarter_bounds_are_bound_against_a_real_server(tmp_path, postgres, monkeypatch):
    monkeypatch.setenv("CRM_URL", postgres[1])
    settings = _project(tmp_path)
    result = pull(settings, quarter="2026Q3")
    assert _deals(settings) == ["D-2", "D-3"]  # the boundary rows fall on the right side
    assert result.rejected == 0
    manifest = (result.snapshot_dir / "manifest.json").read_text()
    assert READER_PASSWORD not in manifest and "127.0.0.1" not in manifest
    assert '"start": "2026-07-01T00:00:00"' in manifest


def test_a_write_is_refused_and_the_table_is_untouched(tmp_path, postgres, monkeypatch):
    psycopg = pytest.importorskip("psycopg")
    monkeypatch.setenv("CRM_URL", postgres[0])  # even the owner's URL
    for query in (
        "DROP TABLE crm.deals",
        "DELETE FROM crm.deals",
        "WITH d AS (DELETE FROM crm.deals RETURNING *) SELECT * FROM d",
    ):
        with pytest.raises(SourceError):
            pull(_project(tmp_path / query[:4], query), all_quarters=True)
    # Past the parser, the connection itself is read-only (default_transaction_read_only).
    monkeypatch.setattr("workbench.ingest.sources.sql.check_read_only", lambda *a: None)
    with pytest.raises(SourceError, match="read-only transaction"):
        pull(_project(tmp_path / "bypass", "DELETE FROM crm.deals RETURNING deal_id"), all_quarters=True)
    socket_dir, port = postgres[0].split("host=")[1].split("&port=")
    with psycopg.connect(f"host={socket_dir} port={port} user=admin dbname=postgres") as con:
        assert con.execute("SELECT count(*) FROM crm.deals").fetchone()[0] == len(DEALS)


def test_a_wrong_password_never_reaches_the_error(tmp_path, postgres, monkeypatch):
    monkeypatch.setenv("CRM_URL", postgres[1].replace(READER_PASSWORD, "wrong-pw-7c2e"))
    with pytest.raises(SourceError) as info:
        pull(_project(tmp_path), quarter="2026Q3")
    assert "wrong-pw-7c2e" not in str(info.value) and "\n" not in str(info.value)
