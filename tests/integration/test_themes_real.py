"""The theme engine end to end on real reviews in ../shared/data: Uber (Google Play) and Amazon Alexa.

Each export is pulled with its example source config from config/examples/ into a throwaway
project with an EMPTY registry (pure discovery, as a team starting out would run it), then themed
with the default model (all-MiniLM-L6-v2: its labels read better than the static model's on these
short reviews). About 9k distinct texts: ~60 s cold, seconds once the embedding cache is warm. The
top labels are printed for the release note.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest
import yaml

from workbench.core.config import load_settings
from workbench.core.store import load_output
from workbench.ingest import pull
from workbench.themes import engine as themes
from workbench.themes.prep import name_words

pytestmark = [pytest.mark.slow, pytest.mark.shared_data]

DATASETS = {
    # name: (example source config, report quarter: the quarter that holds most of the reviews)
    "uber": ("google_play_reviews.yaml", "2024Q4"),
    "alexa": ("marketplace_reviews_tsv.yaml", "2018Q3"),
}
REPO_CONFIG = Path(__file__).resolve().parents[2] / "config"


@pytest.fixture(scope="module", params=sorted(DATASETS))
def real_run(request, shared_data, tmp_path_factory):
    name = request.param
    example, quarter = DATASETS[name]
    root = tmp_path_factory.mktemp(f"real_{name}")
    (root / "config").mkdir()
    sources = yaml.safe_load((REPO_CONFIG / "examples" / example).read_text(encoding="utf-8"))
    sources["data_folders"] = [str(shared_data)]  # the throwaway project does not sit beside it
    for entries in sources["tables"].values():
        for source in entries:  # the examples point at ../shared/data relative to the checkout
            source["path"] = str(shared_data / source["path"].removeprefix("../shared/data/"))
    (root / "config" / "sources.yaml").write_text(yaml.safe_dump(sources), encoding="utf-8")
    (root / "config" / "themes.yaml").write_text("version: 1\nthemes: []\n", encoding="utf-8")
    (root / "config" / "workbench.yaml").write_text("themes:\n  embedding_model: default\n", encoding="utf-8")
    settings = load_settings(root=root)
    pull.pull(settings, quarter=None, all_quarters=True)
    result = themes.run(settings, quarter=quarter)
    return name, settings, result


def test_real_reviews_run_end_to_end_with_readable_labels(real_run):
    name, settings, result = real_run
    assignments = load_output("assignments", settings)
    table = load_output("themes", settings)
    feedback_rows = len(pd.read_parquet(settings.paths.processed / "feedback.parquet"))
    assert len(assignments) == feedback_rows
    assert result.unassigned_share <= 0.15  # blank reviews are unassigned on top of outlier reduction
    assert len(table) >= 5 and (table["status"] == "emerging").all()
    labels = table.sort_values(["n_docs", "theme_id"], ascending=[False, True])
    assert labels["label"].is_unique
    assert not labels["label"].str.contains(",").any()
    assert labels["label"].str.split().str.len().max() <= 4
    # Labels a person would write: never a handle, a link, "Cluster N" or a name on its own.
    feedback = pd.read_parquet(settings.paths.processed / "feedback.parquet")
    names = name_words(feedback["text"].dropna().astype(str).tolist())
    for label in labels["label"]:
        words = label.lower().split()
        assert "@" not in label and not re.search(r"(?i)https?|www|\.com\b", label), label
        assert not label.lower().startswith("cluster"), label
        assert not all(w in names for w in words), label
    quotes = load_output("quotes", settings)
    assert quotes["quote"].str.len().max() <= settings.themes.quote_max_chars
    top = "; ".join(f"{r.label} ({r.n_docs})" for r in labels.head(8).itertuples())
    print(f"\n{name}: {result.summary()}\n  top themes: {top}")
