"""The embedded demo company, "Northwind Cloud" (see ``docs/demo_company.md``).

Only the CLI imports this package (an import-linter contract keeps it so): the analyses, the
theme engine and the report know nothing of the demo and work the same on a customer's data.
"""

from __future__ import annotations

import logging

from workbench.core.config import FileSource, Settings
from workbench.demo.company import generate

logger = logging.getLogger(__name__)

__all__ = ["demo_needed", "ensure", "generate"]


def demo_needed(settings: Settings) -> bool:
    """True when the configured sources read from ``data/demo`` and the demo is not there."""
    demo = settings.paths.demo.resolve()
    sources = settings.load_sources()
    paths = [settings.resolve(sources.warehouse)] + [
        settings.resolve(s.path) for ss in sources.tables.values() for s in ss if isinstance(s, FileSource)
    ]
    uses_demo = any(demo == p.resolve() or demo in p.resolve().parents for p in paths)
    return uses_demo and not (demo.is_dir() and any(demo.iterdir()))


def ensure(settings: Settings) -> bool:
    """Generate the demo company if the sources need it; returns whether it was generated."""
    if not demo_needed(settings):
        return False
    logger.info("generating the demo company into %s (seed %s)", settings.paths.demo, settings.demo_seed)
    generate(settings.paths.demo, seed=settings.demo_seed)
    return True
