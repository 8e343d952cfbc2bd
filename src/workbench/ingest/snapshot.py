"""The immutable raw snapshot of a pull, and the all-or-nothing swap of ``data/processed/``.

``data/raw/<pulled-at>/`` holds every input exactly as read (files byte for byte, query results
as parquet) and ``manifest.json``. A folder name is claimed with an exclusive ``mkdir``, so a
snapshot is never overwritten: a second pull in the same second gets ``-2``. The manifest is
written last, once the pull has processed everything, so it is the snapshot's "complete" mark:
a pull that fails removes the snapshot it started, and a pull that was killed leaves a folder
without a manifest, which the next pull removes (:func:`clean_leftovers`). Every folder under
``data/raw/`` with a manifest is a pull that succeeded.

The processed tables are built in a temporary folder beside ``data/processed/`` and swapped in
with two renames, so a pull that fails at any step leaves the last good data untouched; a pull
killed between the renames is finished by the next one.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import hashlib
import json
import logging
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from workbench.core.store import atomic, replace_with
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
        entries.append(_entry(folder, copy, item.origin, item.sha256, len(item.data), root))
    return entries


BLOCK = 8 * 2**20  # bytes read, hashed and written at a time when a large file is copied


def copy_input(
    folder: Path,
    source_name: str,
    name: str,
    origin: Path,
    root: Path,
    inspect: Callable[[bytes], None] | None = None,
) -> tuple[Path, dict[str, Any]]:
    """Copy one large input file into the snapshot block by block, hashing exactly what is copied.

    The file is read once: each block is hashed, handed to ``inspect`` (a check of its bytes)
    and written, so memory stays one block and the copy is byte for byte what was hashed. The
    pull then parses the copy, never the original, which may change after it was read.

    Returns:
        The copy's path and its manifest entry (path, copy, sha256, bytes), as :func:`write_inputs`.
    """
    target = folder / safe_name(source_name)
    target.mkdir(exist_ok=True)
    copy = target / name
    digest, size = hashlib.sha256(), 0
    with open(origin, "rb") as src, open(copy, "xb") as dst:
        while block := src.read(BLOCK):
            digest.update(block)
            if inspect is not None:
                inspect(block)
            dst.write(block)
            size += len(block)
    os.chmod(copy, 0o444)
    return copy, _entry(folder, copy, str(origin), digest.hexdigest(), size, root)


def _entry(folder: Path, copy: Path, origin: str, sha256: str, size: int, root: Path) -> dict[str, Any]:
    return {
        "path": _display_path(origin, root),
        "copy": copy.relative_to(folder).as_posix(),
        "sha256": sha256,
        "bytes": size,
    }


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


SWAP = ".swap.json"  # inside a freshly swapped-in folder until the old folder's entries moved across


def swap_in(staged: Path, processed: Path, owned: Iterable[str]) -> None:
    """Make ``staged`` the new ``data/processed/``.

    Entries of the old folder that this pull did not write (``owned`` are the names it did:
    tables it replaced, their rejects, the manifest) move across unchanged: the theme engine's
    outputs, and tables whose sources are no longer configured. Nothing is lost, even when the
    pull is killed half way: :func:`clean_leftovers` finishes the move from ``.swap.json``.
    """
    owned = set(owned)
    if not processed.exists():
        replace_with(staged, processed)
        return
    write_json(staged / SWAP, {"owned": sorted(owned)})
    old = processed.with_name(f".processed-old-{staged.name.rsplit('-', 1)[-1]}")
    try:
        replace_with(staged, processed, old)
    except OSError:
        (processed / SWAP).unlink(missing_ok=True)
        raise
    _merge_old(old, processed, owned)


def _merge_old(old: Path, processed: Path, owned: set[str]) -> None:
    for entry in old.iterdir():
        if entry.name not in owned and entry.name != SWAP and not (processed / entry.name).exists():
            os.replace(entry, processed / entry.name)
    (processed / SWAP).unlink(missing_ok=True)
    shutil.rmtree(old, ignore_errors=True)


def clean_leftovers(processed: Path, raw: Path) -> list[Path]:
    """Finish or undo what a killed pull left; returns what was removed.

    - ``.processed-old-*`` with no ``data/processed/``: killed between the two renames, so the
      old folder goes back; with a new folder holding ``.swap.json``: the old folder's other
      entries move across, as the pull would have done;
    - ``.processed-*`` staging folders: half-built tables, removed;
    - ``data/raw/<stamp>/`` without ``manifest.json``: a pull that never finished, removed.

    Only called while holding the pull lock, so no running pull's folders are touched.
    """
    removed: list[Path] = []
    parent = processed.parent
    for old in sorted(parent.glob(".processed-old-*")):
        if not processed.exists():
            os.replace(old, processed)
            logger.warning("restored %s from a pull killed while swapping", processed)
            continue
        swap = processed / SWAP
        owned = set(json.loads(swap.read_text(encoding="utf-8"))["owned"]) if swap.is_file() else None
        if owned is not None:
            _merge_old(old, processed, owned)
        else:
            shutil.rmtree(old, ignore_errors=True)
        removed.append(old)
    (processed / SWAP).unlink(missing_ok=True)
    for staged in sorted(parent.glob(".processed-*")):
        if staged.is_dir() and not staged.name.startswith(".processed-old-"):
            shutil.rmtree(staged, ignore_errors=True)
            removed.append(staged)
    if raw.is_dir():
        for folder in sorted(raw.iterdir()):
            if folder.is_dir() and not (folder / MANIFEST).is_file():
                shutil.rmtree(folder, ignore_errors=True)
                removed.append(folder)
    if removed:
        logger.info("removed %d leftover(s) of killed pulls", len(removed))
    return removed


@contextlib.contextmanager
def pull_lock(data: Path) -> Iterator[None]:
    """One pull at a time per data folder: a second one waits (and says so) until the first ends.

    ``flock`` locks vanish with the process that held them, so a killed pull never leaves a
    stale lock behind.
    """
    data.mkdir(parents=True, exist_ok=True)
    with open(data / ".pull.lock", "a+") as handle:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            logger.warning("another pull is running on %s: waiting for it to finish", data)
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
