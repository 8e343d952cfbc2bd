"""The assignment pass on Ray (``themes.engine: ray``): scale past one machine without our own scheduler.

What stays on the driver, as in the local engine: loading the documents, the fit on the stratified
sample (``themes.sample_size`` documents whatever the corpus size), saving the model, and the steps
after assignment. What Ray does is the pass over EVERY document, which is where the time goes at
10M-100M items:

1. the processed feedback is read in partitions (``ray.data.read_parquet``) and split into blocks;
   deal notes (small) are added from the driver;
2. ``map_batches`` on an actor pool embeds each batch (one model per actor, loaded once; a GPU per
   actor when the run's runtime is CUDA) and assigns it to the saved centroids in the same pass;
3. the result is written as parquet partitioned by quarter
   (``<processed>/theme_assignments_parts/quarter=.../``);
4. per-theme, per-quarter volumes aggregate in DuckDB over the partitioned files
   (:func:`quarter_theme_counts`), without loading them into pandas.

Every actor embeds with the driver's runtime (:func:`workbench.themes.embeddings.resolve_backend`), so
its vectors live in the space the centroids were fitted in, and assignments equal the local engine's.
``themes.ray_address`` names the cluster: none starts (and stops) a local Ray on this machine;
``ray://head:10001`` joins a running cluster through Ray Client (docs/scale.md).
"""

from __future__ import annotations

import logging
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from workbench.core.config import Settings
from workbench.core.errors import RayEngineError, WorkbenchError
from workbench.core.store import processed_path
from workbench.themes.embeddings import Embedder
from workbench.themes.model import ThemeModel

logger = logging.getLogger(__name__)

# Beside (not inside) processed/themes/, which the engine swaps whole when a run goes live.
PARTS = "theme_assignments_parts"
BATCH_SIZE = 2048  # documents per map_batches call: big enough to amortise the call, small for memory
ROWS_PER_BLOCK = 8192  # the reader's blocks are split to this size so every actor gets work
_PINS = "ray[data]==2.60.0"
# A local Ray on a busy machine can take over 30 s (Ray's default wait) for its agents to come up.
LOCAL_SYSTEM_CONFIG = {"raylet_start_wait_time_s": 180, "agent_register_timeout_ms": 180_000}


def _ray():
    try:
        import ray
    except ImportError as exc:
        raise RayEngineError(f"themes.engine 'ray' needs Ray: pip install '{_PINS}'") from exc
    return ray


@dataclass
class RayRun:
    """What the Ray pass did: where it wrote, how many actors ran, and how long it took."""

    parts: Path
    actors: int
    gpus_per_actor: float
    seconds: float
    started_ray: bool


def connect(address: str | None, num_cpus: int | None = None) -> bool:
    """Join the cluster at ``address`` (None: start a local Ray). Returns whether this call started it.

    An already initialised Ray (a notebook, a test fixture) is used as it is.
    """
    ray = _ray()
    if ray.is_initialized():
        return False
    try:
        if address:
            ray.init(address=address, log_to_driver=False)
        else:
            start_local(num_cpus)
    except Exception as exc:  # ConnectionError, TimeoutError, RuntimeError: all mean "no cluster there"
        where = address or "a local Ray"
        raise RayEngineError(f"cannot start or reach {where} ({type(exc).__name__}: {exc})") from None
    return True


def start_local(num_cpus: int | None = None, attempts: int = 3) -> None:
    """Start a local Ray on 127.0.0.1 without a dashboard, retrying a start that timed out.

    Ray gives its node 30 s (fixed) to register; on a loaded machine the Python agents it spawns can
    take longer to import, and the start fails with "timed out during startup". A second start finds
    the files in the page cache and usually succeeds.
    """
    ray = _ray()
    for attempt in range(1, attempts + 1):
        try:
            ray.init(
                num_cpus=num_cpus,
                include_dashboard=False,
                log_to_driver=False,
                _node_ip_address="127.0.0.1",  # a local Ray listens on loopback only
                _system_config=LOCAL_SYSTEM_CONFIG,
            )
            return
        except Exception as exc:
            if "timed out during startup" not in str(exc) or attempt == attempts:
                raise
            logger.warning("local Ray start timed out (attempt %d of %d); retrying", attempt, attempts)
            ray.shutdown()


class EmbedAssign:
    """One Ray actor: loads the embedding model once, then embeds and assigns each batch it is given."""

    def __init__(
        self, spec: str, runtime: str, cache_dir: str | None, model: ThemeModel, threads: int | None
    ):
        self.embedder = Embedder(
            spec, cache_dir=Path(cache_dir) if cache_dir else None, runtime=runtime, threads=threads
        )
        if self.embedder.model_id != model.model_id:
            raise RayEngineError(
                f"worker runtime embeds with {self.embedder.model_id}, the model was fitted with "
                f"{model.model_id}"
            )
        self.model = model

    def __call__(self, batch: pd.DataFrame) -> pd.DataFrame:
        return embed_and_assign(batch, self.embedder, self.model)


def embed_and_assign(batch: pd.DataFrame, embedder: Embedder, model: ThemeModel) -> pd.DataFrame:
    """``doc_id, quarter, theme_id, similarity, sentiment, sentiment_label`` of one batch.

    The batch goes through the local engine's own :func:`workbench.themes.engine.assign_documents`
    (modelling text, language groups, sentiment head on the same vectors, blank texts unassigned), so
    the two engines cannot drift apart: Ray only decides where and in which pieces it runs.
    """
    from workbench.themes.engine import assign_documents

    docs = pd.DataFrame(
        {"doc_id": batch["doc_id"].astype(str).to_numpy(), "text": batch["text"].fillna("").astype(str)}
    )
    out = assign_documents(docs, model, embedder, chunk_size=max(1, len(docs)))
    return pd.DataFrame(
        {
            "doc_id": docs["doc_id"].to_numpy(),
            "quarter": batch["quarter"].astype(str).to_numpy(),
            "theme_id": pd.array(out["theme_id"].to_numpy(), dtype="string"),
            "similarity": out["similarity"].astype("float64").to_numpy(),
            "sentiment": _column(out, "sentiment", np.nan).astype("float64"),
            "sentiment_label": pd.array(_column(out, "sentiment_label", None), dtype="string"),
        }
    )


def _column(frame: pd.DataFrame, name: str, missing) -> np.ndarray:
    """A column of the local engine's output, or ``missing`` throughout when it has none."""
    if name in frame.columns:
        return frame[name].to_numpy(dtype=object if missing is None else "float64")
    return np.full(len(frame), missing, dtype=object if missing is None else "float64")


def _feedback_documents(batch: pd.DataFrame):
    """Feedback rows as documents, exactly as :func:`workbench.themes.engine.documents` names them.

    Returned as an Arrow table, like the deal notes, so every block of the dataset has one format.
    """
    return _arrow(
        pd.DataFrame(
            {
                "doc_id": "feedback:" + batch["feedback_id"].astype(str),
                "quarter": batch["quarter"].astype(str),
                "text": batch["text"].map(lambda t: t if isinstance(t, str) else ""),
            }
        )
    )


def _arrow(frame: pd.DataFrame):
    import pyarrow as pa

    schema = pa.schema([("doc_id", pa.string()), ("quarter", pa.string()), ("text", pa.string())])
    return pa.Table.from_pandas(frame[["doc_id", "quarter", "text"]], schema=schema, preserve_index=False)


def assign_on_ray(
    settings: Settings,
    model: ThemeModel,
    embedder: Embedder,
    extra_docs: pd.DataFrame | None = None,
    out: Path | None = None,
    feedback_file: Path | None = None,
) -> RayRun:
    """Embed and assign every feedback item (plus ``extra_docs``) on Ray; write quarter-partitioned parquet.

    Args:
        settings: ``themes.ray_address`` picks the cluster; paths locate the processed feedback.
        model: the saved theme model (centroids, floor), shipped to every actor.
        embedder: the driver's embedder: its model spec and resolved runtime are what actors load.
        extra_docs: documents that are not feedback rows (deal notes): ``doc_id, quarter, text``.
        out: output folder (default: ``<processed>/theme_assignments_parts``), replaced whole.
        feedback_file: the processed feedback parquet (default: the project's).
    """
    ray = _ray()
    address = settings.themes.ray_address
    started = connect(address)
    t0 = time.perf_counter()
    try:
        out = out or settings.paths.processed / PARTS
        source = feedback_file or processed_path(settings, "feedback")
        if not source.exists():
            raise RayEngineError(f"no processed feedback at {source}; run `workbench pull`")
        gpu = embedder.runtime == "cuda-fp16" and ray.cluster_resources().get("GPU", 0) >= 1
        cpus = int(ray.cluster_resources().get("CPU", 1))
        # One actor per GPU, or per CPU less one: Ray Data's own listing/reading tasks need a whole
        # CPU, and an actor pool holding every CPU starves them (the pass then hangs). Each actor runs
        # its share of threads, so on 2 CPUs one actor uses both.
        actors = max(1, int(ray.cluster_resources().get("GPU", 0))) if gpu else max(1, cpus - 1)
        threads = None if gpu else max(1, cpus // actors)
        # Remote workers cannot see this machine's cache: they export the ONNX graph into their own
        # temp folder and embed without a vector cache. A local Ray shares the project's cache.
        cache = str(settings.paths.cache) if not address else None
        columns = ["feedback_id", "quarter", "text"]
        # Reading, reshaping and writing are light I/O: they ask for no CPU, so that an actor pool
        # holding every CPU can never starve the reader that feeds it (which would hang the pass).
        feedback = ray.data.read_parquet(
            str(source), columns=columns, ray_remote_args={"num_cpus": 0}
        ).map_batches(_feedback_documents, batch_format="pandas", num_cpus=0)
        if extra_docs is not None and len(extra_docs):
            extra = extra_docs[["doc_id", "quarter", "text"]].astype({"quarter": str, "text": object})
            feedback = feedback.union(ray.data.from_arrow(_arrow(extra.reset_index(drop=True))))
        assigned = feedback.repartition(target_num_rows_per_block=ROWS_PER_BLOCK).map_batches(
            EmbedAssign,
            fn_constructor_kwargs={
                "spec": embedder.spec,
                "runtime": embedder.runtime,
                "cache_dir": cache,
                "model": model,
                "threads": threads,
            },
            batch_size=BATCH_SIZE,
            batch_format="pandas",
            compute=ray.data.ActorPoolStrategy(size=actors),
            num_cpus=0 if gpu else 1,
            num_gpus=1 if gpu else 0,
        )
        if out.exists():
            shutil.rmtree(out)
        assigned.write_parquet(str(out), partition_cols=["quarter"], ray_remote_args={"num_cpus": 0})
        seconds = time.perf_counter() - t0
        logger.info("Ray assigned every document with %d actor(s) in %.1f s -> %s", actors, seconds, out)
        return RayRun(out, actors, 1.0 if gpu else 0.0, seconds, started)
    finally:
        if started:
            ray.shutdown()


def _parquet_glob(parts: Path) -> str:
    return str(parts / "**" / "*.parquet").replace("'", "''")


def read_assignments(parts: Path, doc_ids: pd.Series) -> pd.DataFrame:
    """``doc_id, theme_id, similarity, sentiment, sentiment_label`` from the partitioned output.

    Rows come back in the order of ``doc_ids``, as :func:`workbench.themes.engine.assign_documents`
    returns them, so the rest of the run does not care which engine assigned.
    """
    import duckdb

    frame = duckdb.sql(
        "SELECT doc_id, theme_id, similarity, sentiment, sentiment_label "
        f"FROM read_parquet('{_parquet_glob(parts)}', hive_partitioning = true)"
    ).df()
    frame = frame.drop_duplicates("doc_id").set_index("doc_id")
    wanted = doc_ids.astype(str)
    missing = int((~wanted.isin(frame.index)).sum())
    if missing:
        raise RayEngineError(f"the Ray pass left {missing} document(s) without a result; rerun it")
    frame = frame.reindex(wanted)

    def objects(column: str) -> np.ndarray:
        values = frame[column].to_numpy(dtype=object, copy=True)
        values[pd.isna(values)] = None
        return values

    return pd.DataFrame(
        {
            "doc_id": doc_ids.to_numpy(),
            "theme_id": objects("theme_id"),
            "similarity": frame["similarity"].astype("float64").to_numpy(),
            "sentiment": frame["sentiment"].astype("float64").to_numpy(),
            "sentiment_label": objects("sentiment_label"),
        }
    )


def assign_documents(
    docs: pd.DataFrame, model: ThemeModel, embedder: Embedder, settings: Settings
) -> pd.DataFrame:
    """The Ray twin of :func:`workbench.themes.engine.assign_documents` (same columns, same order).

    Feedback documents are read by Ray from the processed table; the other documents (deal notes)
    are shipped from ``docs``. Per-quarter theme volumes are logged from DuckDB over the output.
    """
    if embedder.model_id != model.model_id:
        raise WorkbenchError(
            f"the saved model was fitted with {model.model_id}, not {embedder.model_id}; refit it"
        )
    extra = docs[docs["table"] != "feedback"]
    run = assign_on_ray(settings, model, embedder, extra_docs=extra)
    counts = quarter_theme_counts(run.parts)
    logger.info(
        "Ray engine: %d actor(s), %.1f s; %d quarter x theme volumes aggregated in DuckDB",
        run.actors,
        run.seconds,
        len(counts),
    )
    return read_assignments(run.parts, docs["doc_id"])


def quarter_theme_counts(parts: Path) -> pd.DataFrame:
    """Per quarter and theme: documents, share of the quarter's assigned documents, mean similarity.

    Aggregated by DuckDB over the partitioned files (the quarter comes from the folder names), so the
    assignments of 100M documents never have to fit in memory. Unassigned documents count in no theme.
    """
    import duckdb

    return duckdb.sql(
        f"""
        SELECT quarter, theme_id, count(*) AS n_docs,
               count(*) / sum(count(*)) OVER (PARTITION BY quarter) AS share,
               avg(similarity) AS mean_similarity
        FROM read_parquet('{_parquet_glob(parts)}', hive_partitioning = true)
        WHERE theme_id IS NOT NULL
        GROUP BY quarter, theme_id
        ORDER BY quarter, theme_id
        """
    ).df()
