"""The embedded demo company, "Northwind Cloud": a fictional B2B SaaS vendor with a planted truth.

``generate()`` simulates eight quarters (2024Q4 .. 2026Q3) of accounts, customer feedback from
five channels, CRM deals, weekly feature usage and the market, and writes them the way a real
company would hold them: CRM, support and usage tables in a DuckDB warehouse, survey, review
and market data as CSV/JSON exports with their own column names (see ``config/sources.yaml``).

Beside the data it writes the *planted truth*: which theme each text is about, and four facts
the workbench must find (a rising theme, an Enterprise-concentrated theme, a theme tied to
losses against a named competitor, and a theme that improved after a release). Tests of the
theme engine and the analyses measure themselves against it, so the facts are built into the
simulation's rates, not painted on afterwards.

Everything derives from ``numpy.random.default_rng(seed)`` and fixed dates, never from today's
date, so a seed reproduces the company byte for byte.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from workbench.core.errors import DemoError
from workbench.demo.accounts import make_accounts
from workbench.demo.deals import make_deals
from workbench.demo.export import write_all
from workbench.demo.feedback import make_churn_survey, make_feedback
from workbench.demo.market import COMPETITOR_NAMES, market_events, market_metrics
from workbench.demo.spec import (
    CHANNEL_SOURCE,
    CHANNELS,
    COMPETITOR,
    COMPETITOR_THEME,
    END,
    ENTERPRISE_SHARE,
    ENTERPRISE_THEME,
    FEATURES,
    FLOWBASE_LOSS_SHARE,
    ID_PREFIXES,
    IMPROVED_THEME,
    QUARTERS,
    RISING_FACTOR,
    RISING_QUARTER,
    RISING_THEME,
    SHIP_DATE,
    SHIP_FEATURE,
    SHIPPED,
    START,
    WIN_RATE,
)
from workbench.demo.usage import make_usage
from workbench.demo.voice import Voice

__all__ = [
    "CHANNELS",
    "CHANNEL_SOURCE",
    "COMPETITOR",
    "COMPETITOR_NAMES",
    "COMPETITOR_THEME",
    "END",
    "ENTERPRISE_SHARE",
    "ENTERPRISE_THEME",
    "FEATURES",
    "FLOWBASE_LOSS_SHARE",
    "ID_PREFIXES",
    "IMPROVED_THEME",
    "QUARTERS",
    "RISING_FACTOR",
    "RISING_QUARTER",
    "RISING_THEME",
    "SHIPPED",
    "SHIP_DATE",
    "SHIP_FEATURE",
    "START",
    "WIN_RATE",
    "Company",
    "DemoError",
    "generate",
    "simulate",
]

logger = logging.getLogger(__name__)


@dataclass
class Company:
    """Every simulated frame, in the warehouse/export shape, plus the truth labels."""

    accounts: pd.DataFrame
    feedback: pd.DataFrame  # all channels, canonical names + truth columns (split per source on export)
    deals: pd.DataFrame
    usage: pd.DataFrame
    market_events: pd.DataFrame
    market_metrics: pd.DataFrame


def generate(out_dir: Path, seed: int = 7, scale: float = 1.0) -> dict[str, int]:
    """Generate the demo company into ``out_dir`` and return rows written per table/file.

    Args:
        out_dir: folder for ``warehouse.duckdb``, ``exports/``, ``planted_truth.json`` and
            ``truth_labels.parquet`` (created; existing files are replaced).
        seed: the only source of randomness; the same seed gives identical files.
        scale: multiplies accounts, feedback and deals (0.2 for quick tests).
    """
    company = simulate(seed, scale)
    counts = write_all(Path(out_dir), company, params={"seed": seed, "scale": scale})
    logger.info(
        "demo company written to %s (%s feedback items, %s deals)",
        out_dir,
        f"{len(company.feedback):,}",
        f"{len(company.deals):,}",
    )
    return counts


def simulate(seed: int = 7, scale: float = 1.0) -> Company:
    """The demo company in memory (no files). Same seed, same frames."""
    if not scale > 0:
        raise DemoError(f"--scale must be a positive number, got {scale}")
    rng = np.random.default_rng(seed)
    voice = Voice(rng)
    accounts = make_accounts(rng, scale)
    feedback = pd.concat(
        [make_feedback(rng, voice, accounts, scale), make_churn_survey(rng, voice, accounts)],
        ignore_index=True,
    )
    deals = make_deals(rng, voice, accounts, scale)
    usage = make_usage(rng, accounts)
    months = pd.date_range(START, END - pd.Timedelta(days=1), freq="MS")
    return Company(accounts, feedback, deals, usage, market_events(), market_metrics(rng, months))
