"""Publishing a report folder safely: build aside, scrub secrets, swap in, keep failures apart.

A report is built in ``reports/.<quarter>.tmp-XXXX`` and only renamed to ``reports/<quarter>``
when every notebook succeeded, so the last good report is never half-overwritten and never
erased by a failing run. A failing notebook's executed copy goes to ``reports/_failed/<quarter>/``
for the analyst to open: outside the published folder, so it never travels with the report.
One build per report folder at a time (:func:`exclusive`), and each build first clears what a
killed build left behind (:func:`recover`). Before anything is published, every file is
checked for the values of secret-looking environment variables (and the variables named by SQL
sources), which are redacted: a credential must never reach a file that is mailed around.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import re
import shutil
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path

from workbench.core.config import Settings
from workbench.core.errors import ReportError
from workbench.core.store import replace_with

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
    old = replace_with(build_dir, target)  # the old report lies at .<name>.old-* until removed
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
    logger.info("published %s", target)


@contextlib.contextmanager
def exclusive(lock_path: Path, what: str) -> Iterator[None]:
    """Hold an exclusive lock on ``lock_path`` or fail at once with a one-line :class:`ReportError`.

    ``flock`` locks vanish with the process that held them, so a killed build never leaves a stale
    lock behind; the lock file itself is harmless and reused.
    """
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    handle = lock_path.open("a+")
    try:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip()
            raise ReportError(
                f"{what} is already running{f' (pid {holder})' if holder else ''}; "
                "wait for it to finish, then run again"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        yield
    finally:
        handle.close()


def failed_dir(reports: Path, name: str) -> Path:
    """Where the failed notebooks of report ``name`` are kept: ``reports/_failed/<name>/``."""
    return reports / FAILED_DIR / name


def recover(reports: Path, name: str) -> list[Path]:
    """Undo what a killed build of report ``name`` left behind; call it while holding its lock.

    A kill between the two renames of :func:`publish` leaves the previous report only as
    ``.<name>.old-*``: it is put back. Build folders (``.<name>.tmp-*``) and other ``.old-*``
    copies are removed.

    Returns:
        The leftovers removed or restored.
    """
    target = reports / name
    handled: list[Path] = []
    olds = sorted(reports.glob(f".{name}.old-*"), key=lambda p: p.stat().st_mtime, reverse=True)
    if not target.exists() and olds:
        os.replace(olds[0], target)
        logger.warning("restored the last good report %s left aside by a killed build", target)
        handled.append(olds.pop(0))
    for leftover in [*olds, *reports.glob(f".{name}.tmp-*")]:
        shutil.rmtree(leftover, ignore_errors=True)
        handled.append(leftover)
    if handled:
        logger.info("cleaned %d leftover(s) of killed builds of %s", len(handled), name)
    return handled


def clear_failed(reports: Path, name: str) -> None:
    """Remove the failures of an earlier build once a build of ``name`` was published."""
    shutil.rmtree(failed_dir(reports, name), ignore_errors=True)
    with contextlib.suppress(OSError):
        (reports / FAILED_DIR).rmdir()  # only when empty


def keep_failed(target: Path, executed: Mapping[str, Path]) -> list[Path]:
    """Copy failed executed notebooks to ``reports/_failed/<name>/`` (replacing earlier failures).

    The folder sits beside the published reports, not inside one, so a report folder that is
    mailed around never carries a failed notebook; ``target`` (the last good report) is untouched.
    """
    folder = failed_dir(target.parent, target.name)
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
