"""The immutable raw snapshot of a pull, and the all-or-nothing swap of ``data/processed/``.

``data/raw/<pulled-at>/`` holds every input exactly as read (files byte for byte, query results
as parquet) and ``manifest.json``. A folder name is claimed with an exclusive ``mkdir``, so a
snapshot is never overwritten: a second pull in the same second gets ``-2``. A pull that fails
removes the snapshot it started, so every folder under ``data/raw/`` is a pull that succeeded.

The processed tables are built in a temporary folder beside ``data/processed/`` and swapped in
with two renames, so a pull that fails at any step leaves the last good data untouched.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import re
import shutil
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from workbench.core.store import atomic
from workbench.ingest.sources import SourceRead

logger = logging.getLogger(__name__)

STAMP = "%Y%m%dT%H%M%SZ"
MANIFEST = "manifest.json"


def pulled_at_stamp(when: dt.datetime) -> str:
    """``20261126T231500Z``: sorts in time order and is safe in a folder name."""
    return when.astimezone(dt.UTC).strftime(STAMP)


def claim_snapshot_dir(raw_root: Path, stamp: str) -> Path:
    """A new, empty ``data/raw/<stamp>[-n]/`` (never an existing one)."""
    raw_root.mkdir(parents=True, exist_ok=True)
    for n in range(1, 1000):
        folder = raw_root / (stamp if n == 1 else f"{stamp}-{n}")
        try:
            folder.mkdir()
        except FileExistsError:
            continue
        return folder
    raise RuntimeError(f"cannot claim a snapshot folder for {stamp} under {raw_root}")


def safe_name(name: str) -> str:
    """A source name usable as a folder name."""
    return re.sub(r"[^\w.-]+", "_", name).strip("._") or "source"


def write_inputs(folder: Path, read: SourceRead, root: Path) -> list[dict[str, Any]]:
    """Copy a source's inputs into the snapshot; their manifest entries (path, sha256, bytes)."""
    target = folder / safe_name(read.source.name)
    target.mkdir(exist_ok=True)
    entries = []
    for item in read.inputs:
        copy = target / item.name
        copy.write_bytes(item.data)
        os.chmod(copy, 0o444)
        entries.append(
            {
                "path": _display_path(item.origin, root),
                "copy": copy.relative_to(folder).as_posix(),
                "sha256": item.sha256,
                "bytes": len(item.data),
            }
        )
    return entries


def _display_path(origin: str, root: Path) -> str:
    if origin == "sql":
        return "sql"
    path = Path(origin)
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return os.path.relpath(path, root) if path.is_absolute() else origin


def write_json(path: Path, payload: dict[str, Any]) -> Path:
    """JSON written to a temporary file and renamed into place."""
    text = json.dumps(payload, indent=2, default=str) + "\n"
    return atomic(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def staging_dir(processed: Path) -> Path:
    """A temporary folder beside ``data/processed/`` (same file system, so renames are atomic)."""
    processed.parent.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=".processed-", dir=processed.parent))


def swap_in(staged: Path, processed: Path, owned: Iterable[str]) -> None:
    """Make ``staged`` the new ``data/processed/``.

    Entries of the old folder that this pull did not write (``owned`` are the names it did:
    tables it replaced, their rejects, the manifest) move across unchanged: the theme engine's
    outputs, and tables whose sources are no longer configured. Nothing is lost.
    """
    owned = set(owned)
    if not processed.exists():
        os.replace(staged, processed)
        return
    old = processed.with_name(f".processed-old-{staged.name.rsplit('-', 1)[-1]}")
    os.replace(processed, old)
    try:
        os.replace(staged, processed)
    except OSError:
        os.replace(old, processed)
        raise
    for entry in old.iterdir():
        if entry.name not in owned and not (processed / entry.name).exists():
            os.replace(entry, processed / entry.name)
    shutil.rmtree(old, ignore_errors=True)
