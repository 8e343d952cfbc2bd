"""The browser tests set up their own Chromium: installed with apt as root, else a one-line fix."""

from __future__ import annotations

import importlib.util
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def _conftest():
    spec = importlib.util.spec_from_file_location(
        "browser_conftest", REPO / "tests" / "browser" / "conftest.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_present_browser_is_used_as_is(tmp_path):
    exe = tmp_path / "chromium"
    exe.write_text("")
    assert _conftest().ensure_chromium(exe) == exe


def test_root_with_apt_installs_it(tmp_path, monkeypatch):
    mod, exe, calls = _conftest(), tmp_path / "chromium", []
    monkeypatch.setattr(mod.os, "geteuid", lambda: 0)
    monkeypatch.setattr(mod.shutil, "which", lambda name: "/usr/bin/" + name)

    def apt(args):
        calls.append(args[:2])
        if args[1] == "install" and ["apt-get", "update"] in calls:
            exe.write_text("")  # installs once the package lists are there
        return exe.exists()

    monkeypatch.setattr(mod, "_apt", apt)
    assert mod.ensure_chromium(exe) == exe
    assert calls == [["apt-get", "install"], ["apt-get", "update"], ["apt-get", "install"]]


def test_without_root_it_gives_the_one_line_fix(tmp_path, monkeypatch):
    mod = _conftest()
    monkeypatch.setattr(mod.os, "geteuid", lambda: 1000)
    assert mod.ensure_chromium(tmp_path / "chromium") is None
    assert "\n" not in mod.FIX and "apt-get install -y chromium" in mod.FIX
