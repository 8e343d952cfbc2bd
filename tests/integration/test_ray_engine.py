"""The Ray engine (``themes.engine: ray``) assigns exactly as the local engine does, on a small demo.

A local Ray (2 CPUs, no dashboard, on 127.0.0.1) is started once for the session and shut down after.
The project is the demo company at scale 0.1 (~2,000 documents), so the whole module stays well under
a minute once the embedding cache is warm.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from workbench.themes import engine as themes
from workbench.themes import ray_engine
from workbench.themes.embeddings import Embedder, embedder_for
from workbench.themes.model import ThemeModel, model_dir

ray = pytest.importorskip("ray")


@pytest.fixture(scope="session")
def ray_local():
    """One local Ray for the session: 2 CPUs on 127.0.0.1, no dashboard; shut down afterwards."""
    started = not ray.is_initialized()
    if started:
        # ray.init(num_cpus=2, include_dashboard=False) on 127.0.0.1, retried if a loaded machine
        # makes the node miss Ray's fixed 30 s registration window.
        ray_engine.start_local(num_cpus=2)
    yield ray
    if started:
        ray.shutdown()


@pytest.fixture(scope="module")
def small_demo(tmp_path_factory):
    """A project holding the demo company at scale 0.1, pulled (all quarters) and themed locally."""
    from support import make_project

    from workbench.core.config import load_settings
    from workbench.demo import company as demo
    from workbench.ingest import pull

    root = make_project(tmp_path_factory.mktemp("ray_demo"))
    settings = load_settings(root=root)
    demo.generate(settings.paths.demo, seed=settings.demo_seed, scale=0.1)
    pull.pull(settings, quarter=None, all_quarters=True)
    result = themes.run(settings, quarter=None)
    return settings, result


def _output(settings, name: str) -> pd.DataFrame:
    from workbench.core.store import themes_path

    return pd.read_parquet(themes_path(settings, name))


def _with_engine(settings, engine: str):
    return settings.model_copy(update={"themes": settings.themes.model_copy(update={"engine": engine})})


@pytest.mark.slow
def test_ray_run_writes_the_same_outputs_as_the_local_run(small_demo, ray_local):
    settings, local = small_demo
    before = {name: _output(settings, name) for name in ("assignments", "metrics", "themes")}

    result = themes.run(_with_engine(settings, "ray"), quarter=local.quarter)

    after = {name: _output(settings, name) for name in ("assignments", "metrics", "themes")}
    assert result.n_documents == local.n_documents
    a, b = before["assignments"], after["assignments"]
    assert a["doc_id"].tolist() == b["doc_id"].tolist()
    assert a["theme_id"].fillna("-").tolist() == b["theme_id"].fillna("-").tolist()
    np.testing.assert_allclose(a["similarity"], b["similarity"], rtol=0, atol=1e-6)
    np.testing.assert_allclose(a["sentiment"], b["sentiment"], rtol=0, atol=1e-6)
    pd.testing.assert_frame_equal(before["metrics"], after["metrics"])
    pd.testing.assert_frame_equal(before["themes"], after["themes"])
    parts = sorted(p.name for p in (settings.paths.processed / ray_engine.PARTS).iterdir())
    assert parts == [f"quarter={q}" for q in sorted(a["quarter"].unique())]


@pytest.mark.slow
def test_ray_actors_embed_with_their_own_models(small_demo, ray_local, tmp_path, monkeypatch):
    """With an empty cache the actors compute every vector themselves, and still agree exactly."""
    settings, local = small_demo
    model = ThemeModel.load(model_dir(settings.paths.models, local.quarter))
    docs = themes.documents(_load(settings, "feedback"), _load(settings, "deals"))
    local = embedder_for(settings)
    embedded: set[str] = set()  # every text the local engine embeds (its modelling text)
    local_embed = local.embed
    local.embed = lambda texts: (embedded.update(texts), local_embed(texts))[1]
    reference = themes.assign_documents(docs, model, local, settings.themes.chunk_size)

    # A fresh vector cache, sharing only the exported ONNX graph (so actors do not export it again).
    (tmp_path / "fresh-cache").mkdir()
    (tmp_path / "fresh-cache" / "models").symlink_to(settings.paths.cache / "models")
    monkeypatch.setenv("WORKBENCH_CACHE_DIR", str(tmp_path / "fresh-cache"))
    embedder = embedder_for(settings)
    out = tmp_path / "parts"
    run = ray_engine.assign_on_ray(
        settings, model, embedder, extra_docs=docs[docs["table"] != "feedback"], out=out
    )
    assigned = ray_engine.read_assignments(run.parts, docs["doc_id"])

    assert run.actors == 1 and not run.started_ray  # 2 CPUs: one actor (2 threads), one CPU for reading
    fresh = Embedder(embedder.spec, cache_dir=tmp_path / "fresh-cache", runtime=embedder.runtime)
    assert len(fresh.cache) == len(embedded)  # the actors computed every vector themselves
    assert assigned["theme_id"].fillna("-").tolist() == reference["theme_id"].fillna("-").tolist()
    np.testing.assert_allclose(assigned["similarity"], reference["similarity"], rtol=0, atol=1e-5)

    counts = ray_engine.quarter_theme_counts(run.parts)
    quarters = docs.set_index("doc_id")["quarter"]
    expected = (
        reference.dropna(subset=["theme_id"])
        .assign(quarter=lambda f: f["doc_id"].map(quarters))
        .groupby(["quarter", "theme_id"])
        .size()
    )
    got = counts.set_index(["quarter", "theme_id"])["n_docs"]
    assert got.sort_index().to_dict() == expected.sort_index().to_dict()
    np.testing.assert_allclose(counts.groupby("quarter")["share"].sum(), 1.0)


def test_a_missing_document_is_an_error_not_a_silent_gap(tmp_path):
    frame = pd.DataFrame(
        {"doc_id": ["feedback:a"], "theme_id": ["x"], "similarity": [0.9], "sentiment": [0.1]}
    ).assign(sentiment_label="positive")
    (tmp_path / "quarter=2026Q1").mkdir()
    frame.to_parquet(tmp_path / "quarter=2026Q1" / "part.parquet")
    with pytest.raises(ray_engine.RayEngineError, match="1 document"):
        ray_engine.read_assignments(tmp_path, pd.Series(["feedback:a", "feedback:b"]))


def _load(settings, table: str) -> pd.DataFrame:
    from workbench.core.store import load_table

    return load_table(table, settings)


class _Letters:
    """A fake model: the vector of a text is its letter counts over 'abc' (no model loads)."""

    model_id = "fake-abc"

    def encode(self, texts: list[str]) -> np.ndarray:
        return np.array([[t.count(c) + 0.01 for c in "abc"] for t in texts], dtype=np.float32)


def test_batches_written_by_quarter_read_back_in_order_and_count_in_duckdb(tmp_path):
    """The write/read half of the Ray pass, without Ray: partitioned parquet -> DuckDB."""
    centroids = np.eye(3, dtype=np.float32)
    model = ThemeModel(
        centroids=centroids, topic_theme=["ta", "tb", "tc"], floor=0.6, model_id="fake-abc", quarter="2026Q2"
    )
    embedder = Embedder(backend=_Letters(), cache_dir=None)
    batch = pd.DataFrame(
        {
            "doc_id": ["feedback:1", "feedback:2", "deals:3", "feedback:4", "feedback:5"],
            "quarter": ["2026Q1", "2026Q1", "2026Q2", "2026Q2", "2026Q2"],
            "text": ["aaa", "bbbb", "cc a", "   ", "abc"],
        }
    )
    out = ray_engine.embed_and_assign(batch, embedder, model)
    out.to_parquet(tmp_path / "parts", partition_cols=["quarter"])

    order = pd.Series(["feedback:5", "feedback:4", "feedback:1", "deals:3", "feedback:2"])
    got = ray_engine.read_assignments(tmp_path / "parts", order)
    assert got["doc_id"].tolist() == order.tolist()
    assert got["theme_id"].fillna("-").tolist() == ["-", "-", "ta", "tc", "tb"]  # "abc": below the floor
    assert np.isnan(got["similarity"].iloc[1])  # the blank text is unassigned, with no similarity

    counts = ray_engine.quarter_theme_counts(tmp_path / "parts")
    assert counts[["quarter", "theme_id", "n_docs"]].values.tolist() == [
        ["2026Q1", "ta", 1],
        ["2026Q1", "tb", 1],
        ["2026Q2", "tc", 1],
    ]
    assert counts["share"].tolist() == [0.5, 0.5, 1.0]
