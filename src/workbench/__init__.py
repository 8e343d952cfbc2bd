"""Product Insights Workbench: the analyst API.

``import workbench as wb`` gives the functions an analyst needs for ad-hoc questions; every one
is documented with a runnable example in ``docs/analyst.md``. Imports are lazy (nothing heavy
is loaded until a function is first used), so ``import workbench`` stays fast.

Two ways in:

* ``wb.load_table`` / ``wb.load_output`` for ad-hoc questions over the processed data;
* ``wb.open_report`` for the context the report notebooks use (one quarter, optional segment,
  the house chart theme and chart export).

The project is ``$WORKBENCH_HOME``, else the nearest folder above the working directory holding
``config/workbench.yaml``; ``wb.use("path/to/project")`` sets it for the session.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

#: name -> (module, attribute): resolved on first use.
_LAZY: dict[str, tuple[str, str]] = {
    # the project and its data
    "use": ("workbench.api", "use"),
    "project_root": ("workbench.api", "project_root"),
    "load_settings": ("workbench.api", "load_settings"),
    "load_table": ("workbench.api", "load_table"),
    "load_output": ("workbench.api", "load_output"),
    "schema": ("workbench.api", "schema"),
    "open_report": ("workbench.report.context", "open_report"),
    # names people type
    "theme_id": ("workbench.api", "theme_id"),
    "segments": ("workbench.api", "segments"),
    "match_segment": ("workbench.api", "match_segment"),
    # quarters
    "Quarter": ("workbench.core.quarters", "Quarter"),
    "parse_quarter": ("workbench.api", "parse_quarter"),
    "quarter_of": ("workbench.api", "quarter_of"),
    "quarter_window": ("workbench.api", "quarter_window"),
    "latest_quarter": ("workbench.api", "latest_quarter"),
    # analyses
    "feedback_assignments": ("workbench.themes.metrics", "feedback_assignments"),
    "redact_pii": ("workbench.themes.text", "redact_pii"),
    "embedder_for": ("workbench.themes.embeddings", "embedder_for"),
    "win_rate_by_quarter": ("workbench.analysis.sales", "win_rate_by_quarter"),
    "churn_rates": ("workbench.analysis.churn", "churn_rates"),
    # charts
    "theme_color": ("workbench.viz.charts", "theme_color"),
    "theme_palette": ("workbench.viz.style", "theme_palette"),
    "house_style": ("workbench.api", "house_style"),
    "palette": ("workbench.api", "palette"),
    "offline_charts": ("workbench.api", "offline_charts"),
    "visualize": ("workbench.api", "visualize"),
    # similar feedback (embeds only the query; item vectors come from the embedding cache)
    "search": ("workbench.themes.search", "search"),
    # errors
    "WorkbenchError": ("workbench.core.errors", "WorkbenchError"),
}

__all__ = sorted(_LAZY)


def __getattr__(name: str) -> Any:
    target = _LAZY.get(name)
    if target is None:
        raise AttributeError(f"module 'workbench' has no attribute {name!r}; see dir(workbench)")
    module, attr = target
    value = getattr(import_module(module), attr)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__
