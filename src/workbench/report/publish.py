"""Publishing a report folder safely: build aside, scrub secrets, swap in, keep failures apart.

A report is built in ``reports/.<quarter>.tmp-XXXX`` and only renamed to ``reports/<quarter>``
when every notebook succeeded, so the last good report is never half-overwritten and never
erased by a failing run. A failing notebook's executed copy goes to ``reports/<quarter>/_failed/``
for the analyst to open. Before anything is published, every file is checked for the values of
secret-looking environment variables (and the variables named by SQL sources), which are
redacted: a credential must never reach a file that is mailed around.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path

from workbench.core.config import Settings

logger = logging.getLogger(__name__)

FAILED_DIR = "_failed"
REDACTED = b"[redacted]"
_SECRET_NAME = re.compile(r"SECRET|TOKEN|PASSWORD|PASSWD|API_?KEY|PRIVATE_KEY|CREDENTIAL|AUTH", re.IGNORECASE)
_URL_WITH_CREDENTIALS = re.compile(r"^[a-z][a-z0-9+.\-]*://[^/\s:@]+:[^/\s@]+@", re.IGNORECASE)
MIN_SECRET_CHARS = 8


def new_build_dir(reports: Path, quarter: str) -> Path:
    """A fresh hidden folder beside the published one (same file system, so rename is atomic)."""
    reports.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix=f".{quarter}.tmp-", dir=reports))
    folder.chmod(0o755)  # mkdtemp makes it private; the published report is meant to be shared
    return folder


def publish(build_dir: Path, target: Path) -> None:
    """Replace ``target`` with ``build_dir``: two renames, the old report removed only afterwards.

    If the second rename fails the old report is put back, so ``target`` is always either the
    old or the new complete report.
    """
    old = None
    if target.exists():
        old = Path(tempfile.mkdtemp(prefix=f".{target.name}.old-", dir=target.parent))
        old.rmdir()
        os.replace(target, old)
    try:
        os.replace(build_dir, target)
    except OSError:
        if old is not None:
            os.replace(old, target)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
    logger.info("published %s", target)


def keep_failed(target: Path, executed: Mapping[str, Path]) -> list[Path]:
    """Copy failed executed notebooks to ``target/_failed/`` (replacing earlier failures).

    The rest of ``target`` (the last good report) is left untouched.
    """
    folder = target / FAILED_DIR
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    kept = []
    for name, path in executed.items():
        if path.exists():
            dest = folder / f"{name}.ipynb"
            shutil.copy2(path, dest)
            kept.append(dest)
    return kept


def secret_values(settings: Settings | None = None, environ: Mapping[str, str] | None = None) -> list[str]:
    """Values that must never appear in a report file.

    Args:
        settings: used to find the environment variables named by SQL sources (``url_env``),
            whose values are secrets whatever their names.
        environ: the environment to read (default ``os.environ``).

    Returns:
        Secret-looking environment values (by name: SECRET, TOKEN, PASSWORD, API_KEY, ...; or
        by value: a URL carrying a user and password), longest first so that a secret that
        contains another is redacted whole.
    """
    env = dict(os.environ if environ is None else environ)
    named: set[str] = set()
    if settings is not None:
        try:
            sources = settings.load_sources()
            named = {s.url_env for ss in sources.tables.values() for s in ss if getattr(s, "url_env", None)}
        except Exception:  # a broken sources.yaml is reported by the pull, not here
            named = set()
        named_values = _dotenv_values(settings.root / ".env", named)
    else:
        named_values = {}
    values = set(named_values.values())
    for name, value in env.items():
        if name in named or _SECRET_NAME.search(name) or _URL_WITH_CREDENTIALS.match(value or ""):
            values.add(value)
    return sorted((v for v in values if v and len(v) >= MIN_SECRET_CHARS), key=len, reverse=True)


def _dotenv_values(path: Path, names: Iterable[str]) -> dict[str, str]:
    names = set(names)
    if not names or not path.is_file():
        return {}
    from dotenv import dotenv_values

    return {k: v for k, v in dotenv_values(path).items() if k in names and v}


def scrub_secrets(folder: Path, secrets: Iterable[str]) -> list[Path]:
    """Replace every occurrence of each secret in every file under ``folder``.

    Returns:
        The files that contained a secret (each is also logged, without the secret).
    """
    needles = [s.encode("utf-8") for s in secrets if s]
    if not needles:
        return []
    changed = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        data = path.read_bytes()
        cleaned = data
        for needle in needles:
            cleaned = cleaned.replace(needle, REDACTED)
        if cleaned != data:
            path.write_bytes(cleaned)
            changed.append(path)
            logger.warning("a secret from the environment was found in %s and redacted", path.name)
    return changed
