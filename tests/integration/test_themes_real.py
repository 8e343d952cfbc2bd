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
from workbench.themes.group_labels import OTHER_LANGUAGES
from workbench.themes.language import NAMES, detect
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


def test_real_reviews_have_no_mojibake_and_foreign_text_sits_in_language_themes(real_run):
    """The Uber export holds 1,276 reviews of UTF-8 read as Windows-1252 ("ðŸ‘\x8d" for 👍, "Ø´Ø®Øµ"
    for Arabic): the pull repairs them. Reviews then detected with confidence as another language
    must sit in themes labelled as a language, not in English-labelled ones ("Hai", "Excelente")."""
    from ftfy.badness import is_bad

    name, settings, _ = real_run
    feedback = pd.read_parquet(settings.paths.processed / "feedback.parquet")
    texts = feedback["text"].dropna().astype(str)
    assert not texts.map(is_bad).any()
    language_labels = {OTHER_LANGUAGES} | {f"{n}-language feedback" for n in NAMES.values()}
    assignments = load_output("assignments", settings).merge(
        feedback[["feedback_id", "text"]], left_on="record_id", right_on="feedback_id"
    )
    labels = load_output("themes", settings).set_index("theme_id")["label"]
    foreign = assignments[detect(assignments["text"].fillna("").tolist()) != "en"]
    if name == "uber":
        assert len(foreign) >= 100  # Spanish, Portuguese, Arabic, Hindi, Bengali reviews
    their_labels = foreign["theme_id"].map(labels)
    in_language_theme = their_labels.isin(language_labels)
    assert in_language_theme.mean() >= 0.8, their_labels[~in_language_theme].value_counts()
