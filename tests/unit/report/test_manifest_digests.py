"""File digests in the manifest and the freeze keys: computed once per file state, never stale."""

from __future__ import annotations

import hashlib
import os

from workbench.core.store import write_atomic
from workbench.report import manifest


def test_a_digest_is_read_once_per_file_state(tmp_path, monkeypatch):
    path = tmp_path / "table.bin"
    path.write_bytes(b"first")
    opened: list[str] = []
    real_open = open

    def counting_open(file, *args, **kwargs):
        opened.append(str(file))
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr("builtins.open", counting_open)
    first = manifest.sha256_file(path)
    assert first == hashlib.sha256(b"first").hexdigest()
    assert manifest.sha256_file(path) == first
    assert opened.count(str(path.resolve())) == 1  # the second ask was answered from memory


def test_a_rewritten_file_is_hashed_again(tmp_path):
    import pandas as pd

    path = tmp_path / "t.parquet"
    write_atomic(pd.DataFrame({"a": [1]}), path)
    before = manifest.sha256_file(path)
    write_atomic(pd.DataFrame({"a": [2]}), path)  # replaced by rename: a new inode
    assert manifest.sha256_file(path) == hashlib.sha256(path.read_bytes()).hexdigest() != before
    # Even an in-place rewrite of the same size is seen (its modification time moves).
    other = tmp_path / "same_size.bin"
    other.write_bytes(b"aaaa")
    old = manifest.sha256_file(other)
    other.write_bytes(b"bbbb")
    os.utime(other, ns=(other.stat().st_atime_ns, other.stat().st_mtime_ns + 1_000_000))
    assert manifest.sha256_file(other) == hashlib.sha256(b"bbbb").hexdigest() != old
