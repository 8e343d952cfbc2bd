"""One atomic-write mechanism: files and folders, old content kept whole when a writer fails."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from workbench.core.store import atomic, replace_with

SRC = Path(__file__).resolve().parents[3] / "src" / "workbench"


def test_a_failing_writer_leaves_the_old_file_and_no_temporary(tmp_path):
    path = tmp_path / "out.txt"
    atomic(path, lambda tmp: tmp.write_text("old", encoding="utf-8"))

    def half_then_crash(tmp: Path) -> None:
        tmp.write_text("half", encoding="utf-8")
        raise RuntimeError("killed")

    with pytest.raises(RuntimeError):
        atomic(path, half_then_crash)
    assert path.read_text(encoding="utf-8") == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.txt"]


def test_a_folder_is_replaced_whole(tmp_path):
    target = tmp_path / "model"

    def folder(content: str):
        def write(tmp: Path) -> None:
            tmp.mkdir()
            (tmp / "state.json").write_text(content, encoding="utf-8")

        return write

    atomic(target, folder("v1"))
    atomic(target, folder("v2"))
    assert (target / "state.json").read_text(encoding="utf-8") == "v2"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model"]  # no .old-* or temporary left

    def crash(tmp: Path) -> None:
        tmp.mkdir()
        (tmp / "state.json").write_text("v3-half", encoding="utf-8")
        raise RuntimeError("killed")

    with pytest.raises(RuntimeError):
        atomic(target, crash)
    assert (target / "state.json").read_text(encoding="utf-8") == "v2"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model"]


def test_replace_with_puts_the_old_target_back_when_the_second_rename_fails(tmp_path, monkeypatch):
    import os

    target, new = tmp_path / "report", tmp_path / ".report.tmp"
    target.mkdir()
    (target / "index.html").write_text("old", encoding="utf-8")
    new.mkdir()
    real = os.replace
    calls = []

    def flaky(src, dst):
        calls.append((Path(src).name, Path(dst).name))
        if len(calls) == 2:
            raise OSError("disk full")
        return real(src, dst)

    monkeypatch.setattr(os, "replace", flaky)
    with pytest.raises(OSError):
        replace_with(new, target)
    assert (target / "index.html").read_text(encoding="utf-8") == "old"


def test_no_module_renames_files_into_place_by_itself():
    """Every write-then-rename goes through core.store (atomic / replace_with).

    The listed exceptions move existing entries during crash recovery or a merge; they write nothing.
    """
    allowed = {
        ("core/store.py", "atomic"),
        ("core/store.py", "replace_with"),
        ("report/publish.py", "recover"),
        ("ingest/snapshot.py", "_merge_old"),
        ("ingest/snapshot.py", "clean_leftovers"),
        ("themes/engine.py", "recover_publish"),
    }
    found = []
    for path in SRC.rglob("*.py"):
        rel = path.relative_to(SRC).as_posix()
        tree = ast.parse(path.read_text(encoding="utf-8"))
        functions = [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]
        for func in functions:
            for node in ast.walk(func):
                if (
                    isinstance(node, ast.Call)
                    and isinstance(node.func, ast.Attribute)
                    and isinstance(node.func.value, ast.Name)
                    and (node.func.value.id, node.func.attr)
                    in {("os", "replace"), ("os", "rename"), ("tempfile", "mkstemp")}
                    and (rel, func.name) not in allowed
                ):
                    found.append(f"{rel}:{node.lineno} in {func.name}")
    assert not found, f"use workbench.core.store.atomic / replace_with instead: {sorted(set(found))}"
