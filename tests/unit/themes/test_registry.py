"""The theme registry: validation, the shipped demo registry, and the review diff."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from workbench.core.config import ConfigError, load_settings
from workbench.core.store import themes_path, write_atomic
from workbench.themes.registry import (
    Registry,
    RegistryTheme,
    dump_registry,
    load_registry,
    parse_registry,
    propose,
    review,
)

REPO = Path(__file__).resolve().parents[3]

CURRENT = """\
# my registry: keep this comment
version: 1
themes:
- id: billing
  label: Billing surprises (curated)
  description: invoices nobody expected
  kind: blocker
  seed_phrases: [invoice was wrong]
- id: noise
  label: Noise
  hidden: true
"""


def theme_rows(*rows: dict) -> pd.DataFrame:
    base = {"description": "", "kind": "unknown", "keywords": "", "n_docs": 10}
    return pd.DataFrame([{**base, **r} for r in rows])


def test_shipped_demo_registry_is_valid_and_matches_the_planted_themes():
    from workbench.demo.text import THEME_IDS

    registry = parse_registry((REPO / "config" / "themes.yaml").read_text(encoding="utf-8"))
    ids = [t.id for t in registry.themes]
    assert set(THEME_IDS) <= set(ids)
    assert all(registry.get(i).seed_phrases for i in THEME_IDS)
    assert [t.id for t in registry.themes if t.hidden] == ["noise"]
    # The committed file is in canonical form, so `review` diffs show only real changes.
    text = (REPO / "config" / "themes.yaml").read_text(encoding="utf-8")
    assert (
        dump_registry(
            registry, "".join(line for line in text.splitlines(keepends=True) if line.startswith("#"))
        )
        == text
    )


@pytest.mark.parametrize(
    ("yaml_text", "message"),
    [
        ("themes:\n- id: Bad Id\n  label: x\n", r"themes\.Bad Id\.id: .*lower-case"),
        ("themes:\n- id: new-thing\n  label: x\n", "reserved for emerging candidates"),
        ("themes:\n- id: a\n  label: x\n- id: a\n  label: y\n", r"unique, repeated: \['a'\]"),
        ("themes:\n- id: a\n  label: x\n  kind: wish\n", r"themes\.a\.kind"),
        ("themes:\n- id: a\n  label: x\n  colour: red\n", r"themes\.a\.colour: Extra inputs"),
        ("themes:\n- id: a\n  label: x\n  merges: [b]\n- id: b\n  label: y\n", "still a registered theme"),
        ("themes:\n- id: a\n  label: x\n  splits: [zz]\n", "not another registered theme"),
        ("themes: [\n", "not valid YAML at line"),
        ("- just a list\n", "expected a mapping"),
    ],
)
def test_invalid_registries_fail_with_one_line_naming_the_key(yaml_text, message):
    with pytest.raises(ConfigError, match=message) as err:
        parse_registry(yaml_text)
    assert "\n" not in str(err.value)


def test_resolve_follows_merges():
    registry = Registry(themes=[RegistryTheme(id="billing", label="B", merges=["new-invoices"])])
    assert registry.resolve("new-invoices") == "billing"
    assert registry.resolve("billing") == "billing"
    assert registry.resolve("new-other") == "new-other"


def test_missing_registry_file_means_pure_discovery(tmp_path):
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "workbench.yaml").write_text("themes:\n  registry: config/none.yaml\n")
    assert load_registry(load_settings(root=tmp_path)).themes == []


def test_propose_adds_candidates_refreshes_keywords_and_never_touches_curated_fields():
    registry = parse_registry(CURRENT)
    themes = theme_rows(
        {
            "theme_id": "billing",
            "label": "Invoice wrong",
            "status": "registered",
            "keywords": "invoice, charge, refund",
        },
        {"theme_id": "noise", "label": "Noise", "status": "hidden", "keywords": "test"},
        {
            "theme_id": "new-export-to-csv",
            "label": "Export to csv",
            "status": "emerging",
            "keywords": "export, csv, columns",
            "n_docs": 42,
        },
    )
    proposed = propose(registry, themes)

    billing = proposed.get("billing")
    assert billing.label == "Billing surprises (curated)"  # the engine's label never wins
    assert billing.description == "invoices nobody expected" and billing.seed_phrases == ["invoice was wrong"]
    assert billing.keywords == ["invoice", "charge", "refund"]
    new = proposed.get("export-to-csv")
    assert new.label == "Export to csv" and new.kind == "unknown" and new.merges == ["new-export-to-csv"]
    assert new.seed_phrases == ["export to csv"] and "42 documents" in new.description
    assert registry.get("export-to-csv") is None  # the input registry is untouched


def test_propose_never_reuses_a_taken_id():
    registry = Registry(themes=[RegistryTheme(id="export-to-csv", label="Exports", merges=["new-old"])])
    themes = theme_rows({"theme_id": "new-export-to-csv", "label": "Export to csv", "status": "emerging"})
    assert [t.id for t in propose(registry, themes).themes] == ["export-to-csv", "export-to-csv-2"]


def test_a_merged_candidate_updates_its_owner_instead_of_coming_back():
    registry = Registry(themes=[RegistryTheme(id="exports", label="Exports", merges=["new-export-to-csv"])])
    themes = theme_rows(
        {
            "theme_id": "new-export-to-csv",
            "label": "Export to csv",
            "status": "emerging",
            "keywords": "export, csv",
        }
    )
    proposed = propose(registry, themes)
    assert [t.id for t in proposed.themes] == ["exports"]
    assert proposed.get("exports").keywords == ["export", "csv"]


@pytest.fixture
def project(tmp_path):
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "workbench.yaml").write_text("themes:\n  registry: config/themes.yaml\n")
    (tmp_path / "config" / "themes.yaml").write_text(CURRENT)
    settings = load_settings(root=tmp_path)
    write_atomic(
        theme_rows(
            {"theme_id": "billing", "label": "x", "status": "registered", "keywords": "invoice, charge"},
            {
                "theme_id": "new-dark-mode",
                "label": "Dark mode",
                "status": "emerging",
                "keywords": "dark, theme",
            },
        ),
        themes_path(settings, "themes"),
    )
    return settings


def test_review_shows_a_unified_diff_and_writes_only_when_accepted(project):
    path = project.root / "config" / "themes.yaml"
    diff = review(project, accept=False)

    assert diff.startswith("--- themes.yaml (current)\n+++ themes.yaml (proposed)\n")
    assert "+- id: dark-mode\n" in diff and "+  label: Dark mode\n" in diff
    assert "+  keywords: [invoice, charge]\n" in diff
    assert "-  label: Billing surprises (curated)" not in diff
    assert path.read_text() == CURRENT

    assert review(project, accept=True) == diff
    written = path.read_text()
    assert written.startswith("# my registry: keep this comment\n")
    accepted = parse_registry(written)
    assert accepted.get("dark-mode").merges == ["new-dark-mode"]
    assert accepted.get("billing").label == "Billing surprises (curated)"
    assert review(project, accept=False) == ""  # nothing left to propose


def test_review_before_any_run_is_a_user_error(tmp_path):
    from workbench.core.errors import WorkbenchError

    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "workbench.yaml").write_text("{}\n")
    with pytest.raises(WorkbenchError, match="run `workbench themes`"):
        review(load_settings(root=tmp_path))
