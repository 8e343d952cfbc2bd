"""Lines of Python per subpackage of ``src/workbench``, as the table in docs/architecture.md shows.

    .venv/bin/python bench/line_counts.py [--write]

Counts every line (blank and docstring lines too, as ``wc -l`` does) of the ``.py`` files the
repository tracks or would track (``git ls-files -co --exclude-standard``), so untracked scratch
files in ignored folders do not count. The purpose column is each subpackage's ``__init__``
docstring (first sentence), so the table cannot drift from the code. ``--write`` replaces the
table between the ``<!-- line-counts -->`` markers of docs/architecture.md.
"""

from __future__ import annotations

import argparse
import ast
import re
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PACKAGE = REPO / "src" / "workbench"
DOC = REPO / "docs" / "architecture.md"
MARK = re.compile(r"(<!-- line-counts -->\n).*?(<!-- /line-counts -->)", re.S)


def python_files() -> list[Path]:
    listed = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard", "-z", "src/workbench"],
        cwd=REPO,
        check=True,
        capture_output=True,
    ).stdout.decode()
    return [REPO / p for p in listed.split("\0") if p.endswith(".py") and (REPO / p).is_file()]


def purpose(init: Path) -> str:
    doc = ast.get_docstring(ast.parse(init.read_text(encoding="utf-8"))) if init.is_file() else None
    return " ".join((doc or "").split("\n\n")[0].split()) or "-"


def table() -> str:
    counts: dict[str, int] = {}
    for path in python_files():
        rel = path.relative_to(PACKAGE)
        key = rel.parts[0] if len(rel.parts) > 1 else rel.name
        counts[key] = counts.get(key, 0) + len(path.read_text(encoding="utf-8").splitlines())
    rows = ["| part | lines | purpose |", "| --- | ---: | --- |"]
    for key in sorted(counts, key=lambda k: (k.endswith(".py"), k)):
        what = purpose(PACKAGE / key / "__init__.py") if not key.endswith(".py") else purpose(PACKAGE / key)
        rows.append(f"| `{key}{'' if key.endswith('.py') else '/'}` | {counts[key]:,} | {what} |")
    rows.append(f"| **total** | **{sum(counts.values()):,}** | |")
    return "\n".join(rows) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--write", action="store_true", help="update docs/architecture.md")
    args = parser.parse_args()
    text = table()
    print(text, end="")
    if args.write:
        doc = DOC.read_text(encoding="utf-8")
        if not MARK.search(doc):
            raise SystemExit(f"{DOC} has no <!-- line-counts --> ... <!-- /line-counts --> markers")
        DOC.write_text(MARK.sub(lambda m: m.group(1) + text + m.group(2), doc), encoding="utf-8")


if __name__ == "__main__":
    main()
