"""SQL sources: the embedded DuckDB warehouse, or any database a SQLAlchemy URL reaches.

Quarter bounds are bound parameters, never text in the SQL: ``$start``/``$end`` for DuckDB and
``:start``/``:end`` for SQLAlchemy, each bound only when the query names it (``start`` is the
quarter's first instant, ``end`` the first instant after it; ``--all`` binds bounds wide enough
for any data). A SQLAlchemy URL comes only from the environment variable named by ``url_env``,
or from the project's ``.env`` file; it carries credentials, so it never reaches a log, the
manifest or an error message: driver errors are scrubbed of it before they are shown.
"""

from __future__ import annotations

import datetime as dt
import io
import logging
import os
import re
from pathlib import Path

import polars as pl

from workbench.core.config import SqlSource
from workbench.core.errors import SourceError
from workbench.core.quarters import Quarter
from workbench.ingest.sources import RawInput, SourceRead
from workbench.ingest.sources.files import clean_columns, flatten, trace

logger = logging.getLogger(__name__)

# Bounds bound for `--all`: every timestamp a database can store falls inside them.
ALL_START = dt.datetime(1, 1, 1)
ALL_END = dt.datetime(9999, 12, 31, 23, 59, 59)
MEMORY = ":memory:"

_DUCKDB_PARAM = re.compile(r"\$(start|end)\b")
_SQLALCHEMY_PARAM = re.compile(r"(?<![:\w]):(start|end)\b")


def read_sql_source(
    source: SqlSource,
    table: str,
    root: Path,
    warehouse: str,
    quarter: Quarter | None,
    folders: list[Path] | None = None,
) -> SourceRead:
    """Run the source's query and keep its result (as parquet) for the snapshot.

    ``folders`` are the folders outside the project (``data_folders`` in the sources config)
    that a DuckDB query may read besides the project's own folders.
    """
    if source.url_env:
        params = bound_params(source.query, _SQLALCHEMY_PARAM, quarter)
        frame = _query_sqlalchemy(source, source.url_env, root, params)
    else:
        check_read_only(source.query, "duckdb", source.name)
        params = bound_params(source.query, _DUCKDB_PARAM, quarter)
        frame = _query_duckdb(source, root, warehouse, params, folders or [])
    frame = clean_columns(frame)
    buffer = io.BytesIO()
    frame.write_parquet(buffer)  # the result as returned, nested values included
    frame = trace(flatten(frame), source.name)
    logger.debug("source %s: query returned %d rows", source.name, frame.height)
    return SourceRead(
        source=source,
        table=table,
        frame=frame,
        inputs=[RawInput(name=f"{source.name}.parquet", data=buffer.getvalue(), origin="sql")],
        params={k: v.isoformat() for k, v in params.items()},
    )


def bound_params(query: str, pattern: re.Pattern[str], quarter: Quarter | None) -> dict[str, dt.datetime]:
    """The quarter bounds the query names, as datetimes (never formatted into the SQL)."""
    if quarter is None:
        bounds = {"start": ALL_START, "end": ALL_END}
    else:
        bounds = {"start": quarter.start.to_pydatetime(), "end": quarter.end.to_pydatetime()}
    named = {m.group(1) for m in pattern.finditer(_without_literals(query))}
    return {k: v for k, v in bounds.items() if k in named}


# Statement kinds that change something; any of them anywhere in a query refuses it.
_WRITES = (
    "Insert",
    "Update",
    "Delete",
    "Merge",
    "Create",
    "Drop",
    "Alter",
    "TruncateTable",
    "Copy",
    "Command",
    "Pragma",
    "Set",
    "Use",
    "Attach",
    "Detach",
    "Install",
    "Grant",
    "Revoke",
    "Transaction",
    "Commit",
    "Rollback",
    "LoadData",
    "Export",
    "Analyze",
    "Refresh",
    "Kill",
)
_SQLGLOT_DIALECTS = {"postgresql": "postgres", "mssql": "tsql", "mariadb": "mysql"}


def check_read_only(query: str, dialect: str, name: str) -> None:
    """Refuse any query that is not one read-only SELECT (WITH ... SELECT, UNION, VALUES).

    The query is parsed with sqlglot, a real SQL parser, so a write hidden in a CTE
    (``WITH d AS (DELETE ... RETURNING *)``), a second statement after ``;`` or a
    ``SELECT ... INTO`` is found wherever it sits. Read-only connections back this up where
    the driver allows; this check holds for every database.

    Raises:
        SourceError: one line naming the source and what was found.
    """
    import sqlglot
    from sqlglot import exp

    read = _SQLGLOT_DIALECTS.get(dialect, dialect)
    try:
        statements = [s for s in sqlglot.parse(query, read=read) if s is not None]
    except Exception:  # sqlglot's ParseError / TokenError: never echo the query back
        raise SourceError(
            f"source {name!r}: the query is not SQL that can be checked as read-only ({read}); "
            "write a single SELECT (or WITH ... SELECT)"
        ) from None
    if len(statements) != 1:
        raise SourceError(f"source {name!r}: the query must be one statement; found {len(statements)}")
    (statement,) = statements
    if not isinstance(statement, exp.Select | exp.SetOperation | exp.Values | exp.Subquery):
        raise SourceError(
            f"source {name!r}: only SELECT (or WITH ... SELECT) queries are allowed, not "
            f"{type(statement).__name__.upper()}: sources never change the database"
        )
    writes = tuple(getattr(exp, kind) for kind in _WRITES if hasattr(exp, kind))
    for node in statement.walk():
        if isinstance(node, writes):
            raise SourceError(
                f"source {name!r}: the query contains {type(node).__name__.upper()}: only reading is allowed"
            )
        if isinstance(node, exp.Select) and node.args.get("into"):
            raise SourceError(f"source {name!r}: SELECT ... INTO creates a table: only reading is allowed")


def _without_literals(query: str) -> str:
    """The query with quoted strings and comments blanked, so '$start' inside text is not a parameter."""
    return re.sub(r"'(?:[^']|'')*'|--[^\n]*|/\*.*?\*/", "''", query, flags=re.DOTALL)


def duckdb_folders(root: Path, folders: list[Path]) -> list[str]:
    """Folders a DuckDB query may read: the project's non-hidden folders and the configured ones.

    Files at the project root (``.env`` holds database URLs) and hidden folders (``.git``)
    stay out of reach. Each folder is listed absolute and, for the project's own, also as the
    relative path a query writes (``read_csv('data/x.csv')``), which DuckDB checks as written.
    """
    allowed: list[str] = []
    for child in sorted(root.iterdir()) if root.is_dir() else []:
        if child.is_dir() and not child.name.startswith("."):
            allowed += [f"{child.resolve()}/", f"{child.name}/"]
    for folder in folders:
        allowed.append(f"{folder.resolve()}/")
        allowed.append(f"{os.path.normpath(folder)}/")
        allowed.append(f"{os.path.relpath(folder, root)}/")  # as a query writes it: ../shared/data/
    return list(dict.fromkeys(allowed))


def _query_duckdb(
    source: SqlSource, root: Path, warehouse: str, params: dict, folders: list[Path]
) -> pl.DataFrame:
    import duckdb

    if warehouse == MEMORY:
        con = duckdb.connect(MEMORY)
    else:
        path = Path(warehouse) if Path(warehouse).is_absolute() else root / warehouse
        allowed = [root.resolve(), *(f.resolve() for f in folders)]
        if not any(path.resolve().is_relative_to(a) for a in allowed):
            raise SourceError(
                f"source {source.name!r}: the warehouse {warehouse} is outside the project; list its "
                "folder under `data_folders:` in the sources config to allow it"
            )
        if not path.is_file():
            raise SourceError(
                f"source {source.name!r}: the DuckDB warehouse {warehouse} does not exist ({path}); "
                "run `workbench demo` or set `warehouse:` in the sources config"
            )
        try:
            con = duckdb.connect(str(path), read_only=True)
        except duckdb.Error as exc:
            raise SourceError(f"source {source.name!r}: cannot open {warehouse}: {_one_line(exc)}") from None
    try:
        # Relative paths in read_csv(...) and friends resolve against the project root.
        con.execute("SET file_search_path = " + _sql_string(str(root)))
        # Reading is limited to the project's folders and the configured ones; writing files
        # (COPY ... TO), other files (read_text('/etc/passwd')), extensions and ATTACH all fail.
        con.execute(
            "SET allowed_directories = [" + ", ".join(map(_sql_string, duckdb_folders(root, folders))) + "]"
        )
        con.execute("SET enable_external_access = false")
        con.execute("SET lock_configuration = true")
        relation = con.sql(source.query, params=params or None)
        if relation is None:
            raise SourceError(f"source {source.name!r}: the query returned no result set (is it a SELECT?)")
        return pl.from_arrow(relation.to_arrow_table())
    except duckdb.Error as exc:
        raise SourceError(f"source {source.name!r}: query failed: {_no_content(_one_line(exc))}") from None
    finally:
        con.close()


def _no_content(message: str) -> str:
    """A driver message without the data it quotes (a line of a file, a value of a row)."""
    message = re.split(r"\b(?:Original Line|Line:|LINE \d)", message)[0]
    return re.sub(r'"[^"]{40,}"|\'[^\']{40,}\'', "'...'", message).strip()


def _sql_string(text: str) -> str:
    """A SQL string literal, for the one SET statement that takes no parameter (a local path)."""
    return "'" + text.replace("'", "''") + "'"


def database_url(env_name: str, root: Path) -> str:
    """The URL from the environment, else from ``<root>/.env``; the environment wins."""
    url = os.environ.get(env_name)
    if not url:
        env_file = root / ".env"
        if env_file.is_file():
            from dotenv import dotenv_values

            url = dotenv_values(env_file).get(env_name)
    if not url:
        raise SourceError(f"environment variable {env_name} is not set (nor in .env)")
    return url


def _query_sqlalchemy(source: SqlSource, env_name: str, root: Path, params: dict) -> pl.DataFrame:
    import sqlalchemy as sa

    try:
        url = database_url(env_name, root)
    except SourceError as exc:
        raise SourceError(f"source {source.name!r}: {exc}") from None
    logger.info("source %s: querying the database named by $%s", source.name, env_name)
    engine = None
    try:
        parsed = sa.engine.make_url(url)
        dialect = parsed.get_backend_name()
    except Exception:
        raise SourceError(f"source {source.name!r}: {env_name} does not hold a database URL") from None
    check_read_only(source.query, dialect, source.name)
    try:
        engine = _read_only_engine(sa, parsed)
        with engine.connect() as conn:
            try:
                if dialect in ("postgresql", "mysql", "mariadb"):
                    conn.execute(sa.text("SET TRANSACTION READ ONLY"))
                bounds = _typed_bounds(sa, conn.dialect.name, params)
                result = conn.execute(sa.text(source.query).bindparams(*bounds))
                columns = list(result.keys())
                rows = [tuple(r) for r in result.fetchall()]
            finally:
                conn.rollback()  # nothing a query did is ever committed
    except SourceError:
        raise
    except Exception as exc:
        message = scrub(_one_line(exc), url)
        raise SourceError(
            f"source {source.name!r}: query against the database named by {env_name} failed: "
            f"{type(exc).__name__}: {message}"
        ) from None
    finally:
        if engine is not None:
            engine.dispose()
    if not rows:
        return pl.DataFrame({c: pl.Series(c, [], dtype=pl.String) for c in columns})
    return pl.DataFrame(rows, schema=columns, orient="row", infer_schema_length=None, strict=False)


def _read_only_engine(sa, url):
    """An engine whose connections cannot write, where the driver allows it.

    SQLite opens the file with ``mode=ro`` and sets ``PRAGMA query_only``; PostgreSQL starts
    every transaction read-only (``default_transaction_read_only``). Other databases rely on
    the parsed-query check and the rollback.
    """
    backend = url.get_backend_name()
    if backend == "sqlite":
        database = url.database or ""
        if database and database != ":memory:" and not database.startswith("file:"):
            url = url.set(database=f"file:{database}").update_query_dict({"mode": "ro", "uri": "true"})
        engine = sa.create_engine(url)

        @sa.event.listens_for(engine, "connect")
        def _query_only(dbapi_connection, _record):  # noqa: ANN001
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA query_only = ON")
            cursor.close()

        return engine
    if backend == "postgresql" and url.get_driver_name() in ("psycopg", "psycopg2", "pg8000"):
        return sa.create_engine(url, connect_args={"options": "-c default_transaction_read_only=on"})
    return sa.create_engine(url)


def _typed_bounds(sa, dialect: str, params: dict) -> list:
    """Bind the quarter bounds with an explicit type, so the driver's global adapters don't decide.

    Left untyped, a datetime is rendered by whatever sqlite3 adapter was registered last (importing
    jupytext switches it from '2026-07-01 00:00:00' to '2026-07-01T00:00:00'), which silently moves
    the quarter boundary in a notebook. SQLite has no datetime type and its own date functions use
    'YYYY-MM-DD HH:MM:SS' text, so it gets that text; every other database gets a typed DateTime.
    """
    if dialect == "sqlite":
        return [sa.bindparam(k, v.strftime("%Y-%m-%d %H:%M:%S"), type_=sa.String) for k, v in params.items()]
    return [sa.bindparam(k, v, type_=sa.DateTime) for k, v in params.items()]


def scrub(message: str, url: str) -> str:
    """``message`` with the URL and every credential-bearing part of it blanked out."""
    secrets = {url}
    try:
        from sqlalchemy.engine import make_url

        parsed = make_url(url)
        secrets |= {parsed.render_as_string(hide_password=False), str(parsed.password or "")}
        secrets |= {str(parsed.username or ""), str(parsed.host or ""), str(parsed.database or "")}
        secrets |= {parsed.render_as_string(hide_password=True)}
        for value in parsed.query.values():  # ?password=...&sslpassword=...: every query value
            secrets |= set(value) if isinstance(value, tuple) else {str(value)}
    except Exception:  # an unparseable URL: the whole string is already covered
        pass
    for secret in sorted((s for s in secrets if len(s) >= 3), key=len, reverse=True):
        message = message.replace(secret, "***")
    return message


def _one_line(exc: Exception) -> str:
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return (lines[0] if lines else type(exc).__name__)[:300]
