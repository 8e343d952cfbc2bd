"""The theme engine on the full demo company: planted themes and planted facts are recovered.

Uses the session fixture ``themed_settings`` (demo generated, pulled, ``themes.run`` for the
latest complete quarter with the curated registry in config/themes.yaml). Pure discovery runs
``themes.run`` again on a copy of the project with an EMPTY registry (and no earlier model): its
themes are mapped onto the planted ones by overlap (the discovered theme holding most of a planted
theme's documents, from ``truth_labels.parquet``), and the four planted facts (rising,
Enterprise-concentrated, competitor-linked, improved after a release) are checked on the
discovered themes, as a team without the answer key would find them.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import normalized_mutual_info_score

from workbench.analysis import sales
from workbench.core.config import ShippedItem, load_settings
from workbench.core.store import load_output, load_table
from workbench.themes import engine as themes
from workbench.themes.embeddings import embedder_for
from workbench.themes.registry import Registry, load_registry

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
NMI_TARGET = 0.7
UNASSIGNED = "__unassigned__"


@pytest.fixture(scope="module")
def truth(themed_settings) -> pd.DataFrame:
    return pd.read_parquet(themed_settings.paths.demo / "truth_labels.parquet")


@pytest.fixture(scope="module")
def facts(themed_settings) -> dict:
    return json.loads((themed_settings.paths.demo / "planted_truth.json").read_text(encoding="utf-8"))[
        "facts"
    ]


@pytest.fixture(scope="module")
def assignments(themed_settings) -> pd.DataFrame:
    return load_output("assignments", themed_settings)


@pytest.fixture(scope="module")
def theme_table(themed_settings) -> pd.DataFrame:
    return load_output("themes", themed_settings)


@pytest.fixture(scope="module")
def discovered(themed_settings, tmp_path_factory):
    """The themed demo project re-run with an EMPTY registry, in a copy without earlier models."""
    root = tmp_path_factory.mktemp("demo_discovery")
    for part in ("config", "data"):
        shutil.copytree(themed_settings.root / part, root / part, ignore=shutil.ignore_patterns("models"))
    (root / "config" / "themes.yaml").write_text("version: 1\nthemes: []\n", encoding="utf-8")
    settings = load_settings(root=root)
    themes.run(settings, quarter=None)
    return settings


@pytest.fixture(scope="module")
def planted_to_found(discovered, truth) -> dict[str, str]:
    """Each planted theme -> the discovered theme holding most of its documents."""
    assigned = load_output("assignments", discovered)
    joined = assigned.merge(truth, on=["table", "record_id"], suffixes=("", "_truth"), validate="1:1")
    joined = joined[joined["theme_id_truth"].notna() & joined["theme_id"].notna()]
    overlap = pd.crosstab(joined["theme_id_truth"], joined["theme_id"])
    found = overlap.idxmax(axis=1)
    labels = load_output("themes", discovered).set_index("theme_id")["label"]
    print("\nplanted -> discovered: " + "; ".join(f"{p} -> {labels[f]}" for p, f in found.items()))
    return found.to_dict()


def nmi(assigned: pd.DataFrame, truth: pd.DataFrame) -> float:
    """NMI over every labelled document; unassigned items count as one more label."""
    joined = assigned.merge(
        truth, on=["table", "record_id"], how="inner", validate="1:1", suffixes=("", "_truth")
    )
    assert len(joined) >= 0.99 * len(assigned)
    return normalized_mutual_info_score(
        joined["theme_id_truth"].astype(object).fillna(UNASSIGNED).to_numpy(),
        joined["theme_id"].astype(object).fillna(UNASSIGNED).to_numpy(),
    )


def test_curated_registry_recovers_the_planted_themes(themed_settings, assignments, truth):
    score = nmi(assignments, truth)
    print(f"\nNMI vs planted themes, curated registry: {score:.3f}")
    assert score >= NMI_TARGET
    # The registry is the truth: every planted theme is a curated id, and most of the items planted
    # with it carry that id (the theme table lists every registry id whether matched or not, so
    # checking ids against it would pass even if every cluster were mapped to the wrong theme).
    registry = {t.id for t in load_registry(themed_settings).themes}
    planted = set(truth["theme_id"].dropna())
    assert planted <= registry
    joined = assignments.merge(truth, on=["table", "record_id"], suffixes=("", "_truth"), validate="1:1")
    recall = {
        theme_id: float((joined.loc[joined["theme_id_truth"] == theme_id, "theme_id"] == theme_id).mean())
        for theme_id in sorted(planted)
    }
    print(
        "share of planted items carrying their registry id: "
        + ", ".join(f"{t} {r:.0%}" for t, r in recall.items())
    )
    assert min(recall.values()) >= 0.5, recall


def test_pure_discovery_with_an_empty_registry_recovers_the_planted_themes(themed_settings, truth):
    settings = themed_settings
    docs = themes.documents(load_table("feedback", settings), load_table("deals", settings))
    quarter = themes.report_quarter(load_table("feedback", settings), settings, None)
    window = [str(q) for q in quarter.window(settings.themes.window_quarters)]
    in_window = docs["quarter"].isin(window).to_numpy() & themes.has_text(docs)
    embedder = embedder_for(settings)
    fitted = themes.fit_themes(
        docs[in_window].reset_index(drop=True), embedder, Registry(), settings, str(quarter), window
    )
    assigned = themes.assign_documents(docs, fitted.model, embedder, settings.themes.chunk_size)
    assigned = assigned.assign(table=docs["table"].to_numpy(), record_id=docs["record_id"].to_numpy())

    score = nmi(assigned, truth)
    labels = fitted.themes.set_index("theme_id")["label"]
    sizes = assigned["theme_id"].value_counts()
    print(
        f"\nNMI vs planted themes, empty registry (pure discovery): {score:.3f}; "
        f"{fitted.n_clusters} clusters; labels: " + "; ".join(f"{labels[t]} ({n})" for t, n in sizes.items())
    )
    assert score >= NMI_TARGET
    assert (fitted.themes["status"] == "emerging").all()
    assert fitted.themes["label"].is_unique
    assert not fitted.themes["label"].str.contains(",").any()  # phrases, not keyword lists
    assert themes.unassigned_share(assigned) <= settings.themes.max_unassigned_share


def test_outlier_reduction_leaves_at_most_the_configured_share_unassigned(themed_settings, assignments):
    share = themes.unassigned_share(assignments)
    print(f"\nunassigned share: {share:.1%}")
    assert share <= themed_settings.themes.max_unassigned_share
    assert themed_settings.themes.max_unassigned_share <= 0.10


def test_planted_rising_theme_is_flagged_rising(themed_settings, facts):
    rising = facts["rising"]
    metrics = load_output("metrics", themed_settings)
    row = metrics[
        (metrics["quarter"] == rising["quarter"]) & (metrics["theme_id"] == rising["theme_id"])
    ].iloc[0]
    assert row["trend"] == "rising" and row["significant"]


def test_planted_enterprise_theme_is_concentrated_in_enterprise(themed_settings, facts):
    fact = facts["enterprise"]
    splits = load_output("splits_segment", themed_settings)
    lift = splits[splits["segment"] == fact["segment"]].groupby("theme_id")["concentration"].mean()
    assert lift.idxmax() == fact["theme_id"]
    assert lift[fact["theme_id"]] > 2


def test_planted_competitor_theme_dominates_losses_to_that_competitor(
    themed_settings, facts, assignments, theme_table
):
    fact = facts["competitor"]
    settings = themed_settings
    lost = sales.lost_deal_themes(
        load_table("deals", settings),
        assignments,
        theme_table,
        competitor=fact["competitor"],
        competitors=load_table("competitors", settings),
    )
    assert lost.iloc[0]["theme_id"] == fact["theme_id"]
    assert lost.iloc[0]["share_of_lost"] > 0.5


def test_planted_improvement_shows_as_a_significant_drop_after_the_release(
    themed_settings, facts, assignments
):
    from workbench.analysis import outcomes

    fact = facts["improved"]
    item = ShippedItem(
        id=fact["id"],
        name=fact["name"],
        shipped_on=fact["shipped_on"],
        feature=fact["feature"],
        theme_id=fact["theme_id"],
    )
    result = outcomes.before_after(item, None, assignments, load_table("feedback", themed_settings))
    share = result.set_index("metric").loc["theme_share"]
    assert share["significant"] and share["after"] < share["before"]


def test_themes_table_and_quotes_are_consistent(themed_settings, assignments, theme_table):
    quotes = load_output("quotes", themed_settings)
    visible = set(theme_table.loc[theme_table["status"] != "hidden", "theme_id"])
    assert set(quotes["theme_id"]) <= visible
    assert quotes.groupby("theme_id").size().min() >= 3
    # n_docs counts the fitted window exactly (not every quarter, not fewer): the window is a strict
    # part of the assigned quarters, so a count over the wrong quarters cannot match.
    quarter = themes.report_quarter(load_table("feedback", themed_settings), themed_settings, None)
    window = [str(q) for q in quarter.window(themed_settings.themes.window_quarters)]
    assert set(assignments["quarter"].dropna()) - set(window)
    in_window = assignments.loc[assignments["quarter"].isin(window), "theme_id"].value_counts()
    expected = in_window.reindex(theme_table["theme_id"]).fillna(0).astype("int64").to_numpy()
    np.testing.assert_array_equal(theme_table["n_docs"].to_numpy(), expected)
    assert np.isfinite(assignments.loc[assignments["theme_id"].notna(), "similarity"]).all()


# --------------------------------------------------------------------------- facts by discovery


def test_the_four_fact_themes_are_discovered_as_distinct_themes(planted_to_found, facts, discovered):
    fact_themes = [facts[f]["theme_id"] for f in ("rising", "enterprise", "competitor", "improved")]
    found = [planted_to_found[t] for t in fact_themes]
    assert len(set(found)) == 4
    table = load_output("themes", discovered)
    assert (table["status"] == "emerging").all()  # discovered, not matched to any answer key


def test_discovered_rising_theme_is_flagged_rising(discovered, facts, planted_to_found):
    fact = facts["rising"]
    metrics = load_output("metrics", discovered)
    row = metrics[
        (metrics["quarter"] == fact["quarter"]) & (metrics["theme_id"] == planted_to_found[fact["theme_id"]])
    ].iloc[0]
    assert row["trend"] == "rising" and row["significant"]


def test_discovered_enterprise_theme_is_concentrated_in_enterprise(discovered, facts, planted_to_found):
    fact = facts["enterprise"]
    splits = load_output("splits_segment", discovered)
    lift = splits[splits["segment"] == fact["segment"]].groupby("theme_id")["concentration"].mean()
    assert lift.idxmax() == planted_to_found[fact["theme_id"]]
    assert lift.max() > 2


def test_discovered_competitor_theme_dominates_losses_to_that_competitor(discovered, facts, planted_to_found):
    fact = facts["competitor"]
    lost = sales.lost_deal_themes(
        load_table("deals", discovered),
        load_output("assignments", discovered),
        load_output("themes", discovered),
        competitor=fact["competitor"],
        competitors=load_table("competitors", discovered),
    )
    assert lost.iloc[0]["theme_id"] == planted_to_found[fact["theme_id"]]
    assert lost.iloc[0]["share_of_lost"] > 0.5


def test_discovered_improvement_shows_as_a_significant_drop_after_the_release(
    discovered, facts, planted_to_found
):
    from workbench.analysis import outcomes

    fact = facts["improved"]
    item = ShippedItem(
        id=fact["id"],
        name=fact["name"],
        shipped_on=fact["shipped_on"],
        feature=fact["feature"],
        theme_id=planted_to_found[fact["theme_id"]],
    )
    result = outcomes.before_after(
        item, None, load_output("assignments", discovered), load_table("feedback", discovered)
    )
    share = result.set_index("metric").loc["theme_share"]
    assert share["significant"] and share["after"] < share["before"]


def test_shipped_registry_is_an_analysts_not_the_generators_bank():
    """config/themes.yaml reads like an analyst's after a review, not a copy of the answer key."""
    import yaml

    from workbench.demo.text import THEMES

    shipped = yaml.safe_load((REPO / "config" / "themes.yaml").read_text(encoding="utf-8"))
    registry = {t["id"]: t for t in shipped["themes"]}
    bank = {t.id: t for t in THEMES}
    assert set(bank) <= set(registry)  # the ids the planted facts and shipped items refer to
    same_labels = [i for i in bank if registry[i]["label"] == bank[i].label]
    same_seeds = [i for i in bank if set(registry[i]["seed_phrases"]) == set(bank[i].seed_phrases)]
    assert not same_labels and not same_seeds
    shared = sum(len(set(registry[i]["seed_phrases"]) & set(bank[i].seed_phrases)) for i in bank)
    assert shared <= len(bank)  # at most one seed phrase per theme in common with the bank
