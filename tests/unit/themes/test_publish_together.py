"""A theme model and its outputs go live together, or (after a kill at any step) neither does."""

from __future__ import annotations

import os

import pytest

from workbench.core.config import load_settings
from workbench.themes import engine


class Killed(BaseException):
    """Stands in for SIGKILL: nothing after it runs (not even ``except Exception``)."""


def _tree(folder):
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture
def live(tmp_path):
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "workbench.yaml").write_text("{}\n", encoding="utf-8")
    settings = load_settings(root=tmp_path)
    model = settings.paths.models / "themes" / "2026Q3"
    outputs = settings.paths.processed / "themes"
    for folder, text in ((model, "old model"), (outputs, "old outputs")):
        folder.mkdir(parents=True)
        (folder / "f.bin").write_text(text, encoding="utf-8")
    return settings, model, outputs


def _staged(model, outputs):
    new_model, new_outputs = model.with_name(".2026Q3.staged-1"), outputs.with_name(".themes.staged-1")
    for folder, text in ((new_model, "new model"), (new_outputs, "new outputs")):
        folder.mkdir(parents=True)
        (folder / "f.bin").write_text(text, encoding="utf-8")
    return new_model, new_outputs


@pytest.mark.parametrize("kill_at", range(5))
def test_a_kill_at_any_rename_rolls_back_to_the_old_pair(live, monkeypatch, kill_at):
    settings, model, outputs = live
    before = (_tree(model), _tree(outputs))
    new_model, new_outputs = _staged(model, outputs)
    real_replace, calls = os.replace, []

    def replace(src, dst):
        calls.append(src)
        if len(calls) > kill_at:
            raise Killed
        real_replace(src, dst)

    monkeypatch.setattr(engine.os, "replace", replace)
    with pytest.raises(Killed):
        engine.publish_run(settings, new_model, model, new_outputs, outputs)
    monkeypatch.setattr(engine.os, "replace", real_replace)
    assert engine.recover_publish(settings) == (kill_at > 0)  # kill 0: the journal was never written
    assert (_tree(model), _tree(outputs)) == before
    leftovers = [
        p.name for root in (model.parent, outputs.parent) for p in root.iterdir() if p.name[0] == "."
    ]
    assert leftovers == []


def test_a_complete_swap_puts_both_live_and_leaves_nothing(live):
    settings, model, outputs = live
    new_model, new_outputs = _staged(model, outputs)
    engine.publish_run(settings, new_model, model, new_outputs, outputs)
    assert _tree(model) == {"f.bin": b"new model"} and _tree(outputs) == {"f.bin": b"new outputs"}
    assert not engine.recover_publish(settings)
    assert sorted(p.name for p in outputs.parent.iterdir()) == ["themes"]
